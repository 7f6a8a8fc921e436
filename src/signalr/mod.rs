//! Hub connections: one task per configured hub owns its socket, and loops over sessions with
//! capped exponential backoff until shutdown. Dialect code lives in submodules; this module holds
//! the dialect-neutral loop and the reasons a session ends.

pub mod auth;
pub mod backoff;
pub mod classic;
pub mod core;
pub mod dispatch;
mod error;
pub mod reconcile;
pub mod rest;
pub mod snapshot;
pub mod subscriptions;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

pub use error::{Ending, ProtocolError, SessionError};

use crate::config::{Dialect, HubConfig};
use crate::profile::{Invocation, Profile};
use crate::queue::QueueTx;
use crate::status::{HubStatus, SubscriptionView};
use crate::telemetry::{HubState, Metrics};

/// Everything a hub task needs; shared with the snapshot tasks it spawns.
pub struct Hub {
    pub config: HubConfig,
    pub name: Arc<str>,
    /// CloudEvents `source` of this hub's events.
    pub source: Arc<str>,
    pub profile: Profile,
    /// Invoked after every connect, in order.
    pub subscriptions: Vec<Invocation>,
    pub transport: transport::Transport,
    /// Where credentials come from, for every connect and every REST request.
    pub auth: auth::Auth,
    pub tx: QueueTx,
    pub metrics: Arc<Metrics>,
    /// This hub's per-event counters, resolved once.
    pub counts: crate::telemetry::HubCounters,
    pub status: Arc<HubStatus>,
    /// Cancelled at shutdown; side tasks (snapshots) stop with it.
    pub shutdown: CancellationToken,
    /// Subscriptions added at run time (admin API, discovery); the same set as `status`'s.
    pub dynamic: crate::subs::Set,
}

impl Hub {
    pub fn new(
        config: HubConfig,
        tx: QueueTx,
        metrics: Arc<Metrics>,
        status: Arc<HubStatus>,
        shutdown: CancellationToken,
        transports: &transport::Transports,
    ) -> Result<Hub, transport::SetupError> {
        let profile = Profile::from_config(&config);
        let subscriptions = profile.subscriptions(&config);
        status.update(|s| {
            s.subscriptions = subscriptions
                .iter()
                .map(|i| SubscriptionView {
                    invocation: i.display.clone(),
                    last_result: crate::subs::LastResult::Pending,
                    at: None,
                })
                .collect();
        });
        if config.tls.insecure_skip_verify {
            warn!(hub = %config.name, "TLS certificate verification is OFF for this hub (insecure_skip_verify): anyone on the path can impersonate it. Prefer tls.ca_file.");
        }
        let timeout = Duration::from_secs(config.handshake_timeout_secs);
        let transport = transports.get(&config.tls, timeout)?;
        let name: Arc<str> = Arc::from(config.name.as_str());
        let auth = auth::Auth::new(&config.auth, &transport.http, name.clone(), metrics.clone());
        Ok(Hub {
            name,
            auth,
            source: Arc::from(source_of(&config)),
            profile,
            subscriptions,
            transport,
            tx,
            counts: metrics.hub_counters(&config.name),
            metrics,
            dynamic: status.dynamic.clone(),
            status,
            shutdown,
            config,
        })
    }
}

/// The configured source, or the hub URL without credentials, query or fragment.
pub fn source_of(config: &HubConfig) -> String {
    if let Some(source) = &config.source {
        return source.clone();
    }
    let mut url = config.url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// How a session ended.
#[derive(Debug)]
pub enum Exit {
    /// The bridge is shutting down.
    Shutdown,
    /// The server sent Close.
    Closed { allow_reconnect: bool, error: Option<String> },
    /// The connection failed or was lost.
    Lost(SessionError),
}

/// Runs one hub until `cancel`: connect, subscribe, read; on any end but shutdown, back off and
/// connect again, for ever.
pub async fn run_hub(hub: Arc<Hub>, cancel: CancellationToken) {
    let mut attempt: u32 = 0;
    let mut classic_state = classic::session::ClassicState::new(&hub);
    loop {
        set_state(&hub, HubState::Connecting);
        let (exit, connected) = match hub.config.dialect {
            Dialect::Core => match core::connect::open(&hub).await {
                Ok(opened) => (core::session::run(&hub, opened, &cancel).await, true),
                Err(e) => (Exit::Lost(e), false),
            },
            Dialect::Classic => classic::session::run(&hub, &mut classic_state, &cancel).await,
        };
        if connected {
            attempt = 0;
        }
        let reason = match &exit {
            Exit::Shutdown | Exit::Lost(SessionError::QueueClosed | SessionError::Shutdown) => {
                break
            }
            Exit::Closed { allow_reconnect: true, error } => {
                warn!(hub = %hub.name, error = error.as_deref().unwrap_or(""), "Server closed the connection and allows reconnecting.");
                "close_allow_reconnect"
            }
            Exit::Closed { allow_reconnect: false, error } => {
                warn!(hub = %hub.name, error = error.as_deref().unwrap_or(""), "Server closed the connection without allowing reconnect; reconnecting with backoff anyway.");
                "close"
            }
            Exit::Lost(e) if e.is_auth() => {
                error!(hub = %hub.name, error = %e, "Hub refused our credentials; check the hub's auth settings. Retrying with backoff.");
                e.reason()
            }
            Exit::Lost(e) => {
                warn!(hub = %hub.name, error = %e, "Hub connection lost.");
                e.reason()
            }
        };
        hub.metrics.reconnect(&hub.name, reason);
        let message = match &exit {
            Exit::Lost(e) => e.to_string(),
            Exit::Closed { error, .. } => {
                format!("server Close: {}", error.as_deref().unwrap_or("no error"))
            }
            Exit::Shutdown => String::new(),
        };
        let wait = signalr_proto::backoff::delay(
            &hub.config.reconnect.schedule(),
            attempt,
            rand::random::<f64>(),
        );
        let retry_at = time::OffsetDateTime::now_utc() + wait;
        hub.status.update(|s| {
            s.last_error = Some(message);
            s.retry_at = Some(retry_at);
        });
        set_state(&hub, HubState::Backoff);
        attempt = attempt.saturating_add(1);
        info!(hub = %hub.name, delay_ms = wait.as_millis() as u64, attempt, "Reconnecting after backoff.");
        // A hub that is down (refuses TCP), or goes down just after the drop, is watched and
        // reconnected as soon as it is back; one that answers but fails backs off as
        // configured, so it is not hammered.
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
            _ = backoff::until_back(&hub.config.url) => {
                info!(hub = %hub.name, "Hub reachable again; reconnecting now.");
            }
        }
    }
    set_state(&hub, HubState::Stopped);
    info!(hub = %hub.name, "Hub task stopped.");
}

fn set_state(hub: &Hub, state: HubState) {
    hub.status.update(|s| {
        s.state = state;
        if state != HubState::Backoff {
            s.retry_at = None;
        }
    });
    hub.metrics.set_hub_state(&hub.name, state);
}
