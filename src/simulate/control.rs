//! Steering a running simulator: [`SimControl`] for in-process tests, and the same commands
//! over HTTP under `/_sim/*` for the CLI, the demo and clients in other languages.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::time::Instant;

use super::access::{OAuthClient, Redirect, TOKEN_PATH};
use super::feed::{Feed, FeedPlan, FeedStats};
use super::race::SimInvocation;
use super::state::{Ctl, Shared};
use super::{HUB_PATH, SNAPSHOT_PATH};

/// Commands tests (and `/_sim/*` HTTP endpoints) give a running simulator. Cheap to clone.
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

    /// Drops every connection abruptly: no Close record, no WebSocket close frame.
    pub fn drop_connections(&self) {
        self.shared.drop_all();
    }
    /// Drops every connection and forgets it, as a server restart would: a stateful client's
    /// transport reconnect is refused (404), so it must make a new connection.
    pub fn forget_connections(&self) {
        self.shared.forget_all();
    }
    /// Sends nothing at all (not even pings) and reads nothing for `for_`.
    pub fn go_silent(&self, for_: Duration) {
        self.shared.go_silent(Instant::now() + for_);
    }
    /// Sends `{"type":7}` (with `"allowReconnect":true` when asked) and closes each connection.
    pub fn close(&self, allow_reconnect: bool) {
        self.shared.send_ctl(Ctl::Close { error: None, allow_reconnect });
    }
    /// Like [`SimControl::close`], with an `error` in the Close record.
    pub fn close_with_error(&self, error: &str, allow_reconnect: bool) {
        self.shared.send_ctl(Ctl::Close { error: Some(error.to_string()), allow_reconnect });
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
    /// Refuses the next `n` negotiate, upgrade or snapshot requests with 401, whatever token
    /// they carry (as a server does with a revoked token).
    pub fn refuse_next_requests(&self, n: u32) {
        self.shared.access.refuse_next(n);
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
    /// Sends `text` as is, as one WebSocket text frame, to every connection.
    pub fn inject_raw(&self, text: String) {
        self.shared.send_ctl(Ctl::Raw(text.into()));
    }
    /// Sends `data` as is, as one WebSocket binary frame, to every connection.
    pub fn inject_raw_binary(&self, data: Vec<u8>) {
        self.shared.send_ctl(Ctl::RawBinary(data.into()));
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

/// The `/_sim/*` routes; each mirrors one [`SimControl`] method.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/drop", post(drop_all))
        .route("/forget", post(forget_all))
        .route("/silent", post(silent))
        .route("/close", post(close))
        .route("/reset", post(reset))
        .route("/token", post(token))
        .route("/inject", post(inject))
        .route("/connections", get(connections))
        .route("/invocations", get(invocations))
        .route("/redirect", post(redirect))
        .route("/oauth", post(oauth))
}

async fn drop_all(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.drop_all();
    StatusCode::NO_CONTENT
}

async fn forget_all(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.forget_all();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct SilentParams {
    secs: f64,
}

async fn silent(State(shared): State<Arc<Shared>>, Query(p): Query<SilentParams>) -> StatusCode {
    match Duration::try_from_secs_f64(p.secs) {
        Ok(d) => {
            shared.go_silent(Instant::now() + d);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

#[derive(Deserialize)]
struct CloseParams {
    #[serde(default)]
    allow_reconnect: bool,
    #[serde(default)]
    error: Option<String>,
}

async fn close(State(shared): State<Arc<Shared>>, Query(p): Query<CloseParams>) -> StatusCode {
    shared.send_ctl(Ctl::Close { error: p.error, allow_reconnect: p.allow_reconnect });
    StatusCode::NO_CONTENT
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.spawn_reset();
    StatusCode::NO_CONTENT
}

/// The body is the new token; an empty body clears it.
async fn token(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    let token = Some(body.trim().to_string()).filter(|t| !t.is_empty());
    shared.set_required_token(token);
    StatusCode::NO_CONTENT
}

async fn inject(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    shared.send_ctl(Ctl::Raw(body.into()));
    StatusCode::NO_CONTENT
}

async fn connections(State(shared): State<Arc<Shared>>) -> Json<usize> {
    Json(shared.connection_count())
}

async fn invocations(State(shared): State<Arc<Shared>>) -> Json<Vec<(String, String)>> {
    Json(shared.invocations())
}

#[derive(Deserialize)]
struct RedirectParams {
    #[serde(default)]
    hops: u32,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default, rename = "loop")]
    looping: bool,
}

/// `?hops=3[&access_token=t]` for a chain, `?loop=true` for a loop, no parameters for off.
async fn redirect(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<RedirectParams>,
) -> StatusCode {
    let redirect = match (p.looping, p.hops) {
        (true, _) => Redirect::Loop,
        (false, 0) => Redirect::Off,
        (false, hops) => Redirect::Chain { hops, access_token: p.access_token },
    };
    shared.access.set_redirect(redirect);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct OAuthParams {
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default = "default_ttl")]
    ttl_secs: u64,
}

fn default_ttl() -> u64 {
    300
}

/// `?client_id=c&client_secret=s[&ttl_secs=5]` turns the token endpoint on; no id turns it off.
async fn oauth(State(shared): State<Arc<Shared>>, Query(p): Query<OAuthParams>) -> StatusCode {
    let client = p.client_id.map(|client_id| OAuthClient {
        client_id,
        client_secret: p.client_secret.unwrap_or_default(),
        ttl: Duration::from_secs(p.ttl_secs),
    });
    shared.access.set_oauth(client);
    StatusCode::NO_CONTENT
}
