//! Holds the simulator's negotiate redirects to the official ASP.NET Core SignalR JS client
//! (`@microsoft/signalr` under node, `tests/js/core_client.mjs`): it follows a chain back to the
//! simulator using the redirect's access token, and gives up on a loop.

#[path = "shared/node.rs"]
mod node;

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use signalr_bridge::config::Secret;
use signalr_sim::race::{Group, SimInvocation};
use signalr_sim::SimulatorConfig;
use signalr_sim::{Redirect, Simulator};

fn config() -> SimulatorConfig {
    SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 0,
        ..SimulatorConfig::default()
    }
}

/// Runs the script in `negotiate` mode; with `drive`, plays the server side of its session
/// (a patch once it subscribed, a Close once it unsubscribed). Returns its JSON report.
async fn run_client(sim: &Simulator, token: Option<&str>, drive: bool) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        dir.join("node_modules/@microsoft/signalr").is_dir(),
        "The official JS client is not installed: run `npm ci --prefix tests/js` first."
    );
    let child = tokio::process::Command::new("node")
        .current_dir(dir)
        .arg("core_client.mjs")
        .arg(sim.hub_url().as_str())
        .arg("negotiate")
        .args(token)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed");
    let output = tokio::spawn(child.wait_with_output());
    if drive {
        let control = sim.control();
        control.wait_for_invocations(3).await;
        let patch = r#"[[{"number":"7","overallPosition":1}]]"#.to_string();
        control
            .broadcast(SimInvocation {
                group: Group::Event(42),
                target: "ReceiveCarPatches",
                arguments: patch,
            })
            .await;
        control.wait_for_invocations(4).await;
        control.close(false);
    }
    let results = node::results(output).await;
    results
}

#[tokio::test]
async fn official_client_follows_a_redirect_chain_with_its_access_token() {
    let mut config = config();
    config.required_token = Some(Secret::new("app-token"));
    let sim = Simulator::start(config).await.unwrap();
    sim.control().set_redirect(Redirect::Chain { hops: 2, access_token: Some("svc".into()) });
    let report = run_client(&sim, Some("app-token"), true).await;
    assert_eq!(report["startError"], Value::Null, "{report}");
    assert_eq!(report["errors"]["subscribe"], Value::Null, "{report}");
    assert_eq!(report["patches"][0]["number"], "7", "{report}");
    assert!(report["connectionId"].is_string(), "{report}");
    // The app token once, then the redirect's on both redirected negotiates and the upgrade.
    assert_eq!(sim.control().tokens_presented(), ["app-token", "svc", "svc", "svc"]);
}

#[tokio::test]
async fn official_client_gives_up_on_a_redirect_loop() {
    let sim = Simulator::start(config()).await.unwrap();
    sim.control().set_redirect(Redirect::Loop);
    let report = run_client(&sim, None, false).await;
    assert_eq!(report["startError"], "Negotiate redirection limit exceeded.", "{report}");
    assert_eq!(sim.control().connection_count(), 0);
}
