//! signalr-bridge against the glue users write today, in one run: the same simulator feeds of
//! pre-rendered frames (RedMist car patches over JSON and MessagePack, HPC Pack job frames over
//! classic SignalR), the same brokers, the same machine. Contenders are separate processes,
//! measured from `/proc`; delivered events are counted at the broker.
//!
//! `cargo bench --bench compare` runs it all and writes the tables into BENCHMARKS.md
//! (`COMPARE_WRITE=0` only prints them); under `cargo test` it runs every contender for about a
//! second as a smoke check. NATS on 127.0.0.1:4222, tansu on :9092 and the peers in
//! `benches/peers` are what `scripts/test` installs and starts.

mod brokers;
mod contenders;
mod procs;
mod readers;
mod report;
mod roles;
mod run;
mod workload;

use std::time::Duration;

use brokers::Broker;
use contenders::Contender;
use run::{measure, Outcome, Plan};
use workload::{Feeds, Workload};

/// How much of everything: the full benchmark or the smoke check.
pub struct Scale {
    pub full: bool,
    pub runs: usize,
    pub warmup: Duration,
    pub window: Duration,
    pub idle_connections: usize,
    pub idle_subscriptions: usize,
    pub scaling: &'static [usize],
}

impl Scale {
    fn new() -> Scale {
        if std::env::args().any(|a| a == "--bench") {
            Scale {
                full: true,
                runs: env_usize("COMPARE_RUNS", 3),
                warmup: Duration::from_secs(2),
                window: Duration::from_secs(env_usize("COMPARE_WINDOW_SECS", 10) as u64),
                idle_connections: 100,
                idle_subscriptions: 10,
                scaling: &[1, 10, 100],
            }
        } else {
            Scale {
                full: false,
                runs: 1,
                warmup: Duration::from_millis(300),
                window: Duration::from_secs(1),
                idle_connections: 3,
                idle_subscriptions: 2,
                scaling: &[2],
            }
        }
    }
}

/// `COMPARE_ONLY=<text>` keeps the rows whose label (`<workload>: <contender>`) contains it
/// (for profiling one contender, or one workload: `MessagePack`, `HPC`).
fn wanted(label: &str) -> bool {
    std::env::var("COMPARE_ONLY").map_or(true, |only| label.contains(&only))
}

/// `COMPARE_SUITES=throughput,latency,idle,scaling` (any of them) runs only those tables.
fn suite(name: &str) -> bool {
    std::env::var("COMPARE_SUITES").map_or(true, |s| s.split(',').any(|x| x.trim() == name))
}

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub const GLUES: [Contender; 3] = [Contender::Bridge, Contender::PythonGlue, Contender::NodeGlue];
pub const BROKERS: [Broker; 2] = [Broker::JetStream, Broker::Kafka];
/// The fixed rate of the latency runs.
pub const LATENCY_RATE: u64 = 10_000;

