//! Gaps: a hub connection replaced by a new one (no replay, no stateful reconnect), so events the
//! server sent in between may be missing. Counted per hub and logged with the span. Beside them,
//! what heals a drop without a gap: stateful transport resumes, and the replayed duplicates they
//! skip.

use prometheus::{IntCounterVec, Opts, Registry};
use time::OffsetDateTime;
use tracing::warn;

pub struct GapMetrics {
    gaps: IntCounterVec,
    resumes: IntCounterVec,
    duplicates: IntCounterVec,
}

fn hub_counter(r: &Registry, name: &str, help: &str) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(format!("signalr_bridge_{name}"), help), &["hub"])
        .expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

impl GapMetrics {
    pub fn register(r: &Registry) -> GapMetrics {
        let gaps = IntCounterVec::new(
            Opts::new(
                "signalr_bridge_hub_gaps_total",
                "New connections after a lost one whose missed messages could not be replayed.",
            ),
            &["hub"],
        )
        .expect("valid metric");
        r.register(Box::new(gaps.clone())).expect("unique metric");
        let resumes = hub_counter(
            r,
            "hub_resumes_total",
            "Stateful connections resumed on a new transport after a drop (no gap).",
        );
        let duplicates = hub_counter(
            r,
            "duplicates_skipped_total",
            "Records replayed after a stateful resume that had been processed before; skipped.",
        );
        GapMetrics { gaps, resumes, duplicates }
    }

    /// A stateful connection resumed on a new transport: nothing was lost.
    pub fn resumed(&self, hub: &str) {
        self.resumes.with_label_values(&[hub]).inc();
    }

    /// A replayed record with sequence id `id` had been processed already; it is skipped.
    pub fn duplicate(&self, hub: &str, id: u64) {
        tracing::debug!(hub, sequence = id, "Replayed record already processed; skipped.");
        self.duplicates.with_label_values(&[hub]).inc();
    }

    /// A new connection replaced one whose last message arrived at `since` (if any did).
    pub fn gap(&self, hub: &str, since: Option<OffsetDateTime>, until: OffsetDateTime) {
        self.gaps.with_label_values(&[hub]).inc();
        let secs = since.map(|s| (until - s).as_seconds_f64().max(0.0));
        let from = since.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        warn!(
            hub,
            from = %from,
            until = %until,
            gap_secs = secs.unwrap_or(0.0),
            "Gap: messages sent while the hub was disconnected may be missing; the profile heals \
             what it can (RedMist: snapshot, HPC Pack: REST reconciliation)."
        );
    }
}
