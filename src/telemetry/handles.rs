//! Metric handles resolved once for the per-event paths. A labelled lookup
//! (`with_label_values`) hashes the label values and takes a read lock; at a few hundred
//! thousand events per second, three of them per event were a measurable share of the
//! publisher's CPU.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge};

use super::Metrics;
use crate::event::EventType;

/// How many distinct invocation targets a hub counts under their own names, the profile's own
/// included; the rest count as `other`, so a hostile or chatty server cannot grow the label
/// set (the log keeps the names).
const TARGETS_NAMED: usize = 32;

/// One hub's per-frame and per-event counters: frames received (resolved at once), invocations
/// by target (the profile's targets and `other` created at zero, then the first others seen up
/// to [`TARGETS_NAMED`]) and `events_enqueued_total` by event type, resolved the first time
/// each type occurs (so `/metrics` shows only the types a hub produced).
pub struct HubCounters {
    hub: String,
    enqueued_vec: IntCounterVec,
    by_type: [OnceLock<IntCounter>; EventType::ALL.len()],
    queue_depth: IntGauge,
    frames: IntCounter,
    dropped: IntCounter,
    invocations_vec: IntCounterVec,
    invocations: Mutex<Vec<(Box<str>, IntCounter)>>,
    other_invocations: IntCounter,
}

impl HubCounters {
    /// `count` events read from the hub were dropped: the queue had closed.
    pub fn dropped(&self, count: u64) {
        self.dropped.inc_by(count);
    }

    /// A WebSocket frame arrived.
    pub fn frame(&self) {
        self.frames.inc();
    }

    /// An invocation of `target` arrived. True when it is counted under its own name, false
    /// when as `other`.
    pub fn invocation(&self, target: &str) -> bool {
        let mut kept = self.invocations.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, counter)) = kept.iter().find(|(t, _)| &**t == target) {
            counter.inc();
            return true;
        }
        // A name must look like a method (and not be `other`) to become a label of its own.
        let plain = target.len() <= 64
            && target != "other"
            && target.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if plain && kept.len() < TARGETS_NAMED {
            let counter = self.invocations_vec.with_label_values(&[&self.hub, target]);
            counter.inc();
            kept.push((target.into(), counter));
            return true;
        }
        self.other_invocations.inc();
        false
    }

    /// An event of `kind` was handed to the queue.
    pub fn enqueued(&self, kind: EventType) {
        let slot = &self.by_type[kind as usize];
        slot.get_or_init(|| self.enqueued_vec.with_label_values(&[&self.hub, kind.as_str()])).inc();
        // Counted first so the depth gauge never dips below zero when the publisher is fast.
        self.queue_depth.inc();
    }
}

/// A sink's publish metrics.
#[derive(Clone)]
pub struct SinkCounters {
    published: IntCounter,
    latency: Histogram,
    end_to_end: Histogram,
}

impl SinkCounters {
    /// The broker acknowledged an event: `latency` after it was first sent, `since_read` after
    /// its hub frame was read.
    pub fn published(&self, latency: Duration, since_read: Duration) {
        self.published.inc();
        self.latency.observe(latency.as_secs_f64());
        self.end_to_end.observe(since_read.as_secs_f64());
    }
}

impl Metrics {
    /// `known`: the profile's targets, counted by name from zero.
    pub fn hub_counters(&self, hub: &str, known: &[&str]) -> HubCounters {
        let named = known.iter().take(TARGETS_NAMED);
        let invocations =
            named.map(|&t| (t.into(), self.invocations.with_label_values(&[hub, t]))).collect();
        HubCounters {
            hub: hub.to_owned(),
            enqueued_vec: self.events_enqueued.clone(),
            by_type: Default::default(),
            queue_depth: self.queue_depth.clone(),
            frames: self.frames.with_label_values(&[hub]),
            dropped: self.dropped.with_label_values(&[hub]),
            invocations_vec: self.invocations.clone(),
            invocations: Mutex::new(invocations),
            other_invocations: self.invocations.with_label_values(&[hub, "other"]),
        }
    }

    pub fn sink_counters(&self, sink: &'static str) -> SinkCounters {
        SinkCounters {
            published: self.published.with_label_values(&[sink]),
            latency: self.publish_latency.with_label_values(&[sink]),
            end_to_end: self.end_to_end.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_handles_count_into_the_labelled_series() {
        let metrics = Metrics::new();
        let hub = metrics.hub_counters("rm", &[]);
        hub.enqueued(EventType::RedMistCarPatched);
        hub.enqueued(EventType::RedMistCarPatched);
        hub.enqueued(EventType::RedMistReset);
        let car = [("hub", "rm"), ("type", EventType::RedMistCarPatched.as_str())];
        assert_eq!(metrics.counter_value("events_enqueued_total", &car), 2);
        assert_eq!(metrics.counter_value("events_enqueued_total", &[("hub", "rm")]), 3);
        let text = metrics.render();
        assert!(!text.contains(EventType::HpcJobStateChanged.as_str()), "only types seen");
        assert!(text.contains("signalr_bridge_queue_depth 3"), "{text}");

        hub.frame();
        for target in ["ReceiveCarPatches", "ReceiveReset", "ReceiveCarPatches"] {
            hub.invocation(target);
        }
        let frames = metrics.counter_value("frames_received_total", &[("hub", "rm")]);
        assert_eq!(frames, 1);
        let invocations = |t| metrics.counter_value("invocations_received_total", &[("target", t)]);
        assert_eq!((invocations("ReceiveCarPatches"), invocations("ReceiveReset")), (2, 1));

        let sink = metrics.sink_counters("nats");
        sink.published(Duration::from_millis(2), Duration::from_millis(3));
        assert_eq!(metrics.counter_value("events_published_total", &[("sink", "nats")]), 1);
        assert!(text.len() < metrics.render().len(), "latency histograms appear");
    }

    #[test]
    fn a_hub_names_its_profiles_targets_from_zero_and_at_most_so_many_others() {
        let metrics = Metrics::new();
        let hub = metrics.hub_counters("rm", &["ReceiveCarPatches", "ReceiveReset"]);
        let count = |t| metrics.counter_value("invocations_received_total", &[("target", t)]);
        let text = metrics.render();
        let zero = "invocations_received_total{hub=\"rm\",target=\"ReceiveReset\"} 0";
        assert!(text.contains(zero), "known targets exist at zero: {text}");
        assert!(text.contains("target=\"other\"} 0"), "{text}");
        for n in 0..100 {
            let named = hub.invocation(&format!("Junk{n}"));
            assert_eq!(named, n < TARGETS_NAMED - 2, "Junk{n}");
        }
        assert!(hub.invocation("ReceiveCarPatches"), "the profile's own keep their names");
        assert_eq!(count("ReceiveCarPatches"), 1);
        assert_eq!(count("other"), 100 - (TARGETS_NAMED as u64 - 2));
        let series = metrics.render().matches("signalr_bridge_invocations_received_total{").count();
        assert_eq!(series, TARGETS_NAMED + 1, "bounded: the named ones and `other`");
        let fresh = metrics.hub_counters("fresh", &[]);
        assert!(!fresh.invocation(&"x".repeat(65)), "too long for a label");
        assert!(!fresh.invocation("Send<script>"), "not a method name");
        assert!(!fresh.invocation("other"), "the overflow's own name");
        assert!(fresh.invocation("ReceiveNews"));
    }
}
