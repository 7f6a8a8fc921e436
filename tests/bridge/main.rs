//! End to end: the bridge in-process against the simulator hub, publishing to real NATS
//! JetStream (127.0.0.1:4222) or to a real file.

mod auth;
mod classic;
mod discovery;
#[path = "../shared/fault_proxy.rs"]
mod fault_proxy;
mod faults;
mod kafka;
#[path = "../shared/kafka.rs"]
mod kafka_broker;
mod msgpack;
mod stateful;
mod subs;
mod support;

use std::collections::HashSet;
use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(20);

fn file_sink(path: &std::path::Path, extra: &str) -> String {
    format!(
        "sink:\n  kind: file\n  file: {{ path: '{}' }}\n{extra}admin: {{ listen: '127.0.0.1:0' }}\nshutdown: {{ grace_period_secs: 5 }}\n",
        path.display()
    )
}

/// The bridge on one RedMist hub at `sim`, writing JSON lines to `dir/events.jsonl`.
async fn bridge_to_file(
    sim: &signalr_sim::Simulator,
    dir: &std::path::Path,
    hub_extra: &str,
    sink_extra: &str,
) -> (signalr_bridge::app::App, std::path::PathBuf) {
    let out = dir.join("events.jsonl");
    let yaml =
        format!("hubs:\n{}{}", redmist_hub("rm", sim, hub_extra), file_sink(&out, sink_extra));
    (start(config(&yaml)).await, out)
}

