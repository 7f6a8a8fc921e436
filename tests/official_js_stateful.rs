//! Holds the simulator's stateful reconnect to the official ASP.NET Core SignalR JS client
//! (`@microsoft/signalr` with `withStatefulReconnect()`, `tests/js/stateful_client.mjs`): while
//! patches flow the simulator drops the connection several times; the client resumes the same
//! connection each time (no reconnecting event, same connection id), and receives every patch
//! exactly once, in order, over JSON and over MessagePack.

#[path = "shared/node.rs"]
mod node;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use signalr_sim::race::{Group, SimInvocation};
use signalr_sim::Simulator;
use signalr_sim::SimulatorConfig;

const PATCHES: usize = 300;

fn patch(n: usize) -> SimInvocation {
    SimInvocation {
        group: Group::Event(42),
        target: "ReceiveCarPatches",
        arguments: format!("[[{{\"number\":\"{n}\",\"overallPosition\":1}}]]"),
    }
}

async fn run(protocol: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        dir.join("node_modules/@microsoft/signalr").is_dir(),
        "The official JS client is not installed: run `npm ci --prefix tests/js` first."
    );
    let config = SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 0,
        ..SimulatorConfig::default()
    };
    let sim = Simulator::start(config).await.unwrap();
    let control = sim.control();
    let child = tokio::process::Command::new("node")
        .current_dir(dir)
        .arg("stateful_client.mjs")
        .arg(sim.hub_url().as_str())
        .arg(PATCHES.to_string())
        .env("HUB_PROTOCOL", protocol)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed");
    let output = tokio::spawn(child.wait_with_output());
    control.wait_for_invocations(1).await;
    for n in 0..PATCHES {
        control.broadcast(patch(n)).await;
        if n % 75 == 74 {
            control.drop_connections();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    control.wait_for_invocations(2).await;
    control.close(false);
    let results = node::results(output).await;
    let invocations = control.invocations_received();
    let targets: Vec<&str> = invocations.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(targets, ["SubscribeToEventV2", "UnsubscribeFromEventV2"], "nothing twice");
    let drops = (PATCHES / 75) as u64;
    assert_eq!(control.stateful_resumes(), drops, "every drop was resumed");
    results
}

fn assert_report(report: &Value) {
    assert_eq!(report["error"], Value::Null, "{report}");
    let numbers: Vec<u64> = serde_json::from_value(report["numbers"].clone()).unwrap();
    assert_eq!(numbers, (0..PATCHES as u64).collect::<Vec<_>>(), "each patch once, in order");
    assert_eq!(report["reconnecting"], 0, "stateful resumes are not reconnects");
    let ids = report["connectionIds"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the same connection throughout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_client_resumes_stateful_connections_over_json() {
    let report = run("json").await;
    assert_eq!(report["protocol"], "json");
    assert_report(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_client_resumes_stateful_connections_over_messagepack() {
    let report = run("messagepack").await;
    assert_eq!(report["protocol"], "messagepack");
    assert_report(&report);
}
