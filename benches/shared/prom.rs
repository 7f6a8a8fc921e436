//! Reading Prometheus histograms from the text exposition, for the benches: cumulative bucket
//! counts, and quantiles of what was observed between two readings, interpolated within a
//! bucket as Prometheus's `histogram_quantile` does.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// Cumulative bucket counts (upper bound in microseconds → count) of histogram `name` in the
/// exposition `text`, summed over the series whose labels include `labels`.
pub fn buckets(text: &str, name: &str, labels: &[(&str, &str)]) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    let prefix = format!("{name}_bucket{{");
    for line in text.lines().filter(|l| l.starts_with(&prefix)) {
        if !labels.iter().all(|(k, v)| line.contains(&format!("{k}=\"{v}\""))) {
            continue;
        }
        let le = line.split("le=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("+Inf");
        let bound = if le == "+Inf" {
            u64::MAX
        } else {
            le.parse::<f64>().map_or(u64::MAX, |s| (s * 1e6).round() as u64)
        };
        let count = line.rsplit(' ').next().and_then(|c| c.parse::<f64>().ok()).unwrap_or(0.0);
        *out.entry(bound).or_default() += count as u64;
    }
    out
}

/// The `q` quantile, in milliseconds, of the observations between two bucket readings.
pub fn quantile(before: &BTreeMap<u64, u64>, after: &BTreeMap<u64, u64>, q: f64) -> f64 {
    let delta: Vec<(u64, u64)> = after
        .iter()
        .map(|(b, c)| (*b, c.saturating_sub(before.get(b).copied().unwrap_or(0))))
        .collect();
    let total = delta.last().map_or(0, |d| d.1);
    if total == 0 {
        return f64::NAN;
    }
    let rank = q * total as f64;
    let mut lower = (0u64, 0u64);
    for &(bound, count) in &delta {
        if count as f64 >= rank {
            if bound == u64::MAX {
                return lower.0 as f64 / 1e3;
            }
            let within = (rank - lower.1 as f64) / (count - lower.1).max(1) as f64;
            return (lower.0 as f64 + within * (bound - lower.0) as f64) / 1e3;
        }
        lower = (bound, count);
    }
    f64::NAN
}
