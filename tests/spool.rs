//! The queue's disk spool against a real broker outage: NATS JetStream on 127.0.0.1:4222 behind
//! a proxy the test stops. Hubs are stood in for by offers on the queue, as the hub tasks make
//! them; the publisher is the real one.

mod support;

use std::path::Path;
use std::sync::Arc;

use signalr_bridge::config::WhenFull;
use signalr_bridge::progress::OpState;
use signalr_bridge::queue::{self, QueueTx, Refused, Spill};
use signalr_bridge::sink::{run_publisher, PublisherReport, Sink};
use signalr_bridge::spool::{Fsync, Spool, SpoolOptions};
use signalr_bridge::status::AppStatus;
use signalr_bridge::telemetry::Metrics;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use support::{data_n, event, proxied_sink, read_stream, wait_until, Proxy, Scope, NATS_URL};

fn options(dir: &Path, max_bytes: u64) -> SpoolOptions {
    SpoolOptions {
        dir: dir.to_path_buf(),
        max_bytes,
        segment_bytes: 16 * 1024,
        fsync: Fsync::Never,
    }
}

struct Bridge {
    tx: QueueTx,
    metrics: Arc<Metrics>,
    status: Arc<AppStatus>,
    publisher: JoinHandle<PublisherReport>,
    hard_stop: CancellationToken,
}

/// A publisher on `sink` behind a queue of 4 events in memory spilling to a spool in `dir`.
fn start(sink: Sink, dir: &Path, max_bytes: u64, when_full: WhenFull) -> Bridge {
    let metrics = Arc::new(Metrics::new());
    let status = Arc::new(AppStatus::default());
    let (spool, _) = Spool::open(options(dir, max_bytes)).unwrap();
    let spill =
        Spill::new(spool, when_full, metrics.clone()).with_progress(status.progress.clone());
    let (tx, rx) = queue::channel(4, Some(spill));
    let hard_stop = CancellationToken::new();
    let publisher =
        tokio::spawn(run_publisher(sink, rx, metrics.clone(), status.clone(), hard_stop.clone()));
    Bridge { tx, metrics, status, publisher, hard_stop }
}

impl Bridge {
    fn counter(&self, name: &str) -> u64 {
        self.metrics.counter_value(name, &[])
    }
}

/// A bridge on a proxied JetStream sink with a spool in `dir`, its first 3 events delivered.
async fn flowing(scope: &Scope, dir: &Path) -> (Proxy, Bridge) {
    let (proxy, sink) = proxied_sink(scope).await;
    let bridge = start(sink, dir, 64 << 20, WhenFull::Block);
    for n in 1..=3 {
        bridge.tx.send(event(&scope.conn, n, "k")).await.unwrap();
    }
    wait_until(|| bridge.counter("events_published_total") == 3).await;
    (proxy, bridge)
}

fn gauge(metrics: &Metrics, name: &str) -> i64 {
    let text = metrics.render();
    let line = text.lines().find(|l| l.starts_with(&format!("signalr_bridge_{name} ")));
    line.and_then(|l| l.rsplit(' ').next()?.parse().ok()).expect("gauge present")
}

/// The spool replay's state, count and total as `/status` shows them.
fn replay(status: &AppStatus) -> Option<(OpState, u64, Option<u64>)> {
    let views = status.progress.views();
    let view = views.iter().find(|v| v.name == "spool_replay")?;
    Some((view.state, view.done, view.total))
}

fn segments(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "seg"))
        .count()
}

