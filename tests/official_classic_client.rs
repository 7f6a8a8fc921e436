//! Holds the classic simulator to the protocol with the official classic ASP.NET SignalR 2.x
//! jQuery client (npm `signalr` 2.4.3 in jsdom, see `tests/js-classic/`): Basic auth on XHR and
//! WebSocket, BeginListen on both HPC hubs, a job's whole lifecycle, and a lossless reconnect.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use signalr_sim::classic::{ClassicControl, ClassicSimulator, ClassicSimulatorConfig};

fn js_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js-classic");
    assert!(
        dir.join("node_modules/signalr").is_dir() && dir.join("node_modules/jsdom").is_dir(),
        "The official classic client is not installed: run `npm ci --prefix tests/js-classic` first."
    );
    dir
}

fn config() -> ClassicSimulatorConfig {
    ClassicSimulatorConfig { tasks_per_job: 2, ..ClassicSimulatorConfig::default() }
}

/// Runs the node client with `password` while `drive` plays the server side; returns its report.
async fn run_client<F, Fut>(sim: &ClassicSimulator, password: &str, drive: F) -> Value
where
    F: FnOnce(ClassicControl) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let config = config();
    let child = tokio::process::Command::new("node")
        .current_dir(js_dir())
        .arg("classic_client.cjs")
        .arg(sim.base_url().as_str())
        .arg(&config.user)
        .arg(password)
        .arg("1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed");
    let output = tokio::spawn(child.wait_with_output());
    let driver = tokio::spawn(drive(sim.control()));
    // A failure bound so a hung client fails the test instead of hanging it.
    let output = tokio::time::timeout(Duration::from_secs(90), output)
        .await
        .expect("node client finished")
        .unwrap()
        .unwrap();
    driver.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "node failed: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("bad output {stdout:?}: {e}"))
}

/// The job's events as the hubs must deliver them for a 2-task job run to the end.
fn assert_lifecycle(report: &Value) {
    let jobs = json!([
        [1, "Submitted", "Configuring"],
        [1, "Validating", "Submitted"],
        [1, "Queued", "Validating"],
        [1, "Running", "Queued"],
        [1, "Finished", "Running"]
    ]);
    assert_eq!(report["jobEvents"], jobs, "{report}");
    let mut tasks = Vec::new();
    for (state, previous) in [
        ("Queued", "Submitted"),
        ("Dispatching", "Queued"),
        ("Running", "Dispatching"),
        ("Finished", "Running"),
    ] {
        for task in [1, 2] {
            tasks.push(json!([1, task, 0, state, previous]));
        }
    }
    assert_eq!(report["taskEvents"], Value::Array(tasks), "{report}");
}

fn assert_errors_and_invocations(report: &Value, control: &ClassicControl) {
    assert_eq!(report["startError"], Value::Null, "{report}");
    assert_eq!(report["transport"], "webSockets");
    assert_eq!(
        report["errors"]["arity"],
        "'BeginListen' method could not be resolved. Potential candidates are: \n\
         BeginListen(jobId:Int32):Void"
    );
    assert_eq!(report["errors"]["unknown"], "'NoSuchMethod' method could not be resolved.");
    assert_eq!(report["errors"]["jobs"], Value::Null);
    assert_eq!(report["errors"]["tasks"], Value::Null);
    let got = control.invocations_received();
    let got: Vec<(&str, &str, &str)> =
        got.iter().map(|(h, m, a)| (h.as_str(), m.as_str(), a.as_str())).collect();
    let expected = [
        ("TaskEventHub", "BeginListen", "[]"),
        ("JobEventHub", "NoSuchMethod", "[1]"),
        ("JobEventHub", "BeginListen", "[1]"),
        ("TaskEventHub", "BeginListen", "[1]"),
    ];
    assert_eq!(got, expected);
}

#[tokio::test]
async fn official_classic_client_listens_and_receives_a_whole_job() {
    let sim = ClassicSimulator::start(config()).await.unwrap();
    let report = run_client(&sim, &config().password, |control| async move {
        control.wait_for_invocations(4).await;
        assert_eq!(control.submit_job(), 1);
        control.finish(1);
    })
    .await;
    assert_errors_and_invocations(&report, &sim.control());
    assert_lifecycle(&report);
    // `stop()` posts abort, which forgets the connection and closes its socket.
    sim.control().wait_for_connections(0).await;
}

#[tokio::test]
async fn official_classic_client_reconnects_and_gets_the_missed_events_replayed() {
    let sim = ClassicSimulator::start(config()).await.unwrap();
    let report = run_client(&sim, &config().password, |control| async move {
        control.wait_for_invocations(4).await;
        assert_eq!(control.submit_job(), 1);
        control.advance(1);
        control.drop_connections();
        control.wait_for_connections(0).await;
        // Sent while no socket is attached: only the replay buffer has these.
        control.advance(1);
        control.advance(1);
        control.wait_for_connections(1).await;
        control.finish(1);
    })
    .await;
    assert_lifecycle(&report);
    let states: Vec<&str> = report["states"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_u64)
        .map(|s| match s {
            0 => "connecting",
            1 => "connected",
            2 => "reconnecting",
            _ => "disconnected",
        })
        .collect();
    assert!(states.contains(&"reconnecting"), "{report}");
}

#[tokio::test]
async fn official_classic_client_with_a_wrong_password_cannot_start() {
    let sim = ClassicSimulator::start(config()).await.unwrap();
    let report = run_client(&sim, "wrong", |_| async {}).await;
    assert_ne!(report["startError"], Value::Null, "{report}");
    assert!(sim.control().invocations_received().is_empty());
}
