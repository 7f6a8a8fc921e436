//! The simulator together with its race model: ticker, REST snapshot and reset; and the race's
//! output read back through the bridge's RedMist profile.

use std::collections::HashSet;

use serde_json::{json, value::RawValue, Value};
use signalr_bridge::config::HubConfig;
use signalr_bridge::event::{EventType, WireId};
use signalr_bridge::profile::{MessageContext, Normalized, Profile};
use signalr_sim::race::{Group, Race};
use signalr_sim::{SimOptions, Simulator, SimulatorConfig};

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

/// The RedMist profile the bridge runs against the simulator's hub.
fn profile() -> Profile {
    let hub: HubConfig = serde_json::from_value(json!({
        "name": "sim", "url": "http://127.0.0.1:1/status/event-status",
        "profile": "redmist", "redmist": {"event_ids": [7]},
    }))
    .unwrap();
    Profile::from_config(&hub)
}

fn ctx(record: u64) -> MessageContext {
    MessageContext {
        hub: "sim".into(),
        source: "urn:sim".into(),
        wire: WireId { connection: "c".into(), record },
        received: time::OffsetDateTime::UNIX_EPOCH,
    }
}

fn outputs(race: &mut Race, ticks: usize) -> Vec<(Group, &'static str, String)> {
    (0..ticks).flat_map(|_| race.tick()).map(|i| (i.group, i.target, i.arguments)).collect()
}

#[test]
fn round_trip_through_profile_decodes_everything() {
    let profile = profile();
    let mut race = Race::new(7, 15, 11);
    let mut all = outputs(&mut race, 1_500);
    all.extend(race.reset().into_iter().map(|i| (i.group, i.target, i.arguments)));
    let mut seen = HashSet::new();
    for (record, (_, target, args)) in all.iter().enumerate() {
        let args = RawValue::from_string(args.clone()).unwrap();
        let mut out = Vec::new();
        let result = profile.normalize(&ctx(record as u64 + 1), target, &args, &mut out);
        let result = result.unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_ne!(result, Normalized::UnknownTarget);
        seen.extend(out.iter().map(|e| e.kind));
    }
    for kind in [
        EventType::RedMistCarPatched,
        EventType::RedMistSessionPatched,
        EventType::RedMistControlLog,
        EventType::RedMistInCarUpdated,
        EventType::RedMistReset,
    ] {
        assert!(seen.contains(&kind), "{kind:?}");
    }
}

#[test]
fn snapshot_round_trips_with_short_names_normalized() {
    let mut race = Race::new(7, 6, 2);
    outputs(&mut race, 200);
    assert!(race.snapshot_json(8).is_none());
    let body = race.snapshot_json(7).unwrap();
    let raw: Value = serde_json::from_str(&body).unwrap();
    assert!(raw["carPositions"][0]["n"].is_string(), "REST uses short names");
    let profile = profile();
    let request = profile.snapshot_requests().remove(0);
    let mut out = Vec::new();
    profile.normalize_snapshot(&ctx(1), &request, body.as_bytes(), &mut out).unwrap();
    let data: Value = serde_json::from_str(out[0].data.get()).unwrap();
    let cars = data["carPositions"].as_array().unwrap();
    assert_eq!(cars.len(), 6);
    let positions: Vec<i64> = cars.iter().map(|c| c["overallPosition"].as_i64().unwrap()).collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(data["eventId"], 7);
}
