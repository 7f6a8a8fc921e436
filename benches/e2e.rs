//! End to end through real brokers: the simulator's RedMist hub → the whole bridge (hub task,
//! queue, publisher) → Kafka (tansu) or NATS JetStream, every event counted only on the broker's
//! ack. Reports delivered events/s and the latency percentiles of the bridge's own histograms:
//! publish → ack, and hub read → ack.
//!
//! Run: `cargo bench --bench e2e` with tansu on 127.0.0.1:9092 and NATS on 127.0.0.1:4222 (as
//! `scripts/test` starts them; `BENCH_KAFKA`/`BENCH_NATS` override). Under `cargo test` it runs
//! for a second per sink as a smoke check. BENCHMARKS.md records the table.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use signalr_bridge::app::App;
use signalr_bridge::config;
use signalr_sim::Simulator;
use signalr_sim::SimulatorConfig;

/// The simulator's tick rate: far above what a 2-core machine delivers, so the feeder is never
/// what limits a row (its ticker slows to what the client's queue takes).
const FEED_TICKS_PER_SEC: u32 = 200_000;

fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

#[path = "shared/prom.rs"]
mod prom;
use prom::quantile;

/// Cumulative bucket counts of the app's histogram `name` (see [`prom::buckets`]).
fn buckets(app: &App, name: &str, labels: &[(&str, &str)]) -> BTreeMap<u64, u64> {
    prom::buckets(&app.metrics.render(), name, labels)
}

fn sink_yaml(kind: &str, name: &str) -> String {
    match kind {
        "kafka" => format!(
            "sink:\n  kind: kafka\n  kafka:\n    brokers: '{}'\n    topic_template: '{name}'\n    \
             create_topics: {{ partitions: 3, replication_factor: 1 }}\n",
            std::env::var("BENCH_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
        ),
        _ => format!(
            "sink:\n  kind: nats\n  nats:\n    url: '{}'\n    mode: jetstream\n    \
             subject_template: '{name}.{{hub}}'\n    stream: {{ name: {name}, subjects: ['{name}.>'] }}\n",
            std::env::var("BENCH_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
        ),
    }
}

/// One row: warm up, then count acked events over `window`.
async fn row(kind: &str, label: &str, window: Duration) -> String {
    let sim = Simulator::start(SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: FEED_TICKS_PER_SEC,
        cars: 24,
        event_id: 42,
        required_token: None,
    })
    .await
    .expect("simulator starts");
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let yaml = format!(
        "hubs:\n  - name: live\n    url: {}\n    skip_negotiation: true\n    profile: redmist\n    \
         redmist: {{ event_ids: [42] }}\n{}admin: {{ listen: '127.0.0.1:0' }}\n\
         log: {{ level: warn }}\nshutdown: {{ grace_period_secs: 10 }}\n",
        sim.hub_url(),
        sink_yaml(kind, &name)
    );
    let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, yaml.as_bytes()).unwrap();
    let config = config::load(Some(file.path()), Vec::new()).expect("bench config");
    let app = App::start(config).await.unwrap_or_else(|e| panic!("{kind} sink: {e:#}"));
    let published = |app: &App| app.metrics.counter_value("events_published_total", &[]);
    // Warm up until events flow (a broker's first answers can be slow on a loaded machine).
    let flowing = Instant::now() + Duration::from_secs(30);
    while published(&app) == 0 && Instant::now() < flowing {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(window.min(Duration::from_secs(2))).await;

    let latency = "signalr_bridge_publish_latency_seconds";
    let delivery = "signalr_bridge_event_delivery_seconds";
    let (lat0, del0) = (buckets(&app, latency, &[("sink", label)]), buckets(&app, delivery, &[]));
    let (n0, t0) = (published(&app), Instant::now());
    tokio::time::sleep(window).await;
    let (n1, secs) = (published(&app), t0.elapsed().as_secs_f64());
    let (lat1, del1) = (buckets(&app, latency, &[("sink", label)]), buckets(&app, delivery, &[]));
    let report = app.shutdown().await;
    remove(kind, &name).await;
    assert!(n1 > 0, "{kind}: events flowed end to end");
    assert_eq!(report.undelivered, 0, "{kind}: nothing left undelivered at shutdown");
    format!(
        "| simulator -> bridge -> {label} | {:.0} | {:.2} / {:.2} | {:.2} / {:.2} |",
        (n1 - n0) as f64 / secs,
        quantile(&lat0, &lat1, 0.5),
        quantile(&lat0, &lat1, 0.99),
        quantile(&del0, &del1, 0.5),
        quantile(&del0, &del1, 0.99),
    )
}

/// Deletes the run's stream or topic, so repeated runs do not fill the brokers.
async fn remove(kind: &str, name: &str) {
    if kind == "kafka" {
        use rdkafka::admin::{AdminClient, AdminOptions};
        let brokers = std::env::var("BENCH_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into());
        let admin: Result<AdminClient<rdkafka::client::DefaultClientContext>, _> =
            rdkafka::ClientConfig::new().set("bootstrap.servers", brokers).create();
        if let Ok(admin) = admin {
            let _ = admin.delete_topics(&[name], &AdminOptions::new()).await;
        }
    } else {
        let url = std::env::var("BENCH_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        if let Ok(client) = async_nats::connect(url).await {
            let _ = async_nats::jetstream::new(client).delete_stream(name).await;
        }
    }
}

#[tokio::main]
async fn main() {
    let window = if full_run() { Duration::from_secs(10) } else { Duration::from_secs(1) };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## End to end: RedMist car patches through real brokers\n");
    println!(
        "{}s window after warm-up; {cpus} CPUs shared by simulator, bridge and broker; \
         latency in ms from the bridge's histograms (interpolated within buckets)\n",
        window.as_secs()
    );
    println!("| path | events/s acked | publish -> ack p50 / p99 | hub read -> ack p50 / p99 |");
    println!("|---|---|---|---|");
    for (kind, label) in [("kafka", "kafka"), ("nats", "jetstream")] {
        println!("{}", row(kind, label, window).await);
    }
}
