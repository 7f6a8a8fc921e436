//! The last table: the bridge against the goals of issue 8, as ratios of figures measured in
//! the same run (the glues, the bare producer loops, the bridge's own latency and memory).

use std::fmt::Write as _;

use super::{num, spread, tagged};
use crate::brokers::Broker;
use crate::contenders::Contender;
use crate::run::Outcome;
use crate::workload::Workload;
use crate::{Results, LATENCY_RATE};

/// The JSON car-patch rows of `c` on `b` (what the goals are read against).
fn runs_of(results: &Results, c: Contender, b: Option<Broker>) -> Option<&Vec<Outcome>> {
    let json = Workload::CarPatchesJson;
    let mut rows = results.throughput.iter();
    rows.find(|(w, x, y, _)| *w == json && *x == c && *y == b).map(|(_, _, _, r)| r)
}

fn median_rate(results: &Results, c: Contender, b: Option<Broker>) -> f64 {
    runs_of(results, c, b).map_or(f64::NAN, |r| spread(r.iter().map(|o| o.events_per_sec)).0)
}

/// What the bridge is measured against on `broker`: the faster glue's and the bare producer's
/// median events/s.
fn baselines(results: &Results, broker: Broker) -> (f64, f64) {
    let glue = median_rate(results, Contender::PythonGlue, Some(broker)).max(median_rate(
        results,
        Contender::NodeGlue,
        Some(broker),
    ));
    (glue, median_rate(results, Contender::BareProducer, Some(broker)))
}

pub fn goals(out: &mut String, results: &Results) {
    let _ = writeln!(out, "#### The bridge against the goals (ratios from this run)\n");
    let _ = writeln!(out, "| goal | measured |");
    let _ = writeln!(out, "|---|---|");
    for b in [Broker::JetStream, Broker::Kafka] {
        let bridge = median_rate(results, Contender::Bridge, Some(b));
        let (glue, bare) = baselines(results, b);
        let _ =
            writeln!(out, "| {}: >= 10x the faster glue | {}x |", b.label(), num(bridge / glue));
        let _ = writeln!(
            out,
            "| {}: >= 80% of the bare producer | {:.0}% |",
            b.label(),
            bridge / bare * 100.0
        );
        let cpu = runs_of(results, Contender::Bridge, Some(b))
            .map_or(f64::NAN, |r| spread(r.iter().map(|o| o.cpu_secs_per_million)).0);
        let _ = writeln!(out, "| {}: <= 7 CPU s per M events | {} |", b.label(), num(cpu));
    }
    let unordered = median_rate(results, Contender::BridgeUnordered, Some(Broker::JetStream));
    if unordered.is_finite() {
        let (glue, bare) = baselines(results, Broker::JetStream);
        let _ = writeln!(
            out,
            "| NATS JetStream, `ordered: false`: x the faster glue / of the bare producer | {}x / {:.0}% |",
            num(unordered / glue),
            unordered / bare * 100.0
        );
    }
    for (w, c, b, o) in results.latency.iter().filter(|(_, c, _, _)| *c == Contender::Bridge) {
        let p99 = o.dispatch_ms.map_or(f64::NAN, |d| d[1]);
        let _ = writeln!(
            out,
            "| {}: added p99 < 1 ms at {LATENCY_RATE}/s | {} ms |",
            tagged(*w, *c, *b),
            num(p99)
        );
    }
    if let Some((_, o)) = results.idle.iter().find(|(c, _)| *c == Contender::Bridge) {
        let (rss, anon) = (num(o.rss_mb), num(o.anon_mb));
        let _ = writeln!(out, "| RSS idle < 25 MB | {rss} MB (anonymous {anon} MB) |");
    }
    let peak = results
        .throughput
        .iter()
        .filter(|(_, c, _, _)| *c == Contender::Bridge)
        .flat_map(|(_, _, _, r)| r.iter().map(|o| o.peak_rss_mb))
        .fold(0.0, f64::max);
    let _ = writeln!(out, "| RSS at full load < 60 MB | {} MB |", num(peak));
    let _ = writeln!(out);
}
