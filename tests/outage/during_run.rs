//! Broker outages end to end: the simulator feeds the bridge steadily while a fault proxy cuts
//! the bridge from its broker (connections reset, new ones refused), then lets it back. The hub
//! must stay connected (the spool absorbs what memory cannot hold), and afterwards every event
//! must be in the broker once, in order per partition key.
//!
//! The default run cuts the broker for 5 s at about 1,400 events/s;
//! `SIGNALR_BRIDGE_LONG_TESTS=1` makes it 60 s at about 5,000 events/s (the figures in
//! BENCHMARKS.md, with `--release -- --nocapture` to see them). NATS JetStream is the shared server on 127.0.0.1:4222; Kafka is a
//! tansu of this test's own (from the venv `scripts/test` makes), advertised at the proxy.

use std::time::{Duration, Instant};

use crate::fault_proxy::FaultProxy;
use crate::order::{self, check};
use crate::support::{
    config, counter, eventually, jetstream, proxied_jetstream_sink, redmist_hub, simulator, start,
    unique,
};

fn long() -> bool {
    std::env::var_os("SIGNALR_BRIDGE_LONG_TESTS").is_some()
}

/// Simulator ticks per second: about 5,000 car-patch events per second in the long run, about
/// 1,400 in the default one (a debug build catches up on 2 shared cores in seconds).
fn feed_ticks() -> u32 {
    if long() {
        3_500
    } else {
        1_000
    }
}

fn outage() -> Duration {
    Duration::from_secs(if long() { 60 } else { 5 })
}

/// The queue and spool settings under test: a small memory queue, so the outage must spill.
fn queue(dir: &std::path::Path) -> String {
    format!(
        "queue: {{ capacity: 1000, spool: {{ dir: '{}', fsync: never }} }}
admin: {{ listen: '127.0.0.1:0' }}
shutdown: {{ grace_period_secs: 120 }}
",
        dir.display()
    )
}

/// Runs the feed, the outage and the recovery; returns what the bridge enqueued.
async fn scenario(yaml: String, proxy: &FaultProxy, name: &str) -> u64 {
    let app = start(config(&yaml)).await;
    let published = |app: &signalr_bridge::app::App| counter(app, "events_published_total", &[]);
    eventually(Duration::from_secs(30), "events flowing", || published(&app) > 500).await;

    proxy.refuse(true);
    proxy.drop_connections(true);
    let cut = Instant::now();
    let enqueued = |app: &signalr_bridge::app::App| counter(app, "events_enqueued_total", &[]);
    let before = enqueued(&app);
    tokio::time::sleep(outage()).await;
    let during = enqueued(&app) - before;
    proxy.refuse(false);
    let spooled = counter(&app, "spooled_events_total", &[]);
    assert!(spooled > 0, "{name}: the outage spilled to disk");
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "{name}: the hub never dropped");
    // The backlog drains at what the sink's window allows while the feed goes on. Caught up:
    // everything enqueued before the broker returned is delivered. (Not "published equals
    // enqueued": under a steady feed some events are always in flight.)
    let backlog = enqueued(&app);
    let give_up = Instant::now() + outage() * 5 + Duration::from_secs(60);
    while published(&app) < backlog {
        if Instant::now() > give_up {
            panic!(
                "{name}: not caught up: {} published of the {backlog} enqueued before the \
                 broker returned ({} enqueued now); metrics:\n{}",
                published(&app),
                enqueued(&app),
                app.metrics
                    .render()
                    .lines()
                    .filter(|l| l.contains("failed") || l.contains("spool"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let caught_up = cut.elapsed();
    let metrics = app.metrics.clone();
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0, "{name}");
    let enqueued = metrics.counter_value("events_enqueued_total", &[]);
    eprintln!(
        "{name}: {:.0} s outage, {spooled} events spooled, caught up {:.1} s after the cut, \
         {} events in all, {:.0} events/s offered during the outage",
        outage().as_secs_f64(),
        caught_up.as_secs_f64(),
        report.delivered,
        during as f64 / outage().as_secs_f64()
    );
    enqueued
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jetstream_outage_loses_nothing_and_keeps_order() {
    let sim = simulator(feed_ticks(), None).await;
    let nats = FaultProxy::start("127.0.0.1:4222".parse().unwrap()).await;
    let stream = unique("OUTAGE");
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "hubs:\n{}{}{}",
        redmist_hub("rm", &sim, ""),
        proxied_jetstream_sink(nats.addr, &stream, 256),
        queue(dir.path())
    );
    let enqueued = scenario(yaml, &nats, "jetstream").await;
    let js = jetstream().await;
    check(&order::jetstream_events(&js, &stream).await, enqueued);
    let _ = js.delete_stream(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kafka_outage_loses_nothing_and_keeps_order() {
    let kafka = crate::proxied_kafka::ProxiedKafka::start().await;
    let sim = simulator(feed_ticks(), None).await;
    let topic = unique("outage");
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "hubs:\n{}{}{}",
        redmist_hub("rm", &sim, ""),
        crate::kafka::sink_yaml(&kafka.brokers, &topic),
        queue(dir.path())
    );
    let enqueued = scenario(yaml, &kafka.proxy, "kafka").await;
    kafka.check(&topic, enqueued);
}
