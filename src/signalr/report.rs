//! Where a hub task writes its health: the hub's `/status` view and its metrics, bound to the
//! hub's name so no call repeats it. Sessions, subscriptions and snapshot tasks report through
//! it; nothing here reads the socket or the queue.

use std::sync::Arc;

use tracing::info;

use crate::profile::Invocation;
use crate::status::{HubStatus, HubView, SubscriptionView};
use crate::subs::LastResult;
use crate::telemetry::{HubState, Metrics};

/// One hub's status and metrics handle.
#[derive(Clone)]
pub struct Report {
    name: Arc<str>,
    metrics: Arc<Metrics>,
    status: Arc<HubStatus>,
}

impl Report {
    pub fn new(name: Arc<str>, metrics: Arc<Metrics>, status: Arc<HubStatus>) -> Report {
        metrics.reconnects_at_zero(&name, super::RECONNECT_REASONS);
        Report { name, metrics, status }
    }

    /// All metrics, for the families keyed by more than the hub (gaps, admin changes).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A copy of the hub's `/status` view.
    pub fn view(&self) -> HubView {
        self.status.snapshot()
    }

    pub fn update(&self, change: impl FnOnce(&mut HubView)) {
        self.status.update(change);
    }

    /// Lists the configured subscriptions in `/status`, each pending.
    pub fn show_configured(&self, subscriptions: &[Invocation]) {
        self.status.update(|s| {
            s.subscriptions = subscriptions
                .iter()
                .map(|i| SubscriptionView {
                    invocation: i.display.clone(),
                    last_result: LastResult::Pending,
                    at: None,
                })
                .collect();
        });
    }

    /// The `index`-th configured subscription was sent and awaits its answer.
    pub fn configured_pending(&self, index: usize) {
        self.status.update(|s| {
            if let Some(view) = s.subscriptions.get_mut(index) {
                view.last_result = LastResult::Pending;
            }
        });
    }

    /// The `index`-th configured subscription was answered with `result`, now.
    pub fn configured_answered(&self, index: usize, result: LastResult) {
        let at = time::OffsetDateTime::now_utc();
        self.status.update(|s| {
            if let Some(view) = s.subscriptions.get_mut(index) {
                view.last_result = result;
                view.at = Some(at);
            }
        });
    }

    /// The hub's state in status and in `hub_state`; a retry time only lasts while backing off.
    pub fn set_state(&self, state: HubState) {
        self.status.update(|s| {
            s.state = state;
            if state != HubState::Backoff {
                s.retry_at = None;
            }
        });
        self.metrics.set_hub_state(&self.name, state);
    }

    /// Marks the hub connected in status, metrics and the log. A new connection after an
    /// earlier one is a gap: what the server sent in between was not replayed.
    pub fn connected(&self, connection: &str) {
        let before = self.status.snapshot();
        if before.connects > 0 {
            let now = time::OffsetDateTime::now_utc();
            self.metrics.gaps.gap(&self.name, before.last_message_at, now);
        }
        self.status.update(|s| {
            s.state = HubState::Connected;
            s.connection = Some(connection.to_string());
            s.connects += 1;
            s.last_error = None;
        });
        self.metrics.set_hub_state(&self.name, HubState::Connected);
        info!(hub = %self.name, connection, "Hub connected.");
    }

    /// Input that could not be decoded: counted and logged, the session goes on.
    pub fn decode_error(&self, reason: &'static str, error: &dyn std::fmt::Display) {
        self.metrics.decode_error(&self.name, reason, error);
    }

    /// A target the profile does not know; `named`: whether metrics may use its name.
    pub fn unknown_target(&self, target: &str, named: bool) {
        self.metrics.unknown_target(&self.name, target, named);
    }

    pub fn unknown_state(&self, state: &str) {
        self.metrics.unknown_state(&self.name, state);
    }

    /// A subscription's completion, `ok` or `error`.
    pub fn completion(&self, method: &str, outcome: &'static str) {
        self.metrics.completion(&self.name, method, outcome);
    }

    pub fn reconnect(&self, reason: &'static str) {
        // A reason missing from the list would have no zero series to alert from.
        debug_assert!(super::RECONNECT_REASONS.contains(&reason), "unlisted reason {reason}");
        self.metrics.reconnect(&self.name, reason);
    }

    /// A REST read (snapshot or reconciliation): `ok`, `error` or `decode_error`.
    pub fn snapshot(&self, outcome: &'static str) {
        self.metrics.snapshot(&self.name, outcome);
    }
}
