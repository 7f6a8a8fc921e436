//! The sink's broker connection: whether it is up (0/1) and why connection attempts failed,
//! so an alert can tell a broker that is down from one that refuses the bridge.

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

/// Every `reason` a failed attempt can have (`SinkError::reason`), created at zero.
pub const REASONS: [&str; 5] = ["unreachable", "refused", "config", "stream", "file"];

pub struct LinkMetrics {
    connected: IntGauge,
    failures: IntCounterVec,
}

impl LinkMetrics {
    pub fn register(r: &Registry) -> LinkMetrics {
        let connected = IntGauge::new(
            "signalr_bridge_sink_connected",
            "1 while the sink's broker connection is up, 0 before it first came up and while lost.",
        )
        .expect("valid metric");
        r.register(Box::new(connected.clone())).expect("unique metric");
        let failures = IntCounterVec::new(
            Opts::new(
                "signalr_bridge_sink_connect_failures_total",
                "Failed attempts to connect the sink, by sink and reason (unreachable: retried; \
                 refused, config, stream, file: the process stops with exit code 78).",
            ),
            &["sink", "reason"],
        )
        .expect("valid metric");
        r.register(Box::new(failures.clone())).expect("unique metric");
        LinkMetrics { connected, failures }
    }

    /// Creates `sink`'s series at zero, so the first failure is an increase.
    pub fn init(&self, sink: &str) {
        for reason in REASONS {
            self.failures.with_label_values(&[sink, reason]);
        }
    }

    pub fn set_connected(&self, connected: bool) {
        self.connected.set(i64::from(connected));
    }

    pub fn failed(&self, sink: &str, reason: &'static str) {
        self.failures.with_label_values(&[sink, reason]).inc();
    }
}