#[tokio::test]
async fn an_outage_spills_to_disk_without_pausing_hubs_and_every_event_arrives_in_order() {
    let scope = Scope::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (proxy, bridge) = flowing(&scope, dir.path()).await;

    proxy.stop();
    wait_until(|| !bridge.status.sink_connected()).await;
    // The broker is gone and memory holds 4 events, yet every offer is taken at once.
    for n in 4..=2_000 {
        bridge.tx.offer(event(&scope.conn, n, "k")).map_err(|_| n).expect("taken at once");
    }
    assert!(bridge.counter("spooled_events_total") > 1_900);
    assert!(segments(dir.path()) > 1, "spooled events are on disk");
    assert!(gauge(&bridge.metrics, "spool_events") > 1_900);

    let _back = Proxy::start_at(NATS_URL, proxy.addr).await;
    let metrics = bridge.metrics.clone();
    let status = bridge.status.clone();
    drop(bridge.tx);
    let report = bridge.publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 2_000, undelivered: 0, lost: 0 });
    // The replay after the outage was an operation with progress, done once the spool emptied.
    let (state, done, total) = replay(&status).expect("the replay is reported");
    assert_eq!(state, OpState::Done);
    assert!(done > 900 && Some(done) == total, "{done} of {total:?}");
    let ns: Vec<u64> =
        read_stream(&scope.js, &scope.stream, 2_000).await.iter().map(data_n).collect();
    assert_eq!(ns, (1..=2_000).collect::<Vec<u64>>(), "every event once, in order");
    assert_eq!(segments(dir.path()), 0, "acknowledged segments are deleted");
    assert_eq!(gauge(&metrics, "spool_events"), 0);
    scope.delete().await;
}

#[tokio::test]
async fn a_spool_left_by_a_crash_is_published_first_and_a_torn_tail_is_cut() {
    let scope = Scope::new().await;
    let dir = tempfile::tempdir().unwrap();
    {
        // What a run killed during an outage leaves: spooled events, the last write torn.
        let (mut spool, _) = Spool::open(options(dir.path(), 64 << 20)).unwrap();
        for n in 1..=300 {
            spool.append(&event(&scope.conn, n, "k")).unwrap();
        }
    }
    let files = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path());
    let newest = files.filter(|p| p.extension().is_some_and(|x| x == "seg")).max().unwrap();
    let len = std::fs::metadata(&newest).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&newest).unwrap().set_len(len - 5).unwrap();

    let sink = Sink::connect(&scope.config(signalr_bridge::config::NatsMode::Jetstream, true, 8))
        .await
        .unwrap();
    let bridge = start(sink, dir.path(), 64 << 20, WhenFull::Block);
    // New events after the restart come after the recovered ones.
    for n in 1_001..=1_010 {
        bridge.tx.send(event(&scope.conn, n, "k")).await.unwrap();
    }
    drop(bridge.tx);
    let report = bridge.publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 309, undelivered: 0, lost: 0 });
    let ns: Vec<u64> =
        read_stream(&scope.js, &scope.stream, 309).await.iter().map(data_n).collect();
    let want: Vec<u64> = (1..=299).chain(1_001..=1_010).collect();
    assert_eq!(ns, want, "the torn last event is cut; the rest in order, recovered first");
    let replayed = replay(&bridge.status).expect("a spool left by an earlier run is a replay");
    assert_eq!(replayed.0, OpState::Done);
    assert!(replayed.1 >= 299, "{replayed:?}");
    scope.delete().await;
}

