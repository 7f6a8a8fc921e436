//! The tables: throughput, CPU and memory per contender (median of the runs, min-max beside),
//! latency at a fixed rate, idle memory, scaling, and the bridge's goals as ratios measured in
//! this same run; the machine and the peers' versions above them.

use std::fmt::Write as _;

use crate::brokers::Broker;
use crate::contenders::{self, Contender};
use crate::workload::{Feeds, Workload};
use crate::{Results, Scale, LATENCY_RATE};

mod goals;
use goals::goals;

const BEGIN: &str = "<!-- compare:begin (written by cargo bench --bench compare) -->";
const END: &str = "<!-- compare:end -->";

/// Median, min, max.
fn spread(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn with_range((mid, lo, hi): (f64, f64, f64), runs: usize) -> String {
    if runs > 1 {
        format!("{} ({}-{})", num(mid), num(lo), num(hi))
    } else {
        num(mid)
    }
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1e6
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("?".to_string(), |m| m.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {model}")
}

pub fn render(scale: &Scale, feeds: &Feeds, results: &Results) -> String {
    let mut out = String::new();
    let now = time::OffsetDateTime::now_utc();
    let stamp = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let _ = writeln!(out, "### Run of {} UTC\n", now.format(&stamp).unwrap_or_default());
    let _ = writeln!(out, "- Machine: {}.", machine());
    for line in contenders::versions() {
        let _ = writeln!(out, "- {line}.");
    }
    let (car, hpc) = (&feeds.car_patches, &feeds.hpc);
    let _ = writeln!(
        out,
        "- Feeds, each pre-rendered and sent in a loop: {} `ReceiveCarPatches` records ({} car \
         patches, {} bytes of JSON; the same records as MessagePack for the MessagePack rows); \
         {} classic `M` frames of an HPC Pack scheduler ({} `JobStateChange` / \
         `TaskStateChange` messages, jobs of 4 tasks).",
        car.records(),
        car.events(),
        car.json_bytes(),
        hpc.frames(),
        hpc.events()
    );
    let _ = writeln!(
        out,
        "- {} run(s) per row, {} s windows after warm-up; medians, min-max in brackets.\n",
        scale.runs,
        scale.window.as_secs_f64()
    );
    for workload in Workload::ALL {
        throughput(&mut out, scale, results, workload);
    }
    let _ = writeln!(
        out,
        "Delivered = stored by the broker (JetStream stream messages, Kafka high watermarks), so \
         every event counted was acknowledged; the limit and the feeder ceiling count what the \
         feeder handed them. An HPC event is one `JobStateChange` or `TaskStateChange` message \
         (several share a frame when one scheduler step moves a job and its tasks).\n"
    );
    latency(&mut out, results);
    idle(&mut out, scale, results);
    scaling(&mut out, results);
    goals(&mut out, results);
    out
}

fn throughput(out: &mut String, scale: &Scale, results: &Results, workload: Workload) {
    let rows: Vec<_> = results.throughput.iter().filter(|(w, ..)| *w == workload).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "#### Throughput, {}: one hub connection, feed as fast as it is read\n",
        workload.label()
    );
    let _ = writeln!(
        out,
        "| contender | events/s delivered | CPU s per M events | CPU cores | peak RSS MB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (_, c, b, runs) in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            workload.row(*c, *b),
            with_range(spread(runs.iter().map(|o| o.events_per_sec)), scale.runs),
            with_range(spread(runs.iter().map(|o| o.cpu_secs_per_million)), scale.runs),
            num(spread(runs.iter().map(|o| o.cores)).0),
            num(spread(runs.iter().map(|o| o.peak_rss_mb)).0),
        );
    }
    let _ = writeln!(out);
}

/// A row label outside the per-workload tables: the workload named unless it is JSON car patches.
fn tagged(workload: Workload, contender: Contender, broker: Broker) -> String {
    match workload {
        Workload::CarPatchesJson => contender.label(Some(broker)),
        _ => format!("{} ({})", contender.label(Some(broker)), workload.label()),
    }
}

fn latency(out: &mut String, results: &Results) {
    let _ = writeln!(out, "#### Latency at a fixed {LATENCY_RATE} events/s\n");
    let _ = writeln!(
        out,
        "| contender | events/s | hub send -> broker p50 / p99 / p99.9 ms | inside the bridge p50 / p99 / p99.9 ms |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    for (w, c, b, o) in &results.latency {
        let l = &o.latency_ns;
        let inside = o
            .dispatch_ms
            .map_or("-".into(), |d| format!("{} / {} / {}", num(d[0]), num(d[1]), num(d[2])));
        let _ = writeln!(
            out,
            "| {} | {} | {} / {} / {} | {inside} |",
            tagged(*w, *c, *b),
            num(o.events_per_sec),
            num(percentile(l, 0.5)),
            num(percentile(l, 0.99)),
            num(percentile(l, 0.999)),
        );
    }
    let _ = writeln!(
        out,
        "\nRows without a workload are JSON car patches. \"hub send -> broker\": from the \
         feed's stamp in each car patch (HPC: in each frame's cursor, which the bridge's event \
         ids carry) to a reader on the broker (a core NATS subscription on the stream's subjects; a Kafka consumer with \
         `fetch.wait.max.ms=5`, which adds up to 5 ms). \"inside the bridge\": its \
         `event_dispatch_seconds` histogram, hub frame read -> handed to the sink, interpolated \
         within buckets.\n"
    );
}

fn idle(out: &mut String, scale: &Scale, results: &Results) {
    let _ = writeln!(
        out,
        "#### Memory idle: {} hub connections, {} subscriptions\n",
        scale.idle_connections,
        scale.idle_connections * scale.idle_subscriptions
    );
    let _ = writeln!(out, "| contender | RSS MB | of which anonymous MB | peak RSS MB |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (c, o) in &results.idle {
        let (rss, anon, peak) = (num(o.rss_mb), num(o.anon_mb), num(o.peak_rss_mb));
        let _ = writeln!(out, "| {} | {rss} | {anon} | {peak} |", c.label(None));
    }
    let _ = writeln!(
        out,
        "\nAnonymous: heap and stacks; the rest of the RSS is code and data mapped from the \
         program's files (the binary, libraries, the interpreter), shared and reclaimable.\n"
    );
}

fn scaling(out: &mut String, results: &Results) {
    let _ = writeln!(out, "#### Scaling: every connection gets the whole feed\n");
    let _ = writeln!(
        out,
        "| contender | connections | events/s delivered | CPU s per M events | peak RSS MB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (c, b, n, o) in &results.scaling {
        let _ = writeln!(
            out,
            "| {} | {n} | {} | {} | {} |",
            c.label(Some(*b)),
            num(o.events_per_sec),
            num(o.cpu_secs_per_million),
            num(o.peak_rss_mb)
        );
    }
    let _ = writeln!(out);
}

/// Replaces the block between the markers in BENCHMARKS.md (appends it the first time).
pub fn write_benchmarks_md(text: &str) {
    let path = contenders::root().join("BENCHMARKS.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let block = format!("{BEGIN}\n{text}{END}");
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{block}{}", &current[..a], &current[b + END.len()..])
        }
        _ => format!("{current}\n{block}\n"),
    };
    if let Err(e) = std::fs::write(&path, updated) {
        eprintln!("compare: cannot write {}: {e}", path.display());
    } else {
        eprintln!("compare: tables written to {}", path.display());
    }
}
