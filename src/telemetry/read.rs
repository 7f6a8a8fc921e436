//! Reading the metrics back: the text exposition for `/metrics`, and single values for tests,
//! `/status` and the shutdown log.

use prometheus::{Encoder, TextEncoder};

use super::Metrics;

impl Metrics {
    /// The text exposition for `/metrics`.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("text encoding");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }

    /// Events read from hubs this run and not yet taken by the publisher (memory or spool).
    pub fn queue_depth(&self) -> i64 {
        self.queue_depth.get()
    }

    /// A counter's value, for tests and `/status`.
    pub fn counter_value(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let full = format!("signalr_bridge_{name}");
        self.registry
            .gather()
            .iter()
            .filter(|f| f.name() == full)
            .flat_map(|f| f.get_metric().iter())
            .filter(|m| {
                labels
                    .iter()
                    .all(|(k, v)| m.get_label().iter().any(|l| l.name() == *k && l.value() == *v))
            })
            .map(|m| m.get_counter().get_value() as u64)
            .sum()
    }
}