/// The events in a file sink's output so far: every complete line (a read can catch the sink in
/// the middle of writing the last one, which is left for the next look).
fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete.lines().map(|l| serde_json::from_str(l).expect("every line is a JSON event")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redmist_events_reach_jetstream_with_wire_ids() {
    let sim = simulator(200, None).await;
    let stream = unique("IT_FLOW");
    let cfg = config(&format!("hubs:\n{}{}", redmist_hub("rm", &sim, ""), jetstream_sink(&stream)));
    let app = start(cfg).await;
    let js = jetstream().await;
    let messages = stream_messages(&js, &stream, 60, WAIT).await;

    let mut ids = HashSet::new();
    for (msg_id, event) in &messages {
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(msg_id, event["id"].as_str().unwrap(), "Nats-Msg-Id is the event id");
        assert!(ids.insert(msg_id.clone()), "ids are unique: {msg_id}");
        assert!(event["type"].as_str().unwrap().ends_with(".v1"));
        assert_eq!(event["source"], sim.hub_url().as_str());
    }
    let types: HashSet<&str> = messages.iter().map(|(_, e)| e["type"].as_str().unwrap()).collect();
    assert!(types.contains("racing.redmist.session.snapshot.v1"), "{types:?}");
    assert!(types.contains("racing.redmist.car.patched.v1"), "{types:?}");
    let car = messages
        .iter()
        .map(|(_, e)| e)
        .find(|e| e["type"] == "racing.redmist.car.patched.v1")
        .unwrap();
    let number = car["data"]["number"].as_str().expect("car patches carry the car number");
    assert_eq!(car["subject"], format!("events/42/cars/{number}"));
    assert_eq!(car["partitionkey"], format!("42/{number}"));

    let admin = format!("http://{}", app.admin_addr.unwrap());
    let http = reqwest::Client::new();
    eventually(WAIT, "readyz 200", || app.status.ready()).await;
    assert_eq!(http.get(format!("{admin}/readyz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{admin}/livez")).send().await.unwrap().status(), 200);
    let metrics = http.get(format!("{admin}/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "events_published_total",
        "frames_received_total",
        "invocations_received_total",
        "publish_latency_seconds",
        "queue_depth",
        "hub_state",
    ] {
        assert!(metrics.contains(&format!("signalr_bridge_{name}")), "{name} missing");
    }
    let status: serde_json::Value =
        http.get(format!("{admin}/status")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["hubs"][0]["state"], "subscribed");
    assert_eq!(status["hubs"][0]["subscriptions"][0]["last_result"], "ok");

    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);
    delete_stream(&js, &stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_resubscribes_refetches_snapshot_and_readiness_dips() {
    let sim = simulator(50, None).await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _out) = bridge_to_file(&sim, dir.path(), "", "").await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    let subscribes = |sim: &signalr_sim::Simulator| {
        sim.control()
            .invocations_received()
            .iter()
            .filter(|(m, _)| m == "SubscribeToEventV2")
            .count()
    };
    assert_eq!(subscribes(&sim), 1);
    let snapshots_before = counter(&app, "snapshots_total", &[("outcome", "ok")]);

    sim.control().drop_connections();
    eventually(WAIT, "readiness false after the drop", || !app.status.ready()).await;
    eventually(WAIT, "ready again", || app.status.ready()).await;
    assert_eq!(subscribes(&sim), 2, "every subscription is invoked again");
    let control = sim.control().invocations_received();
    let (_, args) = control.iter().find(|(m, _)| m == "SubscribeToControlLogs").unwrap();
    let args: serde_json::Value = serde_json::from_str(args).unwrap();
    assert_eq!(args, serde_json::json!([42, null]), "exact arity, explicit null");
    eventually(WAIT, "snapshot fetched again", || {
        counter(&app, "snapshots_total", &[("outcome", "ok")]) > snapshots_before
    })
    .await;
    assert!(counter(&app, "reconnects_total", &[("hub", "rm")]) >= 1);
    assert_eq!(app.status.hubs[0].snapshot().connects, 2);
    assert_eq!(counter(&app, "hub_gaps_total", &[("hub", "rm")]), 1, "a new connection is a gap");
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_is_a_clear_error_retried_until_the_token_file_is_fixed() {
    let sim = simulator(20, Some("good-token")).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "wrong-token\n").unwrap();
    let auth = format!("    auth: {{ bearer_token_file: '{}' }}\n", token.display());
    let (app, _out) = bridge_to_file(&sim, dir.path(), &auth, "").await;
    eventually(WAIT, "two refused attempts", || {
        counter(&app, "reconnects_total", &[("reason", "auth")]) >= 2
    })
    .await;
    let error = app.status.hubs[0].snapshot().last_error.unwrap_or_default();
    assert!(error.contains("credentials"), "{error}");
    assert!(!error.contains("wrong-token"), "no secret in status: {error}");
    assert!(!app.status.ready());

    std::fs::write(&token, "good-token\n").unwrap();
    eventually(WAIT, "ready with the fixed token", || app.status.ready()).await;
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_counted_and_nothing_received_is_lost() {
    let sim = simulator(20, None).await;
    let dir = tempfile::tempdir().unwrap();
    let (app, out) = bridge_to_file(&sim, dir.path(), "", "").await;
    eventually(WAIT, "ready", || app.status.ready()).await;

    let good = r#"{"type":1,"target":"ReceiveCarPatches","arguments":[[{"number":"999","overallPosition":3}]]}"#;
    let frames = [
        format!("{good}\u{1e}{{not json\u{1e}"),
        "{\"type\":1,\"target\":\"ReceiveCarPatches\",\"arguments\":[\"oops\"]}\u{1e}".to_string(),
        "{\"type\":1,\"target\":\"ReceiveCarPatches\"}\u{1e}".to_string(),
        "{\"type\":99}\u{1e}".to_string(),
        "{\"type\":1,\"target\":\"SomethingNew\",\"arguments\":[1]}\u{1e}".to_string(),
    ];
    for f in frames {
        sim.control().inject_raw(f);
    }
    eventually(WAIT, "decode errors counted", || {
        counter(&app, "decode_errors_total", &[("reason", "json")]) >= 1
            && counter(&app, "decode_errors_total", &[("reason", "argument_type")]) >= 1
            && counter(&app, "decode_errors_total", &[("reason", "missing_field")]) >= 1
            && counter(&app, "unknown_targets_total", &[("target", "SomethingNew")]) >= 1
    })
    .await;
    let published = counter(&app, "events_published_total", &[]);
    eventually(WAIT, "events keep flowing", || {
        counter(&app, "events_published_total", &[]) > published + 5
    })
    .await;
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "the session survived");
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);

    let events = lines(&out);
    assert!(
        events.iter().any(|e| e["subject"] == "events/42/cars/999"),
        "the good record before the bad one was kept"
    );
    assert!(events.iter().any(|e| e["type"] == "io.signalr_bridge.hub.invocation.v1"
        && e["data"]["target"] == "SomethingNew"));
    assert_eq!(events.len() as u64, report.delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_close_and_silence_reconnect_with_distinct_reasons() {
    let sim = simulator(0, None).await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _out) = bridge_to_file(&sim, dir.path(), "", "").await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    sim.control().close(true);
    eventually(WAIT, "close_allow_reconnect", || {
        counter(&app, "reconnects_total", &[("reason", "close_allow_reconnect")]) == 1
    })
    .await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    sim.control().close(false);
    eventually(WAIT, "close", || counter(&app, "reconnects_total", &[("reason", "close")]) == 1)
        .await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    sim.control().go_silent(Duration::from_secs(5));
    eventually(WAIT, "server_timeout", || {
        counter(&app, "reconnects_total", &[("reason", "server_timeout")]) >= 1
    })
    .await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_a_full_queue_into_the_file() {
    let sim = simulator(2000, None).await;
    let dir = tempfile::tempdir().unwrap();
    let (app, out) = bridge_to_file(&sim, dir.path(), "", "queue: { capacity: 4 }\n").await;
    eventually(WAIT, "some events", || counter(&app, "events_published_total", &[]) > 200).await;
    let metrics = app.metrics.clone();
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);
    let enqueued = metrics.counter_value("events_enqueued_total", &[]);
    assert_eq!(report.delivered, enqueued, "everything read was delivered");
    assert_eq!(lines(&out).len() as u64, enqueued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_profile_publishes_every_invocation() {
    let sim = simulator(100, None).await;
    let stream = unique("IT_GENERIC");
    let hub = format!(
        "  - name: gen\n    url: {}\n    subscriptions:\n      - {{ method: SubscribeToEventV2, arguments: [42] }}\n",
        sim.hub_url()
    );
    let app = start(config(&format!("hubs:\n{hub}{}", jetstream_sink(&stream)))).await;
    let js = jetstream().await;
    let messages = stream_messages(&js, &stream, 10, WAIT).await;
    for (_, e) in &messages {
        assert_eq!(e["type"], "io.signalr_bridge.hub.invocation.v1");
        assert_eq!(e["partitionkey"], "gen");
        assert!(e["data"]["arguments"].is_array());
    }
    assert!(
        app.status.hubs[0].snapshot().connection.unwrap().len() > 8,
        "negotiated connection id"
    );
    assert_eq!(app.shutdown().await.undelivered, 0);
    delete_stream(&js, &stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_that_comes_back_is_resubscribed_without_waiting_out_a_long_backoff() {
    let sim = simulator(50, None).await;
    let addr = sim.addr;
    let dir = tempfile::tempdir().unwrap();
    // The first retry would come only after a minute: what brings the hub back within the
    // test's wait is the bridge watching for the hub's port to accept connections again.
    let hub = format!(
        "  - name: rm
    url: {}
    skip_negotiation: true
    profile: redmist
    redmist: {{ event_ids: [42] }}
    reconnect: {{ initial_delay_ms: 60000, max_delay_ms: 60000, jitter: 0.0 }}
",
        sim.hub_url()
    );
    let app = start(config(&format!("hubs:\n{hub}{}", file_sink(&dir.path().join("e"), "")))).await;
    eventually(WAIT, "ready", || app.status.ready()).await;

    drop(sim); // the hub goes away entirely: its port refuses connections
    eventually(WAIT, "not ready while the hub is down", || !app.status.ready()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut back = None;
    for _ in 0..100 {
        let config = signalr_sim::SimulatorConfig {
            listen: addr,
            rate_per_sec: 50,
            cars: 8,
            event_id: 42,
            required_token: None,
        };
        match signalr_sim::Simulator::start(config).await {
            Ok(sim) => {
                back = Some(sim);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let sim = back.expect("the hub's port is free again");
    let returned = std::time::Instant::now();
    eventually(WAIT, "subscribed again, long before the backoff ends", || app.status.ready()).await;
    // A figure for BENCHMARKS.md (`-- --nocapture`), not a check: timing varies with the host.
    eprintln!("subscriptions back {:?} after the hub returned", returned.elapsed());
    let subscribed =
        sim.control().invocations_received().iter().any(|(m, _)| m == "SubscribeToEventV2");
    assert!(subscribed, "the returning hub got the subscription");
    assert_eq!(app.shutdown().await.undelivered, 0);
}
