//! Logs and metrics. Each occurrence worth counting has one method on [`Metrics`] that counts
//! it (and logs it where a log line is due), so call sites stay one line.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};
use tracing::{debug, warn};

mod admin;
mod gaps;
mod handles;
mod info;
mod link;
mod logging;
mod read;
mod spool;
mod state;
pub use admin::AdminMetrics;
pub use gaps::GapMetrics;
pub use handles::{HubCounters, SinkCounters};
pub use info::InfoMetrics;
pub use link::LinkMetrics;
pub use logging::init_logging;
pub use spool::SpoolMetrics;
pub use state::HubState;

/// All metrics, prefixed `signalr_bridge_`, in their own registry.
pub struct Metrics {
    registry: Registry,
    frames: IntCounterVec,
    invocations: IntCounterVec,
    unknown_targets: IntCounterVec,
    unknown_states: IntCounterVec,
    decode_errors: IntCounterVec,
    completions: IntCounterVec,
    hub_state: IntGaugeVec,
    reconnects: IntCounterVec,
    events_enqueued: IntCounterVec,
    published: IntCounterVec,
    publish_failed: IntCounterVec,
    publish_latency: HistogramVec,
    queue_depth: IntGauge,
    snapshots: IntCounterVec,
    token_requests: IntCounterVec,
    undelivered: IntCounterVec,
    dropped: IntCounterVec,
    end_to_end: Histogram,
    dispatch: Histogram,
    /// The disk spool's level and incidents.
    pub spool: SpoolMetrics,
    /// Connections replaced without replay.
    pub gaps: GapMetrics,
    /// The admin API's refusals and subscription changes.
    pub admin: AdminMetrics,
    /// The sink's broker connection.
    pub link: LinkMetrics,
    /// Build, buffer sizes, pending at shutdown, process.
    pub info: InfoMetrics,
}

