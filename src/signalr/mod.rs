//! Hub connections: one task per configured hub owns its socket, and loops over sessions with
//! capped exponential backoff until shutdown. Dialect code lives in submodules; this module holds
//! the dialect-neutral loop and the reasons a session ends.

pub mod auth;
pub mod backoff;
pub mod classic;
pub mod core;
pub mod dispatch;
mod error;
mod hub;
pub mod outbox;
pub mod reconcile;
pub mod report;
pub mod rest;
pub mod snapshot;
pub mod subscriptions;
pub mod transport;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

pub use error::{Ending, ProtocolError, SessionError, RECONNECT_REASONS};
pub use hub::{source_of, Client, Hub, Spec};

use crate::config::Dialect;
use crate::telemetry::HubState;

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
        hub.report.set_state(HubState::Connecting);
        let (exit, connected) = match hub.spec.config.dialect {
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
                warn!(hub = %hub.spec.name, error = error.as_deref().unwrap_or(""), "Server closed the connection and allows reconnecting.");
                "close_allow_reconnect"
            }
            Exit::Closed { allow_reconnect: false, error } => {
                warn!(hub = %hub.spec.name, error = error.as_deref().unwrap_or(""), "Server closed the connection without allowing reconnect; reconnecting with backoff anyway.");
                "close"
            }
            Exit::Lost(e) if e.reason() == "credentials_file" => {
                error!(hub = %hub.spec.name, error = %e, "A credentials file cannot be read; nothing was sent to the hub. Retrying with backoff.");
                e.reason()
            }
            Exit::Lost(e) if e.is_auth() => {
                error!(hub = %hub.spec.name, error = %e, "Hub refused our credentials; check the hub's auth settings. Retrying with backoff.");
                e.reason()
            }
            Exit::Lost(e) => {
                warn!(hub = %hub.spec.name, error = %e, "Hub connection lost.");
                e.reason()
            }
        };
        hub.report.reconnect(reason);
        let message = match &exit {
            Exit::Lost(e) => e.to_string(),
            Exit::Closed { error, .. } => {
                format!("server Close: {}", error.as_deref().unwrap_or("no error"))
            }
            Exit::Shutdown => String::new(),
        };
        let wait = signalr_proto::backoff::delay(
            &hub.spec.config.reconnect.schedule(),
            attempt,
            rand::random::<f64>(),
        );
        let retry_at = time::OffsetDateTime::now_utc() + wait;
        hub.report.update(|s| {
            s.last_error = Some(message);
            s.retry_at = Some(retry_at);
        });
        hub.report.set_state(HubState::Backoff);
        attempt = attempt.saturating_add(1);
        info!(hub = %hub.spec.name, delay_ms = wait.as_millis() as u64, attempt, "Reconnecting after backoff.");
        // A hub that is down (refuses TCP), or goes down just after the drop, is watched and
        // reconnected as soon as it is back; one that answers but fails backs off as
        // configured, so it is not hammered.
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
            _ = backoff::until_back(&hub.spec.config.url) => {
                info!(hub = %hub.spec.name, "Hub reachable again; reconnecting now.");
            }
        }
    }
    hub.report.set_state(HubState::Stopped);
    info!(hub = %hub.spec.name, "Hub task stopped.");
}