fn main() {
    if let Ok(role) = std::env::var("COMPARE_ROLE") {
        tokio::runtime::Runtime::new().unwrap().block_on(roles::run(&role));
    }
    let scale = Scale::new();
    workload::check_car_keys();
    let python = contenders::python();
    let node_modules = contenders::root().join("benches/peers/node/node_modules");
    if !contenders::exists(&python) || !contenders::exists(&node_modules) {
        panic!(
            "compare: the glue peers are not installed ({} and {}); scripts/test installs them",
            python.display(),
            node_modules.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let feeds = Feeds::new();
    let results = runtime.block_on(all(&scale, &feeds));
    let text = report::render(&scale, &feeds, &results);
    println!("{text}");
    if scale.full && std::env::var("COMPARE_WRITE").as_deref() != Ok("0") {
        report::write_benchmarks_md(&text);
    }
    if !scale.full {
        results.check_smoke();
    }
}

/// Every measurement of a run, by table.
#[derive(Default)]
pub struct Results {
    /// (workload, contender, broker) → runs at full speed, one connection.
    pub throughput: Vec<(Workload, Contender, Option<Broker>, Vec<Outcome>)>,
    /// At [`LATENCY_RATE`]: every contender with JSON car patches, the bridge with HPC frames.
    pub latency: Vec<(Workload, Contender, Broker, Outcome)>,
    /// Idle with many connections and subscriptions.
    pub idle: Vec<(Contender, Outcome)>,
    /// (contender, broker, connections) → one run.
    pub scaling: Vec<(Contender, Broker, usize, Outcome)>,
}

impl Results {
    /// Under `cargo test`: every contender delivered, and the readers saw stamped events.
    fn check_smoke(&self) {
        for (workload, contender, broker, runs) in &self.throughput {
            let rate = runs[0].events_per_sec;
            let label = workload.filter_text(*contender, *broker);
            assert!(rate > 0.0, "{label} delivered nothing");
        }
        for (workload, contender, broker, outcome) in &self.latency {
            let label = workload.filter_text(*contender, Some(*broker));
            assert!(!outcome.latency_ns.is_empty(), "{label}: no stamped event read back");
        }
        for (contender, outcome) in &self.idle {
            assert!(outcome.rss_mb > 0.0, "{}: no memory reading", contender.label(None));
        }
    }
}

/// The latency, idle and scaling tables use the JSON car patches.
const JSON: Workload = Workload::CarPatchesJson;

async fn all(scale: &Scale, feeds: &Feeds) -> Results {
    let mut results = Results::default();
    let base = |contender, broker| Plan {
        workload: Workload::CarPatchesJson,
        contender,
        broker,
        connections: 1,
        subscriptions: 1,
        rate: Some(0),
        warmup: scale.warmup,
        window: scale.window,
        latency: false,
    };
    for workload in Workload::ALL.into_iter().filter(|_| suite("throughput")) {
        let mut cells = workload.throughput_cells();
        cells.retain(|(c, b)| wanted(&workload.filter_text(*c, *b)));
        for (contender, broker) in cells {
            let label = workload.filter_text(contender, broker);
            let mut runs = Vec::new();
            for i in 0..scale.runs {
                eprintln!("compare: {label} (run {} of {})", i + 1, scale.runs);
                runs.push(measure(Plan { workload, ..base(contender, broker) }, feeds).await);
            }
            results.throughput.push((workload, contender, broker, runs));
        }
    }
    for broker in BROKERS.into_iter().filter(|_| suite("latency")) {
        let cells = GLUES.map(|c| (JSON, c)).into_iter();
        let cells = cells.chain([(Workload::HpcJobs, Contender::Bridge)]);
        for (workload, contender) in cells {
            let label = workload.filter_text(contender, Some(broker));
            if !wanted(&label) {
                continue;
            }
            eprintln!("compare: {label} at {LATENCY_RATE} events/s");
            let plan = Plan {
                workload,
                rate: Some(LATENCY_RATE),
                latency: true,
                ..base(contender, Some(broker))
            };
            results.latency.push((workload, contender, broker, measure(plan, feeds).await));
        }
    }
    for contender in
        GLUES.into_iter().filter(|c| suite("idle") && wanted(&JSON.filter_text(*c, None)))
    {
        eprintln!("compare: {} idle", contender.label(None));
        let plan = Plan {
            connections: scale.idle_connections,
            subscriptions: scale.idle_subscriptions,
            rate: None,
            warmup: Duration::from_secs(2),
            window: Duration::from_millis(500),
            ..base(contender, Some(Broker::JetStream))
        };
        results.idle.push((contender, measure(plan, feeds).await));
    }
    for broker in BROKERS.into_iter().filter(|_| suite("scaling")) {
        for contender in GLUES.into_iter().filter(|c| wanted(&JSON.filter_text(*c, Some(broker)))) {
            for &connections in scale.scaling {
                eprintln!("compare: {} x{connections}", contender.label(Some(broker)));
                let plan = Plan { connections, ..base(contender, Some(broker)) };
                results.scaling.push((contender, broker, connections, measure(plan, feeds).await));
            }
        }
    }
    results
}