/// An unlabelled gauge `signalr_bridge_{name}`, registered.
fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(format!("signalr_bridge_{name}"), help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(format!("signalr_bridge_{name}"), help), labels)
        .expect("valid metric");
    registry.register(Box::new(c.clone())).expect("unique metric");
    c
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new();
        let hub_state = IntGaugeVec::new(
            Opts::new("signalr_bridge_hub_state", "1 for the hub's current connection state."),
            &["hub", "state"],
        )
        .expect("valid metric");
        r.register(Box::new(hub_state.clone())).expect("unique metric");
        let queue_depth =
            IntGauge::new("signalr_bridge_queue_depth", "Events waiting for the publisher.")
                .expect("valid metric");
        r.register(Box::new(queue_depth.clone())).expect("unique metric");
        let buckets = vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let publish_latency = HistogramVec::new(
            HistogramOpts::new(
                "signalr_bridge_publish_latency_seconds",
                "From publish to broker acknowledgement.",
            )
            .buckets(buckets.clone()),
            &["sink"],
        )
        .expect("valid metric");
        r.register(Box::new(publish_latency.clone())).expect("unique metric");
        let end_to_end = Histogram::with_opts(
            HistogramOpts::new(
                "signalr_bridge_event_delivery_seconds",
                "From reading the hub message to broker acknowledgement.",
            )
            .buckets(buckets),
        )
        .expect("valid metric");
        r.register(Box::new(end_to_end.clone())).expect("unique metric");
        let dispatch = Histogram::with_opts(
            HistogramOpts::new(
                "signalr_bridge_event_dispatch_seconds",
                "From reading the hub message to handing its event to the sink: the time the \
                 bridge itself adds, queueing included.",
            )
            .buckets(vec![
                0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )
        .expect("valid metric");
        r.register(Box::new(dispatch.clone())).expect("unique metric");
        Metrics {
            frames: counter(&r, "frames_received_total", "WebSocket frames received.", &["hub"]),
            invocations: counter(
                &r,
                "invocations_received_total",
                "Hub invocations received.",
                &["hub", "target"],
            ),
            unknown_targets: counter(
                &r,
                "unknown_targets_total",
                "Invocations the profile does not know, published as generic events.",
                &["hub", "target"],
            ),
            unknown_states: counter(
                &r,
                "unknown_states_total",
                "State names outside the documented set, kept in their events.",
                &["hub", "state"],
            ),
            decode_errors: counter(
                &r,
                "decode_errors_total",
                "Hub input that could not be decoded.",
                &["hub", "reason"],
            ),
            completions: counter(
                &r,
                "completions_total",
                "Results of the bridge's own hub invocations.",
                &["hub", "method", "outcome"],
            ),
            reconnects: counter(
                &r,
                "reconnects_total",
                "Hub connections lost or refused, by reason.",
                &["hub", "reason"],
            ),
            events_enqueued: counter(
                &r,
                "events_enqueued_total",
                "Events handed to the queue.",
                &["hub", "type"],
            ),
            published: counter(
                &r,
                "events_published_total",
                "Events the broker acknowledged.",
                &["sink"],
            ),
            publish_failed: counter(
                &r,
                "publish_failed_total",
                "Publish attempts that failed (retried).",
                &["sink", "reason"],
            ),
            snapshots: counter(
                &r,
                "snapshots_total",
                "REST snapshot fetches.",
                &["hub", "outcome"],
            ),
            token_requests: counter(
                &r,
                "token_requests_total",
                "OAuth2 token requests, by outcome.",
                &["hub", "outcome"],
            ),
            undelivered: counter(
                &r,
                "undelivered_total",
                "Events not delivered when shutdown ended.",
                &["sink"],
            ),
            dropped: counter(
                &r,
                "events_dropped_total",
                "Events a hub had read and could not hand over because the queue closed at a hard \
                 stop (no spool, or it failed); part of the run's lost events.",
                &["hub"],
            ),
            hub_state,
            queue_depth,
            publish_latency,
            end_to_end,
            dispatch,
            spool: SpoolMetrics::register(&r),
            gaps: GapMetrics::register(&r),
            admin: AdminMetrics::register(&r),
            link: LinkMetrics::register(&r),
            info: InfoMetrics::register(&r),
            registry: r,
        }
    }

    /// An invocation no profile knows; it is still published, as a generic event.
    pub fn unknown_target(&self, hub: &str, target: &str, named: bool) {
        debug!(hub, target, "Invocation target unknown to the profile; published as generic.");
        let label = if named { target } else { "other" };
        self.unknown_targets.with_label_values(&[hub, label]).inc();
    }

    /// A state name the profile does not know; the event still carries it. The label is the
    /// name when it looks like one (short, alphanumeric), else `other`, so that hostile input
    /// cannot grow the label set without bound.
    pub fn unknown_state(&self, hub: &str, state: &str) {
        debug!(hub, state, "State name outside the documented set; kept in the event.");
        let plain = !state.is_empty()
            && state.len() <= 32
            && state.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let label = if plain { state } else { "other" };
        self.unknown_states.with_label_values(&[hub, label]).inc();
    }

    /// Bad input: counted and logged, never the payload itself.
    pub fn decode_error(&self, hub: &str, reason: &'static str, error: &dyn std::fmt::Display) {
        warn!(hub, reason, %error, "Hub input could not be decoded; skipped.");
        self.decode_errors.with_label_values(&[hub, reason]).inc();
    }

    pub fn completion(&self, hub: &str, method: &str, outcome: &'static str) {
        self.completions.with_label_values(&[hub, method, outcome]).inc();
    }

    pub fn set_hub_state(&self, hub: &str, state: HubState) {
        for s in HubState::ALL {
            self.hub_state.with_label_values(&[hub, s.as_str()]).set(i64::from(s == state));
        }
    }

    /// Creates `hub`'s `reconnects_total` series for every reason, at zero.
    pub fn reconnects_at_zero(&self, hub: &str, reasons: &[&str]) {
        for reason in reasons {
            self.reconnects.with_label_values(&[hub, reason]);
        }
    }

    pub fn reconnect(&self, hub: &str, reason: &'static str) {
        self.reconnects.with_label_values(&[hub, reason]).inc();
    }

    /// The publisher took an event read from its hub at `read_at` off the queue, to publish it
    /// now; `None` for events not headed for the broker (a hard stop's spooling).
    /// `events` an earlier run left in the spool wait for the publisher too.
    pub fn queued_from_earlier_run(&self, events: u64) {
        self.queue_depth.add(i64::try_from(events).unwrap_or(i64::MAX));
    }

    pub fn event_dequeued(&self, read_at: Option<time::OffsetDateTime>) {
        self.queue_depth.dec();
        if let Some(read_at) = read_at {
            let inside = time::OffsetDateTime::now_utc() - read_at;
            self.dispatch.observe(inside.as_seconds_f64().max(0.0));
        }
    }

    pub fn publish_failed(&self, sink: &'static str, reason: &'static str) {
        self.publish_failed.with_label_values(&[sink, reason]).inc();
    }

    pub fn snapshot(&self, hub: &str, outcome: &'static str) {
        self.snapshots.with_label_values(&[hub, outcome]).inc();
    }

    pub fn token_request(&self, hub: &str, outcome: &'static str) {
        self.token_requests.with_label_values(&[hub, outcome]).inc();
    }

    pub fn undelivered(&self, sink: &'static str, count: u64) {
        self.undelivered.with_label_values(&[sink]).inc_by(count);
    }
}
