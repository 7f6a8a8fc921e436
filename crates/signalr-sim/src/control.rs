//! Steering a running simulator in process: [`SimControl`] (feeds, broadcasts, access settings,
//! what clients did). Its fault-injection half, and the HTTP routes, are `faults.rs`.

use std::sync::Arc;

use super::access::{OAuthClient, Redirect, TOKEN_PATH};
use super::feed::{Feed, FeedPlan, FeedStats};
use super::race::SimInvocation;
use super::state::Shared;
use super::{HUB_PATH, SNAPSHOT_PATH};

/// Commands tests and benchmarks give a running simulator (the fault-injection ones with the
/// `faults` feature). Cheap to clone.
#[derive(Clone)]
pub struct SimControl {
    pub(super) shared: Arc<Shared>,
    pub(super) base: url::Url,
}

/// A running benchmark feed; dropping it stops the feed (not the simulator).
pub struct FeedRun {
    pub stats: Arc<FeedStats>,
    _stop: tokio_util::sync::DropGuard,
}

impl FeedRun {
    /// A feed that `stop` ends, counted in `stats`.
    pub(crate) fn new(stats: Arc<FeedStats>, stop: tokio_util::sync::CancellationToken) -> FeedRun {
        FeedRun { stats, _stop: stop.drop_guard() }
    }
}

impl SimControl {
    /// Starts sending `feed` to the event group's subscribers (run the simulator with
    /// `rate_per_sec: 0` so the race ticker stays out of the way).
    pub fn start_feed(&self, feed: Arc<Feed>, plan: FeedPlan) -> FeedRun {
        let stats = Arc::new(FeedStats::default());
        let stop = self.shared.cancel.child_token();
        let shared = self.shared.clone();
        let (task_stats, task_stop) = (stats.clone(), stop.clone());
        self.shared.runtime.spawn(async move {
            tokio::select! {
                _ = task_stop.cancelled() => {}
                _ = super::feed::run(shared, feed, plan, task_stats) => {}
            }
        });
        FeedRun::new(stats, stop)
    }

    /// Restarts the race and broadcasts what that produces (`ReceiveReset`).
    pub fn reset(&self) {
        self.shared.spawn_reset();
    }
    /// Sets or clears the bearer token negotiate, upgrade and snapshot requests must carry.
    pub fn set_required_token(&self, token: Option<String>) {
        self.shared.set_required_token(token);
    }
    /// Makes negotiate answer with redirects (or stop doing so with [`Redirect::Off`]).
    pub fn set_redirect(&self, redirect: Redirect) {
        self.shared.access.set_redirect(redirect);
    }
    /// Turns the OAuth2 token endpoint on for this client (off with `None`); its tokens are
    /// then accepted beside any required static token, until they expire.
    pub fn set_oauth_client(&self, client: Option<OAuthClient>) {
        self.shared.access.set_oauth(client);
    }
    /// `http://<addr>/oauth2/token`.
    pub fn token_url(&self) -> url::Url {
        self.base.join(TOKEN_PATH.trim_start_matches('/')).unwrap_or_else(|_| self.base.clone())
    }
    /// Every bearer token presented on negotiate, upgrade or snapshot, in order.
    pub fn tokens_presented(&self) -> Vec<String> {
        self.shared.access.presented()
    }
    /// Every token the token endpoint issued (unexpired ones, and expired ones not yet purged).
    pub fn tokens_issued(&self) -> Vec<String> {
        self.shared.access.issued()
    }
    /// Transports that resumed a stateful connection so far.
    pub fn stateful_resumes(&self) -> u64 {
        self.shared.resumes.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Handshaken connections now open.
    pub fn connection_count(&self) -> usize {
        self.shared.connection_count()
    }
    /// How many open connections speak each hub protocol: (JSON, MessagePack).
    pub fn protocol_counts(&self) -> (usize, usize) {
        self.shared.protocol_counts()
    }
    /// Waits until exactly `n` connections are open.
    pub async fn wait_for_connections(&self, n: usize) {
        let mut rx = self.shared.watch_connection_count();
        // The sender lives as long as `shared`, which we hold, so this cannot fail.
        let _ = rx.wait_for(|count| *count == n).await;
    }
    /// Every client-to-server invocation so far, in order: (target, arguments JSON array).
    pub fn invocations_received(&self) -> Vec<(String, String)> {
        self.shared.invocations()
    }
    /// Waits until at least `n` client invocations have arrived.
    pub async fn wait_for_invocations(&self, n: usize) {
        let mut rx = self.shared.watch_invocation_count();
        let _ = rx.wait_for(|count| *count >= n).await;
    }
    /// Replaces what `LoadLiveEvents` lists (events appear, end, change names).
    pub fn set_live_events(&self, events: Vec<super::LiveEvent>) {
        *super::state::lock(&self.shared.live_events) = Some(events);
    }
    /// `http://<addr>/status/v2/Events/LoadLiveEvents`.
    pub fn live_events_url(&self) -> url::Url {
        let path = super::LIVE_EVENTS_PATH.trim_start_matches('/');
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }
    /// Queues `invocation` for its group's connections, waiting while a queue is full.
    pub async fn broadcast(&self, invocation: SimInvocation) {
        self.shared.broadcast(&invocation).await;
    }
    /// `http://<addr>/status/event-status`.
    pub fn hub_url(&self) -> url::Url {
        self.base.join(HUB_PATH.trim_start_matches('/')).unwrap_or_else(|_| self.base.clone())
    }
    /// `http://<addr>/status/v2/Events/GetCurrentSessionStateJson?eventId=<configured event>`.
    pub fn snapshot_url(&self) -> url::Url {
        let mut url = self
            .base
            .join(SNAPSHOT_PATH.trim_start_matches('/'))
            .unwrap_or_else(|_| self.base.clone());
        url.query_pairs_mut().append_pair("eventId", &self.shared.config.event_id.to_string());
        url
    }
}
