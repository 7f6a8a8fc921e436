//! The fault-injection controls (the `faults` cargo feature): [`SimControl`] methods that drop,
//! silence, close, forget, refuse or inject, and the same commands over HTTP under `/_sim/*`
//! for the `signalr-sim` binary's clients. The bridge's own build has none of them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::time::Instant;

use super::access::{OAuthClient, Redirect};
use super::control::SimControl;
use super::state::{Ctl, Shared};

impl SimControl {
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
    /// Refuses the next `n` negotiate, upgrade or snapshot requests with 401, whatever token
    /// they carry (as a server does with a revoked token).
    pub fn refuse_next_requests(&self, n: u32) {
        self.shared.access.refuse_next(n);
    }
    /// Sends `text` as is, as one WebSocket text frame, to every connection.
    pub fn inject_raw(&self, text: String) {
        self.shared.send_ctl(Ctl::Raw(text.into()));
    }
    /// Sends `data` as is, as one WebSocket binary frame, to every connection.
    pub fn inject_raw_binary(&self, data: Vec<u8>) {
        self.shared.send_ctl(Ctl::RawBinary(data.into()));
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
