//! Shared, observable state: what `/readyz` and `/status` report. Hub tasks and the publisher
//! write it; the admin server reads it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use time::OffsetDateTime;

use crate::telemetry::HubState;

/// The whole process's state.
#[derive(Debug, Default)]
pub struct AppStatus {
    /// One entry per configured hub, in config order.
    pub hubs: Vec<Arc<HubStatus>>,
    /// Long operations (spool replay, discovery's first scan) and how far they got.
    pub progress: crate::progress::Progress,
    sink_connected: AtomicBool,
    shutting_down: AtomicBool,
}

impl AppStatus {
    pub fn new(hub_names: impl IntoIterator<Item = String>) -> AppStatus {
        AppStatus {
            hubs: hub_names.into_iter().map(|n| Arc::new(HubStatus::new(n))).collect(),
            ..Default::default()
        }
    }

    pub fn set_sink_connected(&self, connected: bool) {
        self.sink_connected.store(connected, Ordering::Relaxed);
    }

    pub fn sink_connected(&self) -> bool {
        self.sink_connected.load(Ordering::Relaxed)
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Ready: not shutting down, the sink is connected, and every hub is connected with its
    /// subscriptions done.
    pub fn ready(&self) -> bool {
        !self.shutting_down.load(Ordering::Relaxed)
            && self.sink_connected()
            && self.hubs.iter().all(|h| h.snapshot().state == HubState::Subscribed)
    }
}

/// One hub's state, and its runtime subscriptions (shared with the hub task and the API).
#[derive(Debug)]
pub struct HubStatus {
    inner: Mutex<HubView>,
    /// Subscriptions added at run time (admin API, discovery).
    pub dynamic: crate::subs::Set,
}

/// A copy of one hub's state, as `/status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HubView {
    pub name: String,
    pub state: HubState,
    /// The connection the hub is on (negotiated id or minted UUID).
    pub connection: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_message_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    /// While in backoff: when the next connection attempt is due (sooner if the hub was down
    /// and answers again).
    #[serde(with = "time::serde::rfc3339::option")]
    pub retry_at: Option<OffsetDateTime>,
    pub connects: u64,
    pub subscriptions: Vec<SubscriptionView>,
    /// Subscriptions added at run time, with how each last ended.
    pub dynamic: Vec<crate::subs::DynamicView>,
}

/// One subscription and how its last invocation ended.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    /// Method and arguments, secrets redacted.
    pub invocation: String,
    pub last_result: crate::subs::LastResult,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
}

impl HubStatus {
    pub fn new(name: String) -> HubStatus {
        HubStatus {
            inner: Mutex::new(HubView {
                name,
                state: HubState::Connecting,
                connection: None,
                last_message_at: None,
                last_error: None,
                retry_at: None,
                connects: 0,
                subscriptions: Vec::new(),
                dynamic: Vec::new(),
            }),
            dynamic: crate::subs::Set::new(),
        }
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> HubView {
        let mut view = self.lock().clone();
        view.dynamic = self.dynamic.views();
        view
    }

    /// Changes the state under the lock.
    pub fn update(&self, change: impl FnOnce(&mut HubView)) {
        change(&mut self.lock());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubView> {
        // A panic while holding this lock cannot leave the view inconsistent in a harmful way.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
