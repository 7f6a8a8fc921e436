//! The simulator together with its race model: ticker, REST snapshot and reset.

use serde_json::Value;
use signalr_bridge::config::SimulatorConfig;
use signalr_bridge::simulate::{SimOptions, Simulator};

use crate::support::*;

async fn start_racing(rate_per_sec: u32) -> Simulator {
    let config = SimulatorConfig { rate_per_sec, ..config() };
    Simulator::start_with(config, SimOptions::default()).await.unwrap()
}

/// Records of the next text frame.
async fn next_records(socket: &mut Socket) -> Vec<Value> {
    let text = next_text(socket).await;
    text.split_terminator(RS).map(|r| serde_json::from_str(r).unwrap()).collect()
}

#[tokio::test]
async fn ticker_broadcasts_race_invocations_to_subscribers() {
    let sim = start_racing(200).await;
    let mut socket = connect_ready(&sim).await;
    subscribe(&mut socket).await;
    let records = next_records(&mut socket).await;
    let first = &records[0];
    assert_eq!(first["type"], 1);
    assert!(first["target"].as_str().unwrap().starts_with("Receive"), "{first}");
    assert!(first["arguments"].is_array());
    assert!(first.get("invocationId").is_none());
}

#[tokio::test]
async fn snapshot_of_configured_event_is_json() {
    let sim = start_racing(0).await;
    let response = reqwest::get(sim.snapshot_url()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert!(body.is_object(), "{body}");
}

#[tokio::test]
async fn reset_broadcasts_receive_reset() {
    let sim = start_racing(0).await;
    let mut socket = connect_ready(&sim).await;
    subscribe(&mut socket).await;
    sim.control().reset();
    loop {
        let records = next_records(&mut socket).await;
        if records.iter().any(|r| r["target"] == "ReceiveReset") {
            break;
        }
    }
}
