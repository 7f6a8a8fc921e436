//! Runtime subscription counts: admin API requests refused (by reason), subscription changes
//! (API and discovery), and discovery polls.
//! Logging is left to the API, which knows what may be shown (never the token).

use prometheus::{IntCounterVec, Opts, Registry};

pub struct AdminMetrics {
    refused: IntCounterVec,
    changes: IntCounterVec,
    polls: IntCounterVec,
}

impl AdminMetrics {
    pub fn register(r: &Registry) -> AdminMetrics {
        let refused = IntCounterVec::new(
            Opts::new(
                "signalr_bridge_admin_requests_refused_total",
                "Admin API requests refused, by reason (unauthorized, bad_request, unknown_hub, \
                 wrong_kind, not_found, conflict, full, storage, token_unavailable, shutting_down).",
            ),
            &["reason"],
        )
        .expect("valid metric");
        r.register(Box::new(refused.clone())).expect("unique metric");
        let changes = IntCounterVec::new(
            Opts::new(
                "signalr_bridge_subscription_changes_total",
                "Runtime subscriptions added or removed, by hub, action and origin.",
            ),
            &["hub", "action", "origin"],
        )
        .expect("valid metric");
        r.register(Box::new(changes.clone())).expect("unique metric");
        let polls = IntCounterVec::new(
            Opts::new(
                "signalr_bridge_discovery_polls_total",
                "Discovery polls, by hub and outcome.",
            ),
            &["hub", "outcome"],
        )
        .expect("valid metric");
        r.register(Box::new(polls.clone())).expect("unique metric");
        AdminMetrics { refused, changes, polls }
    }

    /// The API refused a request.
    pub fn refused(&self, reason: &'static str) {
        self.refused.with_label_values(&[reason]).inc();
    }

    /// A discovery poll ended (`ok` or `error`).
    pub fn discovery_poll(&self, hub: &str, outcome: &'static str) {
        self.polls.with_label_values(&[hub, outcome]).inc();
    }

    /// A runtime subscription was added or removed (`action`: added, removed).
    pub fn change(&self, hub: &str, action: &'static str, origin: &'static str) {
        self.changes.with_label_values(&[hub, action, origin]).inc();
    }
}
