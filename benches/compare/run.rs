//! One measurement: a fresh simulator and destination, one contender started and subscribed, the
//! feed running, then CPU, memory and the broker's stored count read over a window.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use signalr_sim::feed::FeedPlan;

#[path = "../shared/prom.rs"]
mod prom;

use crate::brokers::{Broker, Destination};
use crate::contenders::{self, Contender, Setup};
use crate::workload::{Feeds, Hub, Workload};

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub workload: Workload,
    pub contender: Contender,
    pub broker: Option<Broker>,
    pub connections: usize,
    pub subscriptions: usize,
    /// Events a second from the feeder; 0: as fast as the contender reads; `None`: no
    /// feed at all (idle).
    pub rate: Option<u64>,
    pub warmup: Duration,
    pub window: Duration,
    /// Read every stored event back for its hub-send-to-broker latency.
    pub latency: bool,
}

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub events_per_sec: f64,
    pub cpu_secs_per_million: f64,
    /// CPU cores busy on average over the window.
    pub cores: f64,
    pub rss_mb: f64,
    pub anon_mb: f64,
    pub peak_rss_mb: f64,
    /// Hub send → seen at the broker, nanoseconds, sorted.
    pub latency_ns: Vec<u64>,
    /// The bridge's own hub read → publish call (its dispatch histogram): p50, p99, p99.9 ms.
    pub dispatch_ms: Option<[f64; 3]>,
}

pub async fn measure(plan: Plan, feeds: &Feeds) -> Outcome {
    let hub = Hub::start(plan.workload).await;
    let destination = match plan.broker {
        Some(broker) if plan.contender.publishes() => Some(Destination::create(broker).await),
        _ => None,
    };
    let dest_name = destination.as_ref().map_or_else(|| "none".to_string(), |d| d.name.clone());
    let hub_url = hub.url();
    let setup = Setup {
        workload: plan.workload,
        hub_url: &hub_url,
        first_id: plan.workload.first_id(),
        connections: plan.connections,
        subscriptions: plan.subscriptions,
        broker: plan.broker,
        destination: &dest_name,
    };
    let mut started = contenders::start(plan.contender, &setup);
    if plan.contender.reads_hub() {
        let per = plan.workload.invocations_per_subscription();
        let subscribed = hub.wait_for_invocations(plan.connections * plan.subscriptions * per);
        if tokio::time::timeout(Duration::from_secs(120), subscribed).await.is_err() {
            started.proc.check_alive();
            panic!(
                "compare: {} did not subscribe: {}",
                started.proc.name,
                started.proc.last_words()
            );
        }
    } else {
        started.proc.wait_ready(Duration::from_secs(60));
    }
    let epoch = Instant::now();
    let latency = match (&destination, plan.latency) {
        (Some(d), true) => Some(d.latency_reader(epoch).await),
        _ => None,
    };
    let run = plan
        .rate
        .filter(|_| plan.contender.reads_hub())
        .map(|rate| hub.start_feed(feeds, FeedPlan { events_per_sec: rate, epoch }));
    let count = || async {
        match (&destination, &run) {
            (Some(d), _) => d.stored().await,
            (None, Some(run)) => run.stats.events.load(Ordering::Relaxed),
            (None, None) => 0,
        }
    };
    // Warm up until events flow, then a little more.
    if plan.rate.is_some() || !plan.contender.reads_hub() {
        let flowing = Instant::now() + Duration::from_secs(60);
        while count().await == 0 {
            started.proc.check_alive();
            assert!(Instant::now() < flowing, "compare: nothing from {}", started.proc.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(plan.warmup).await;
    if let Some(reader) = &latency {
        reader.clear();
    }
    let scrape = || async {
        match started.admin {
            Some(port) => metrics_text(port).await,
            None => String::new(),
        }
    };
    let dispatch = "signalr_bridge_event_dispatch_seconds";
    let hist0 = prom::buckets(&scrape().await, dispatch, &[]);
    let (n0, s0, t0) = (count().await, started.proc.sample(), Instant::now());
    let end = t0 + plan.window;
    while Instant::now() < end {
        started.proc.check_alive();
        tokio::time::sleep(Duration::from_millis(100).min(end - Instant::now())).await;
    }
    let (n1, s1, secs) = (count().await, started.proc.sample(), t0.elapsed().as_secs_f64());
    let text1 = scrape().await;
    let hist1 = prom::buckets(&text1, dispatch, &[]);
    for line in text1.lines().filter(|l| l.starts_with("signalr_bridge_publish_failed_total")) {
        eprintln!("compare: {}: {line}", started.proc.name);
    }
    drop(run);
    let delivered = n1.saturating_sub(n0) as f64;
    let cpu = s1.cpu_secs - s0.cpu_secs;
    let outcome = Outcome {
        events_per_sec: delivered / secs,
        cpu_secs_per_million: if delivered > 0.0 { cpu / delivered * 1e6 } else { f64::NAN },
        cores: cpu / secs,
        rss_mb: s1.rss_mb,
        anon_mb: s1.anon_mb,
        peak_rss_mb: s1.peak_rss_mb,
        latency_ns: latency.map(|l| l.finish()).unwrap_or_default(),
        dispatch_ms: started
            .admin
            .filter(|_| !hist1.is_empty())
            .map(|_| [0.5, 0.99, 0.999].map(|q| prom::quantile(&hist0, &hist1, q))),
    };
    started.proc.stop(Duration::from_secs(5));
    if let Some(d) = destination {
        d.remove().await;
    }
    drop(hub);
    outcome
}

async fn metrics_text(port: u16) -> String {
    let url = format!("http://127.0.0.1:{port}/metrics");
    match reqwest::get(url).await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}