#[tokio::test]
async fn a_full_spool_blocks_by_default_and_drop_oldest_keeps_the_newest() {
    let scope = Scope::new().await;
    let (blocked_dir, dropping_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (proxy, sink) = proxied_sink(&scope).await;
    let blocking = start(sink, blocked_dir.path(), 40 * 1024, WhenFull::Block);
    proxy.stop();
    let mut taken = 0;
    for n in 1..=5_000 {
        match blocking.tx.offer(event(&scope.conn, n, "k")) {
            Ok(()) => taken += 1,
            Err(Refused::Full(_)) => break,
            Err(Refused::Closed) => panic!("publisher gone"),
        }
    }
    assert!(taken > 10 && taken < 5_000, "a bounded spool refuses once full: took {taken}");
    assert_eq!(blocking.counter("spool_dropped_events_total"), 0);

    let (proxy, sink) = proxied_sink(&scope).await;
    let dropping = start(sink, dropping_dir.path(), 40 * 1024, WhenFull::DropOldest);
    proxy.stop();
    wait_until(|| !dropping.status.sink_connected()).await;
    for n in 1..=5_000 {
        dropping.tx.offer(event(&scope.conn, n, "k")).map_err(|_| n).expect("never refused");
    }
    let dropped = dropping.counter("spool_dropped_events_total");
    assert!(dropped > 0, "the oldest segments went");

    let _back = Proxy::start_at(NATS_URL, proxy.addr).await;
    drop(dropping.tx);
    let report = dropping.publisher.await.unwrap();
    assert_eq!(report.delivered + dropped, 5_000, "only what was dropped is missing");
    let count = report.delivered as usize;
    let ns: Vec<u64> =
        read_stream(&scope.js, &scope.stream, count).await.iter().map(data_n).collect();
    assert_eq!(ns.len(), count);
    assert!(ns.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(ns.last(), Some(&5_000), "the newest kept");
    scope.delete().await;
}

#[tokio::test]
async fn a_hard_stop_during_an_outage_keeps_memory_and_in_flight_events_for_the_restart() {
    let scope = Scope::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (proxy, bridge) = flowing(&scope, dir.path()).await;
    proxy.stop();
    for n in 4..=100 {
        bridge.tx.offer(event(&scope.conn, n, "k")).map_err(|_| n).expect("taken");
    }
    wait_until(|| bridge.counter("publish_failed_total") > 0).await;
    // The grace period ran out with the broker still away: events in flight and in memory are
    // older than the spooled ones, and must come back in front of them.
    bridge.hard_stop.cancel();
    let metrics = bridge.metrics.clone();
    let report = bridge.publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 3, undelivered: 97, lost: 0 });
    let undelivered = metrics.counter_value("undelivered_total", &[]);
    assert_eq!(undelivered, 97, "counted, but kept on disk");
    // The process ends: its hold on the spool directory with it.
    drop(bridge.tx);

    let sink = Sink::connect(&scope.config(signalr_bridge::config::NatsMode::Jetstream, false, 8))
        .await
        .unwrap();
    let restarted = start(sink, dir.path(), 64 << 20, WhenFull::Block);
    drop(restarted.tx);
    let report = restarted.publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 97, undelivered: 0, lost: 0 });
    let ns: Vec<u64> =
        read_stream(&scope.js, &scope.stream, 100).await.iter().map(data_n).collect();
    assert_eq!(ns, (1..=100).collect::<Vec<u64>>(), "nothing lost, in order");
    scope.delete().await;
}

#[tokio::test]
async fn check_config_warns_when_an_existing_streams_window_is_shorter_than_the_spool_needs() {
    let scope = Scope::new().await;
    // The stream exists already, with a 60 s window (what the test scope configures).
    Sink::connect(&scope.config(signalr_bridge::config::NatsMode::Jetstream, true, 4))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    let config = format!(
        "hubs: [{{ name: h, url: 'http://127.0.0.1:1/hub' }}]
sink:
  kind: nats
  nats:
    url: nats://{NATS_URL}
    mode: jetstream
    subject_template: '{prefix}.{{hub}}'
    stream: {{ name: {stream}, subjects: ['{prefix}.>'] }}
queue:
  spool: {{ dir: '{spool}', max_outage_secs: 1800 }}
",
        prefix = scope.prefix,
        stream = scope.stream,
        spool = dir.path().join("spool").display()
    );
    std::fs::write(&path, config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_signalr-bridge"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(
        stderr.contains(&format!("stream {} removes duplicates only within 60s", scope.stream)),
        "{stderr}"
    );
    assert!(stderr.contains("1800s"), "{stderr}");
    scope.delete().await;
}
