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
    sink: Mutex<SinkView>,
    shutting_down: AtomicBool,
}

/// The sink's connection as `/status` shows it and `/readyz` explains it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SinkView {
    pub state: SinkState,
    /// Why the last connection attempt failed, or why the connection was lost.
    pub last_error: Option<String>,
    /// Connection attempts that failed since the last success.
    pub failed_attempts: u64,
}

/// Where the sink's connection stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkState {
    /// Not connected yet since the start (the broker may be down; events wait in the queue).
    #[default]
    NeverConnected,
    Connected,
    /// Connected once, lost since; the client reconnects.
    Lost,
}

impl AppStatus {
    pub fn new(hub_names: impl IntoIterator<Item = String>) -> AppStatus {
        AppStatus {
            hubs: hub_names.into_iter().map(|n| Arc::new(HubStatus::new(n))).collect(),
            ..Default::default()
        }
    }

    /// The broker connection came up or went down (client callbacks, publisher).
    pub fn set_sink_connected(&self, connected: bool) {
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        if connected {
            *sink = SinkView { state: SinkState::Connected, ..SinkView::default() };
        } else if sink.state == SinkState::Connected {
            sink.state = SinkState::Lost;
        }
    }

    /// A connection attempt failed with `error` (the broker is down or refuses us).
    pub fn sink_attempt_failed(&self, error: String) {
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        sink.failed_attempts += 1;
        sink.last_error = Some(error);
        if sink.state == SinkState::Connected {
            sink.state = SinkState::Lost;
        }
    }

    pub fn sink_connected(&self) -> bool {
        self.sink().state == SinkState::Connected
    }

    pub fn sink(&self) -> SinkView {
        self.sink.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Why the bridge is not ready, or `None` when it is: what `/readyz` answers with.
    pub fn not_ready(&self) -> Option<String> {
        if self.shutting_down.load(Ordering::Relaxed) {
            return Some("shutting down".into());
        }
        let sink = self.sink();
        let cause = sink.last_error.map(|e| format!(": {e}")).unwrap_or_default();
        match sink.state {
            SinkState::Connected => {}
            SinkState::NeverConnected => return Some(format!("sink never connected{cause}")),
            SinkState::Lost => return Some(format!("sink connection lost{cause}")),
        }
        let waiting: Vec<String> = (self.hubs.iter().map(|h| h.snapshot()))
            .filter(|v| v.state != HubState::Subscribed)
            .map(|v| format!("{} ({})", v.name, v.state.as_str()))
            .collect();
        (!waiting.is_empty()).then(|| format!("hubs not subscribed: {}", waiting.join(", ")))
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Ready: not shutting down, the sink is connected, and every hub is connected with its
    /// subscriptions done.
    pub fn ready(&self) -> bool {
        self.not_ready().is_none()
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
