//! Gaps: a hub connection replaced by a new one (no replay, no stateful reconnect), so events the
//! server sent in between may be missing. Counted per hub and logged with the span.

use prometheus::{IntCounterVec, Opts, Registry};
use time::OffsetDateTime;
use tracing::warn;

pub struct GapMetrics {
    gaps: IntCounterVec,
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
        GapMetrics { gaps }
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
