//! The bridge against the simulator through our own fault proxy on the hub side: frames cut into
//! 7-byte writes and delayed, the connection reset mid-stream, and traffic held until the bridge
//! calls the hub silent. Nothing may be misread, and each fault ends in a working connection.

use std::collections::HashSet;
use std::time::Duration;

use crate::fault_proxy::FaultProxy;
use crate::support::*;

const WAIT: Duration = Duration::from_secs(20);

/// The YAML of one RedMist hub reached through `proxy`, with short timers.
fn proxied_hub(proxy: &FaultProxy) -> String {
    format!(
        "  - name: rm
    url: http://{}/status/event-status
    skip_negotiation: true
    profile: redmist
    redmist: {{ event_ids: [42] }}
    keepalive_interval_secs: 1
    server_timeout_secs: 3
    reconnect: {{ initial_delay_ms: 300, max_delay_ms: 1000 }}
",
        proxy.addr
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sliced_delayed_reset_and_held_hub_traffic_is_read_right_and_recovered() {
    let sim = simulator(100, None).await;
    let proxy = FaultProxy::start(sim.addr).await;
    proxy.slice(7);
    proxy.delay(Duration::from_millis(1));
    let hub = proxied_hub(&proxy);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let app = start(config(&format!("hubs:\n{hub}{}", crate::file_sink(&out, "")))).await;
    let published = || counter(&app, "events_published_total", &[]);
    let decode_errors = || counter(&app, "decode_errors_total", &[]);
    eventually(WAIT, "events through a slicing proxy", || published() > 100).await;
    assert_eq!(decode_errors(), 0, "every frame reassembled from 7-byte pieces");

    proxy.drop_connections(true); // TCP reset mid-stream
    eventually(WAIT, "a new connection", || app.status.hubs[0].snapshot().connects == 2).await;
    let before = published();
    eventually(WAIT, "events again", || published() > before + 50).await;

    proxy.pause(); // bytes held both ways: the bridge hears nothing
    let silent = || counter(&app, "reconnects_total", &[("reason", "server_timeout")]);
    eventually(WAIT, "the silence noticed", || silent() >= 1).await;
    proxy.resume();
    let before = published();
    eventually(WAIT, "events after the silence", || published() > before + 50).await;
    assert_eq!(decode_errors(), 0, "nothing misread through any fault");

    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);
    let text = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "no event twice");
}

/// The hub connection breaks while the hub waits for room in a full queue (the broker held):
/// its keepalive ping fails, yet every event it had read must still reach the broker, and the
/// hub reconnects once they are queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_read_before_a_failed_ping_under_backpressure_are_delivered() {
    let sim = simulator(200, None).await;
    let hub_side = FaultProxy::start(sim.addr).await;
    let broker_side = FaultProxy::start("127.0.0.1:4222".parse().unwrap()).await;
    let stream = unique("PINGFAIL");
    let yaml = format!(
        "hubs:
{hub}{sink}queue: {{ capacity: 2 }}
admin: {{ listen: '127.0.0.1:0' }}
shutdown: {{ grace_period_secs: 10 }}
",
        hub = proxied_hub(&hub_side),
        sink = proxied_jetstream_sink(broker_side.addr, &stream, 4),
    );
    let app = start(config(&yaml)).await;
    let published = || counter(&app, "events_published_total", &[]);
    eventually(WAIT, "events flowing", || published() > 20).await;

    broker_side.pause(); // the window and the 2-event queue fill; the hub holds what it read
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hub_side.drop_connections(true);
    tokio::time::sleep(Duration::from_millis(2500)).await; // a keepalive ping hits the reset
    broker_side.resume();
    eventually(WAIT, "a new hub connection", || app.status.hubs[0].snapshot().connects == 2).await;
    let before = published();
    eventually(WAIT, "events again", || published() > before + 20).await;

    let metrics = app.metrics.clone();
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);
    let enqueued = metrics.counter_value("events_enqueued_total", &[]);
    let js = jetstream().await;
    let stored = stream_messages(&js, &stream, enqueued, WAIT).await;
    let ids: HashSet<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), stored.len(), "no event twice");
    assert_eq!(stored.len() as u64, enqueued, "every event read from the hub, none lost");
    delete_stream(&js, &stream).await;
}
