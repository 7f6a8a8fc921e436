//! Test support: the simulator hub, the bridge in-process with a config written as YAML, and a
//! real NATS JetStream stream per test. Also included by `tests/outage/`.
#![allow(dead_code)]

use std::io::Write;
use std::time::Duration;

use async_nats::jetstream;
use signalr_bridge::app::App;
use signalr_bridge::config::{self, Config};
use signalr_sim::Simulator;
use signalr_sim::SimulatorConfig;

pub const NATS_URL: &str = "nats://127.0.0.1:4222";

/// A simulator on a free loopback port.
pub async fn simulator(rate_per_sec: u32, required_token: Option<&str>) -> Simulator {
    Simulator::start(SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec,
        cars: 8,
        event_id: 42,
        required_token: required_token.map(config::Secret::new),
    })
    .await
    .expect("simulator starts")
}

/// A unique name for streams and subjects.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Loads a config from YAML text through the real loader (no environment overrides).
pub fn config(yaml: &str) -> Config {
    let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    f.write_all(yaml.as_bytes()).unwrap();
    config::load(Some(f.path()), Vec::new()).expect("test config is valid")
}

/// The YAML of one RedMist hub pointed at `sim`, with short timers for tests.
pub fn redmist_hub(name: &str, sim: &Simulator, extra: &str) -> String {
    format!(
        "  - name: {name}
    url: {url}
    skip_negotiation: true
    profile: redmist
    redmist: {{ event_ids: [42], control_logs: true }}
    keepalive_interval_secs: 1
    server_timeout_secs: 3
    handshake_timeout_secs: 5
    reconnect: {{ initial_delay_ms: 300, max_delay_ms: 1000 }}
{extra}",
        url = sim.hub_url()
    )
}

/// A JetStream sink section writing to its own stream.
pub fn jetstream_sink(stream: &str) -> String {
    format!(
        "sink:
  kind: nats
  nats:
    url: {NATS_URL}
    mode: jetstream
    subject_template: '{stream}.{{hub}}.{{type}}'
    stream: {{ name: {stream}, subjects: ['{stream}.>'] }}
admin: {{ listen: '127.0.0.1:0' }}
shutdown: {{ grace_period_secs: 5 }}
"
    )
}

/// The `sink:` section of a JetStream sink reached through `proxy` (an address in front of the
/// shared server), writing to its own `stream` with `window` publishes in flight; acks time out
/// after 1 s so outages show fast.
pub fn proxied_jetstream_sink(proxy: std::net::SocketAddr, stream: &str, window: u32) -> String {
    format!(
        "sink:
  kind: nats
  max_in_flight: {window}
  nats:
    url: nats://{proxy}
    mode: jetstream
    ack_timeout_secs: 1
    subject_template: '{stream}.{{hub}}'
    stream: {{ name: {stream}, subjects: ['{stream}.>'] }}
"
    )
}

pub async fn jetstream() -> jetstream::Context {
    let client = async_nats::connect(NATS_URL)
        .await
        .expect("NATS on 127.0.0.1:4222 (scripts/test starts one)");
    jetstream::new(client)
}

/// Waits until `check` holds, polling; panics with `what` after `limit`.
pub async fn eventually<F: FnMut() -> bool>(limit: Duration, what: &str, mut check: F) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the stream holds at least `n` messages, then returns them all as JSON envelopes
/// with their `Nats-Msg-Id` headers.
pub async fn stream_messages(
    js: &jetstream::Context,
    stream: &str,
    n: u64,
    limit: Duration,
) -> Vec<(String, serde_json::Value)> {
    let deadline = tokio::time::Instant::now() + limit;
    // The bridge creates the stream once its sink has connected, in the background.
    let mut s = loop {
        match js.get_stream(stream).await {
            Ok(s) => break s,
            Err(e) => assert!(tokio::time::Instant::now() < deadline, "stream {stream}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    loop {
        let count = s.info().await.unwrap().state.messages;
        if count >= n {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stream {stream} has {count} < {n} messages"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let last = s.info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for seq in 1..=last {
        let msg = s.get_raw_message(seq).await.expect("message by sequence");
        let id = msg.headers.get("Nats-Msg-Id").map(|v| v.to_string()).unwrap_or_default();
        out.push((id, serde_json::from_slice(&msg.payload).expect("payload is JSON")));
    }
    out
}

pub async fn delete_stream(js: &jetstream::Context, stream: &str) {
    let _ = js.delete_stream(stream).await;
}

pub async fn start(config: Config) -> App {
    App::start(config).await.expect("bridge starts")
}

/// Shuts `app` down while its one hub, `hub`, is resuming a lost transport, and checks that the
/// lost transport was the only reconnect: the shutdown is not one, and starts no backoff.
pub async fn shut_down_while_resuming(app: App, hub: &str) {
    let (metrics, status) = (app.metrics.clone(), app.status.clone());
    assert_eq!(app.shutdown().await.undelivered, 0);
    let reconnects = metrics.counter_value("reconnects_total", &[("hub", hub)]);
    assert_eq!(reconnects, 1, "the lost transport is the only reconnect; shutdown is not one");
    let view = status.hubs[0].snapshot();
    assert_eq!(view.state, signalr_bridge::telemetry::HubState::Stopped);
    assert_eq!(view.retry_at, None, "no backoff was started for the shutdown");
}

pub fn counter(app: &App, name: &str, labels: &[(&str, &str)]) -> u64 {
    app.metrics.counter_value(name, labels)
}
