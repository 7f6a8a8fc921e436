//! A broker that is down when the bridge starts: the bridge starts anyway (admin server first,
//! hubs connected and subscribed, events waiting in the queue and, with one, the spool), says
//! why it is not ready, and publishes everything in order once the broker answers, 30 s later.
//! Both sinks: JetStream through a fault proxy to the shared server (memory queue only), Kafka
//! through one to a tansu of the test's own (a small queue that spills to the spool).

use std::time::{Duration, Instant};

use signalr_bridge::app::App;
use signalr_bridge::status::AppStatus;
use signalr_bridge::telemetry::{HubState, Metrics};

use crate::child::{embedded_redmist, free_port, metric, KillOnDrop};
use crate::fault_proxy::FaultProxy;
use crate::support::{
    config, counter, eventually, jetstream, proxied_jetstream_sink, redmist_hub, simulator, start,
    unique,
};

/// Events the hub must have queued before the broker may come.
const EVENTS: u64 = 5_000;
/// How long the broker stays away after the bridge started.
const DOWN_FOR: Duration = Duration::from_secs(30);
/// Simulator ticks per second: about 280 car patches per second, so 5,000 are queued in
/// about 18 s and the memory queue (10,000) never fills in 30 s.
const TICKS: u32 = 200;

async fn get(app: &App, path: &str) -> (u16, String) {
    let url = format!("http://{}{path}", app.admin_addr.expect("admin server on"));
    let response = reqwest::get(url).await.expect("the admin server answers");
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Starts the bridge with the broker refusing connections, checks what it shows while it
/// waits, lets the broker in after [`DOWN_FOR`], and waits until everything queued is
/// delivered. Returns how many events the hub produced.
async fn broker_comes_late(yaml: String, proxy: &FaultProxy, sink: &str) -> u64 {
    proxy.refuse(true);
    let started = Instant::now();
    let app = start(config(&yaml)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{sink}: start waited for the broker");
    let enqueued = |app: &App| counter(app, "events_enqueued_total", &[]);
    let published = |app: &App| counter(app, "events_published_total", &[]);
    eventually(Duration::from_secs(60), "5,000 events queued", || enqueued(&app) >= EVENTS).await;

    assert_eq!(get(&app, "/livez").await.0, 200, "{sink}: alive while the broker is down");
    let (code, why) = get(&app, "/readyz").await;
    assert_eq!(code, 503, "{sink}");
    assert!(why.contains("sink never connected"), "{sink}: /readyz says {why}");
    assert_eq!(app.status.hubs[0].snapshot().state, HubState::Subscribed, "{sink}");
    let failures = [("sink", sink), ("reason", "unreachable")];
    assert!(counter(&app, "sink_connect_failures_total", &failures) > 0, "{sink}");
    let metrics = get(&app, "/metrics").await.1;
    assert!(metrics.contains("signalr_bridge_sink_connected 0"), "{sink}");
    let zero = format!("signalr_bridge_undelivered_total{{sink=\"{sink}\"}} 0");
    assert!(metrics.contains(&zero), "{sink}: undelivered exists at zero");
    let reconnects = "signalr_bridge_reconnects_total{hub=\"rm\",reason=\"transport\"} 0";
    assert!(metrics.contains(reconnects), "{sink}: reconnects exist at zero");
    let capacity = app.metrics.render().contains("signalr_bridge_queue_capacity ");
    assert!(
        capacity && metrics.contains("signalr_bridge_queue_depth "),
        "{sink}: an alert can take the ratio"
    );
    assert_eq!(published(&app), 0, "{sink}");

    tokio::time::sleep(DOWN_FOR.saturating_sub(started.elapsed())).await;
    proxy.refuse(false);
    let backlog = enqueued(&app);
    let caught_up = || published(&app) >= backlog;
    eventually(Duration::from_secs(120), "the backlog delivered", caught_up).await;
    eventually(Duration::from_secs(30), "ready", || app.status.ready()).await;
    assert_eq!(get(&app, "/readyz").await.0, 200, "{sink}");
    let metrics = app.metrics.clone();
    let report = app.shutdown().await;
    assert_eq!((report.undelivered, report.lost), (0, 0), "{sink}");
    metrics.counter_value("events_enqueued_total", &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_down_at_start_loses_nothing_and_keeps_order() {
    let sim = simulator(TICKS, None).await;
    let nats = FaultProxy::start("127.0.0.1:4222".parse().unwrap()).await;
    let stream = unique("LATE");
    let yaml = format!(
        "hubs:\n{}{}admin: {{ listen: '127.0.0.1:0' }}
",
        redmist_hub("rm", &sim, ""),
        proxied_jetstream_sink(nats.addr, &stream, 256),
    );
    let enqueued = broker_comes_late(yaml, &nats, "jetstream").await;
    assert!(enqueued >= EVENTS);
    let js = jetstream().await;
    crate::order::check(&crate::order::jetstream_events(&js, &stream).await, enqueued);
    let _ = js.delete_stream(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_down_at_start_loses_nothing_and_keeps_order() {
    let kafka = crate::proxied_kafka::ProxiedKafka::start().await;
    let sim = simulator(TICKS, None).await;
    let topic = unique("late");
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "hubs:\n{}{}queue: {{ capacity: 1000, spool: {{ dir: '{}', fsync: never }} }}
admin: {{ listen: '127.0.0.1:0' }}
",
        redmist_hub("rm", &sim, ""),
        crate::kafka::sink_yaml(&kafka.brokers, &topic),
        dir.path().display()
    );
    let enqueued = broker_comes_late(yaml, &kafka.proxy, "kafka").await;
    assert!(enqueued >= EVENTS);
    kafka.check(&topic, enqueued);
}

/// The bridge binary on an embedded simulator, publishing to NATS at `nats` (`extra` appended
/// to the config), with its admin server on `admin`.
fn bridge_binary(dir: &std::path::Path, nats: &str, admin: u16, extra: &str) -> KillOnDrop {
    let sim = free_port();
    let yaml = format!(
        "{}sink:
  kind: nats
  nats: {{ url: '{nats}', mode: jetstream, subject_template: 'late.{{hub}}' }}
admin: {{ listen: '127.0.0.1:{admin}' }}
shutdown: {{ grace_period_secs: 2 }}
log: {{ format: json }}
{extra}",
        embedded_redmist(sim, 50, "rm")
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, yaml).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_signalr-bridge"))
        .args(["run", "--config"])
        .arg(&path)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map(KillOnDrop::new)
        .expect("the bridge starts")
}

/// Waits (at most 30 s) until the bridge's `/metrics` shows queued events and `/readyz` says
/// the sink never connected.
async fn waiting_for_the_broker(admin: u16) {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = reqwest::get(format!("http://127.0.0.1:{admin}/readyz")).await;
        let why = match ready {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let read = metric(admin, "events_enqueued_total").await;
        if read >= 3 && why.contains("sink never connected") {
            return;
        }
        assert!(Instant::now() < give_up, "the bridge never got to waiting for its broker");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGTERM to `child`, then its exit code and everything it logged; it must be gone within
/// the 2 s grace period plus a margin.
fn terminate(mut child: KillOnDrop) -> (Option<i32>, String) {
    let pid = child.get().id().to_string();
    let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let out = child.take().wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "SIGTERM ended it within the grace");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn sigterm_while_waiting_for_the_broker_keeps_or_reports_what_is_left() {
    // Nothing listens here: the broker is down for the whole run.
    let dead = format!("nats://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();

    // No spool and a queue of 2: the hub soon waits for room, holding what it read.
    let admin = free_port();
    let child = bridge_binary(dir.path(), &dead, admin, "queue: { capacity: 2 }\n");
    waiting_for_the_broker(admin).await;
    let (code, log) = terminate(child);
    assert_eq!(code, Some(signalr_bridge::app::EXIT_LOST.into()), "no spool: lost, {log}");
    assert!(log.contains("Hard stop: events lost."), "{log}");
    let pending = "Events not yet delivered at the start of the shutdown.";
    assert!(log.contains(pending), "the shutdown says what is pending: {log}");
    let held = "Events read from hubs after the queue closed were lost.";
    assert!(log.contains(held), "what the waiting hub held is counted: {log}");

    let spool = dir.path().join("spool");
    let extra = format!("queue: {{ spool: {{ dir: '{}' }} }}\n", spool.display());
    let admin = free_port();
    let child = bridge_binary(dir.path(), &dead, admin, &extra);
    waiting_for_the_broker(admin).await;
    let (code, log) = terminate(child);
    assert_eq!(code, Some(0), "with a spool nothing is lost: {log}");
    assert!(log.contains("Undelivered events are in the spool for the next start."), "{log}");
}

#[tokio::test]
async fn a_broker_that_refuses_the_credentials_stops_the_bridge_with_exit_78() {
    let port = free_port();
    let server = std::process::Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "--user", "bridge", "--pass", "right"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(KillOnDrop::new)
        .expect("nats-server on PATH (scripts/test installs it)");
    let wrong = format!("nats://bridge:wrong@127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let mut child = bridge_binary(dir.path(), &wrong, free_port(), "");
    let (code, log) = child.exits_within(Duration::from_secs(30)).await;
    drop(server);
    assert_eq!(code, Some(78), "{log}");
    assert!(log.contains("fix: check the sink's credentials"), "{log}");
    assert!(!log.contains("wrong"), "the password never reaches the log: {log}");
}

#[tokio::test]
async fn a_stream_the_server_refuses_ends_the_wait_for_good() {
    use async_nats::jetstream::stream::Config as StreamConfig;
    use signalr_bridge::sink::{until_connected, SinkError};
    let js = jetstream().await;
    let taken = unique("TAKEN");
    let subjects = vec![format!("{taken}.>")];
    js.create_stream(StreamConfig { name: taken.clone(), subjects, ..Default::default() })
        .await
        .unwrap();
    // Another stream for the same subjects: JetStream refuses it (subjects overlap).
    let sink = format!(
        "sink:
  kind: nats
  nats:
    url: nats://127.0.0.1:4222
    mode: jetstream
    subject_template: '{taken}.{{hub}}'
    stream: {{ name: {}, subjects: ['{taken}.>'] }}
",
        unique("MINE")
    );
    let config = config(&format!("hubs:\n  - name: a\n    url: http://127.0.0.1:1/hub\n{sink}"));
    let (status, metrics) = (AppStatus::default(), Metrics::new());
    let stop = tokio_util::sync::CancellationToken::new();
    let result = until_connected(&config.sink, &status, &metrics, &stop).await;
    let _ = js.delete_stream(&taken).await;
    let error = result.err().expect("refused");
    assert!(matches!(error, SinkError::Stream(_)) && error.is_permanent(), "{error}");
    let stream = [("sink", "jetstream"), ("reason", "stream")];
    assert_eq!(metrics.counter_value("sink_connect_failures_total", &stream), 1);
    assert!(status.not_ready().unwrap().contains("sink never connected"));
}

#[tokio::test]
async fn a_second_bridge_on_the_same_spool_refuses_to_start() {
    let dead = format!("nats://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let extra = format!("queue: {{ spool: {{ dir: '{}' }} }}\n", spool.display());
    let admin = free_port();
    let first = bridge_binary(dir.path(), &dead, admin, &extra);
    waiting_for_the_broker(admin).await;
    let mut second = bridge_binary(dir.path(), &dead, free_port(), &extra);
    let (code, log) = second.exits_within(Duration::from_secs(20)).await;
    assert_eq!(code, Some(78), "{log}");
    assert!(log.contains("is in use by another process"), "{log}");
    let (code, log) = terminate(first);
    assert_eq!(code, Some(0), "the first one is unharmed and keeps its spool: {log}");
}
