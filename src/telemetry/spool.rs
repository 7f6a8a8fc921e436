//! The disk spool's metrics, each method also logging what the operator must know.

use prometheus::{IntCounter, IntGauge, Registry};

use super::gauge;
use tracing::error;

/// Spool level and incidents (`signalr_bridge_spool_*`).
pub struct SpoolMetrics {
    events: IntGauge,
    bytes: IntGauge,
    spooled: IntCounter,
    dropped: IntCounter,
    io_errors: IntCounter,
    cut_bytes: IntCounter,
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(format!("signalr_bridge_{name}"), help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

impl SpoolMetrics {
    pub fn register(r: &Registry) -> SpoolMetrics {
        SpoolMetrics {
            events: gauge(r, "spool_events", "Events in the disk spool not yet acknowledged."),
            bytes: gauge(r, "spool_bytes", "Bytes the disk spool holds."),
            spooled: counter(r, "spooled_events_total", "Events written to the disk spool."),
            dropped: counter(
                r,
                "spool_dropped_events_total",
                "Events deleted unpublished by the drop_oldest policy of a full spool.",
            ),
            io_errors: counter(r, "spool_io_errors_total", "Failed spool reads and writes."),
            cut_bytes: counter(
                r,
                "spool_cut_bytes_total",
                "Bytes of torn or corrupt spool tails cut when the spool was opened.",
            ),
        }
    }

    /// Events in the spool not yet acknowledged.
    pub fn events(&self) -> i64 {
        self.events.get()
    }

    /// The spool's level after an ack or at start.
    pub fn level(&self, events: u64, bytes: u64) {
        self.events.set(events as i64);
        self.bytes.set(bytes as i64);
    }

    /// One event spooled.
    pub fn spooled(&self, events: u64, bytes: u64) {
        self.spooled.inc();
        self.level(events, bytes);
    }

    /// The drop_oldest policy deleted `lost` unpublished events.
    pub fn dropped(&self, lost: u64) {
        self.dropped.inc_by(lost);
        error!(lost, "Spool full; deleted its oldest segment (when_full: drop_oldest).");
    }

    /// Opening the spool cut `bytes` of torn or corrupt tails (logged where it was found).
    pub fn cut(&self, bytes: u64) {
        self.cut_bytes.inc_by(bytes);
    }

    /// A read or write failed (logged where it happened, with the error).
    pub fn io_error(&self) {
        self.io_errors.inc();
    }
}
