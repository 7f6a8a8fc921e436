//! What the process is and how big its buffers are: `build_info` (version and commit), the
//! memory queue's capacity and the spool's size limit (so an alert can take a ratio), what was
//! still pending when a shutdown began, and the standard `process_*` metrics (CPU, memory, file
//! descriptors) on Linux.

use prometheus::{IntGauge, IntGaugeVec, Opts, Registry};

use super::gauge;

pub struct InfoMetrics {
    queue_capacity: IntGauge,
    spool_max_bytes: IntGauge,
    pending_at_shutdown: IntGauge,
}

impl InfoMetrics {
    pub fn register(r: &Registry) -> InfoMetrics {
        let build = IntGaugeVec::new(
            Opts::new("signalr_bridge_build_info", "1, labelled with the version and commit."),
            &["version", "commit"],
        )
        .expect("valid metric");
        r.register(Box::new(build.clone())).expect("unique metric");
        build.with_label_values(&[env!("CARGO_PKG_VERSION"), env!("SIGNALR_BRIDGE_COMMIT")]).set(1);
        #[cfg(target_os = "linux")]
        r.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))
            .expect("unique metric");
        InfoMetrics {
            queue_capacity: gauge(r, "queue_capacity", "Events the memory queue holds at most."),
            spool_max_bytes: gauge(
                r,
                "spool_max_bytes",
                "Bytes the disk spool may hold (0: no spool); compare with spool_bytes.",
            ),
            pending_at_shutdown: gauge(
                r,
                "pending_at_shutdown_events",
                "Events read from hubs and not yet taken by the publisher when the shutdown began; \
                 0 until then. What is still undelivered at the end is undelivered_total.",
            ),
        }
    }

    pub fn set_queue_capacity(&self, capacity: usize) {
        self.queue_capacity.set(i64::try_from(capacity).unwrap_or(i64::MAX));
    }

    pub fn set_spool_max_bytes(&self, bytes: u64) {
        self.spool_max_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    pub fn set_pending_at_shutdown(&self, events: i64) {
        self.pending_at_shutdown.set(events);
    }
}

#[cfg(test)]
mod tests {
    use crate::telemetry::Metrics;

    #[test]
    fn build_buffers_and_process_are_exposed() {
        let metrics = Metrics::new();
        metrics.info.set_queue_capacity(10_000);
        metrics.info.set_spool_max_bytes(1 << 30);
        let text = metrics.render();
        let build = format!(
            "signalr_bridge_build_info{{commit=\"{}\",version=\"{}\"}} 1",
            env!("SIGNALR_BRIDGE_COMMIT"),
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&build), "{text}");
        assert_ne!(env!("SIGNALR_BRIDGE_COMMIT"), "", "a commit or `unknown`");
        assert!(text.contains("signalr_bridge_queue_capacity 10000"), "{text}");
        assert!(text.contains("signalr_bridge_spool_max_bytes 1073741824"), "{text}");
        assert!(text.contains("signalr_bridge_pending_at_shutdown_events 0"), "{text}");
        #[cfg(target_os = "linux")]
        for name in
            ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"]
        {
            assert!(text.contains(name), "{name} missing");
        }
    }
}
