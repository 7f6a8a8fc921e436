//! Holds the simulator to the protocol with the official ASP.NET Core SignalR JS client
//! (`@microsoft/signalr` under node, see `tests/js/`): skipNegotiation, negotiation with a
//! bearer token, and a refused start without one.

#[path = "shared/node.rs"]
mod node;

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{json, Value};
use signalr_bridge::config::Secret;
use signalr_sim::race::{Group, SimInvocation};
use signalr_sim::SimulatorConfig;
use signalr_sim::{SimControl, Simulator};

const PATCHES: &str = r#"[[{"number":"7","overallPosition":1,"lastLapTime":"00:01:02.345"}]]"#;

fn js_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        dir.join("node_modules/@microsoft/signalr").is_dir()
            && dir.join("node_modules/@microsoft/signalr-protocol-msgpack").is_dir(),
        "The official JS client is not installed: run `npm ci --prefix tests/js` first."
    );
    dir
}

fn config() -> SimulatorConfig {
    SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 0,
        cars: 3,
        event_id: 42,
        required_token: None,
    }
}

/// Runs the node script while playing the server side of its steps; returns its JSON report.
async fn run_client(sim: &Simulator, mode: &str, token: Option<&str>) -> Value {
    run_client_with(sim, mode, token, "json").await
}

async fn run_client_with(
    sim: &Simulator,
    mode: &str,
    token: Option<&str>,
    protocol: &str,
) -> Value {
    let control = sim.control();
    let before = control.invocations_received().len();
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(js_dir())
        .arg("core_client.mjs")
        .arg(sim.hub_url().as_str())
        .arg(mode)
        .args(token)
        .env("HUB_PROTOCOL", protocol)
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("node must be installed");
    let output = tokio::spawn(child.wait_with_output());
    if mode != "unauthorized" {
        drive_server(&control, before).await;
    }
    let results = node::results(output).await;
    results
}

/// Broadcasts once the client subscribed, and closes once it unsubscribed.
async fn drive_server(control: &SimControl, before: usize) {
    control.wait_for_invocations(before + 3).await;
    let invocation = SimInvocation {
        group: Group::Event(42),
        target: "ReceiveCarPatches",
        arguments: PATCHES.to_string(),
    };
    control.broadcast(invocation).await;
    control.wait_for_invocations(before + 4).await;
    control.close_with_error("Simulated shutdown.", false);
}

fn assert_session(report: &Value) {
    assert_hub_errors(report);
    let expected: Value = serde_json::from_str(PATCHES).unwrap();
    assert_eq!(report["patches"], expected[0]);
}

fn assert_hub_errors(report: &Value) {
    assert_eq!(report["startError"], Value::Null, "{report}");
    assert_eq!(
        report["errors"]["arity"],
        "Failed to invoke 'SubscribeToControlLogs' due to an error on the server. \
         InvalidDataException: Invocation provides 1 argument(s) but target expects 2."
    );
    assert_eq!(
        report["errors"]["unknown"],
        "Failed to invoke 'NoSuchMethod' due to an error on the server. \
         HubException: Method does not exist."
    );
    assert_eq!(report["errors"]["subscribe"], Value::Null);
    assert_eq!(report["errors"]["unsubscribe"], Value::Null);
    assert_eq!(report["closeError"], "Server returned an error on close: Simulated shutdown.");
}

fn assert_invocations(control: &SimControl) {
    let got = control.invocations_received();
    let expected = [
        ("SubscribeToControlLogs", "[42]"),
        ("NoSuchMethod", "[1]"),
        ("SubscribeToEventV2", "[42]"),
        ("UnsubscribeFromEventV2", "[42]"),
    ];
    let got: Vec<(&str, &str)> = got.iter().map(|(t, a)| (t.as_str(), a.as_str())).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn official_client_with_skip_negotiation_subscribes_and_receives() {
    let sim = Simulator::start(config()).await.unwrap();
    let report = run_client(&sim, "skip", None).await;
    assert_session(&report);
    // skipNegotiation never learns a connection id.
    assert_eq!(report["connectionId"], Value::Null);
    assert_invocations(&sim.control());
    sim.control().wait_for_connections(0).await;
}

/// The MessagePack hub protocol (`@microsoft/signalr-protocol-msgpack`): the same session, with
/// RedMist payloads as positional arrays.
#[tokio::test]
async fn official_client_over_messagepack_subscribes_and_receives_positional_patches() {
    let sim = Simulator::start(config()).await.unwrap();
    let report = run_client_with(&sim, "skip", None, "messagepack").await;
    assert_eq!(report["protocol"], "messagepack");
    assert_hub_errors(&report);
    // RedMist's `CarPositionPatch` is a `[Key(n)]` model: one array of 68 slots, nil unless set.
    let car = report["patches"][0].as_array().expect("a positional car");
    assert_eq!(car.len(), 68);
    assert_eq!((&car[2], &car[20], &car[14]), (&json!("7"), &json!(1), &json!("00:01:02.345")));
    assert_eq!(car.iter().filter(|v| !v.is_null()).count(), 3);
    assert_invocations(&sim.control());
    sim.control().wait_for_connections(0).await;
}

#[tokio::test]
async fn official_client_with_negotiation_and_token_subscribes_and_receives() {
    let mut config = config();
    config.required_token = Some(Secret::new("s3cret"));
    let sim = Simulator::start(config).await.unwrap();
    let report = run_client(&sim, "negotiate", Some("s3cret")).await;
    assert_session(&report);
    let id = report["connectionId"].as_str().expect("negotiated connection id");
    assert_eq!(id.len(), 36, "{id}");
    assert_invocations(&sim.control());
}

#[tokio::test]
async fn official_client_without_required_token_fails_to_start() {
    let mut config = config();
    config.required_token = Some(Secret::new("s3cret"));
    let sim = Simulator::start(config).await.unwrap();
    let report = run_client(&sim, "unauthorized", None).await;
    let error = report["startError"].as_str().expect("start must fail");
    assert!(error.contains("401"), "{error}");
    assert_eq!(sim.control().connection_count(), 0);
}
