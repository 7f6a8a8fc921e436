//! A hub task's context, in parts that say what a session does with each: it reads [`Spec`]
//! (what the hub is and what to invoke) and [`Client`] (how to reach it), and writes to
//! [`Outbox`] (events, to the queue) and [`Report`] (status and metrics). Shared with the
//! snapshot tasks a session spawns.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::auth::Auth;
use super::outbox::Outbox;
use super::report::Report;
use super::transport::{SetupError, Transport, Transports};
use crate::config::HubConfig;
use crate::profile::{Invocation, Profile};
use crate::queue::QueueTx;
use crate::status::HubStatus;
use crate::telemetry::Metrics;

/// Everything a hub task needs.
pub struct Hub {
    pub spec: Spec,
    pub client: Client,
    pub out: Outbox,
    pub report: Report,
    /// Subscriptions added at run time (admin API, discovery); the same set as the status'.
    pub dynamic: crate::subs::Set,
    /// Cancelled at shutdown; side tasks (snapshots) stop with it.
    pub shutdown: CancellationToken,
}

/// What the hub is: its configuration, identity, profile and configured subscriptions.
pub struct Spec {
    pub config: HubConfig,
    pub name: Arc<str>,
    /// CloudEvents `source` of this hub's events.
    pub source: Arc<str>,
    pub profile: Profile,
    /// Invoked after every connect, in order.
    pub subscriptions: Vec<Invocation>,
}

/// How to reach the hub: HTTP and WebSocket settings, and where credentials come from for
/// every connect and every REST request.
pub struct Client {
    pub transport: Transport,
    pub auth: Auth,
}

impl Spec {
    /// The hub as `config` describes it.
    pub fn new(config: HubConfig) -> Spec {
        let profile = Profile::from_config(&config);
        let subscriptions = profile.subscriptions(&config);
        Spec {
            name: Arc::from(config.name.as_str()),
            source: Arc::from(source_of(&config)),
            profile,
            subscriptions,
            config,
        }
    }
}

impl Hub {
    pub fn new(
        config: HubConfig,
        tx: QueueTx,
        metrics: Arc<Metrics>,
        status: Arc<HubStatus>,
        shutdown: CancellationToken,
        transports: &Transports,
    ) -> Result<Hub, SetupError> {
        let spec = Spec::new(config);
        let config = &spec.config;
        if config.tls.insecure_skip_verify {
            warn!(hub = %config.name, "TLS certificate verification is OFF for this hub (insecure_skip_verify): anyone on the path can impersonate it. Prefer tls.ca_file.");
        }
        let report = Report::new(spec.name.clone(), metrics.clone(), status.clone());
        report.show_configured(&spec.subscriptions);
        let timeout = Duration::from_secs(config.handshake_timeout_secs);
        let transport = transports.get(&config.tls, timeout)?;
        let auth = Auth::new(&config.auth, &transport.http, spec.name.clone(), metrics.clone());
        Ok(Hub {
            client: Client { transport, auth },
            out: Outbox::new(tx, metrics.hub_counters(&config.name, spec.profile.known_targets())),
            dynamic: status.dynamic.clone(),
            report,
            shutdown,
            spec,
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
