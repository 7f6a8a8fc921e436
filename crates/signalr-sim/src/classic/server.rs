//! The classic simulator's SignalR HTTP surface under `/hpc/signalr/`: negotiate, the
//! `connect` / `reconnect` WebSocket upgrades, start, abort, ping, and HTTP Basic auth on every
//! request (the upgrade included). Sockets run in `connection.rs`; REST lives in `rest.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Serialize;

use super::connection;
use super::state::{Shared, TokenError};
use super::{rest, JOB_HUB, TASK_HUB};

/// The SignalR base path (HPC Pack's `/hpc` plus the classic client's default `/signalr`).
pub const SIGNALR_PATH: &str = "/hpc/signalr";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(&format!("{SIGNALR_PATH}/negotiate"), get(negotiate))
        .route(&format!("{SIGNALR_PATH}/connect"), get(connect))
        .route(&format!("{SIGNALR_PATH}/reconnect"), get(reconnect))
        .route(&format!("{SIGNALR_PATH}/start"), get(start))
        .route(&format!("{SIGNALR_PATH}/abort"), post(abort))
        .route(&format!("{SIGNALR_PATH}/ping"), get(ping))
        .merge(rest::routes())
        .with_state(shared)
}

pub type Params = Query<HashMap<String, String>>;

/// The user when the request carries the configured Basic credentials.
pub fn basic_user(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    (user == shared.config.user && password == shared.config.password).then(|| user.to_string())
}

/// 401 with the challenge a browser or client would answer.
pub fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"hpc\"")]).into_response()
}

fn token_error(error: TokenError) -> Response {
    let (status, text) = match error {
        TokenError::Missing => {
            (StatusCode::BAD_REQUEST, "Protocol error: Missing connection token.")
        }
        TokenError::Garbled => {
            (StatusCode::BAD_REQUEST, "The ConnectionId is in the incorrect format.")
        }
        TokenError::WrongUser => (
            StatusCode::FORBIDDEN,
            "Unrecognized user identity. The user identity cannot change during an active \
             SignalR connection.",
        ),
        // The real token is stateless, but a forgotten connection cannot resume: 404 tells the
        // client to start over with a new negotiate.
        TokenError::Unknown => (StatusCode::NOT_FOUND, "The connection is no longer known."),
    };
    (status, text).into_response()
}

/// Resolves auth and the connection token in one go, for every per-connection request.
fn session_of(
    shared: &Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Arc<super::session::Session>, Denied> {
    let user = basic_user(shared, headers).ok_or(Denied::Unauthorized)?;
    let token = params.get("connectionToken").map(String::as_str);
    shared.resolve(token, &user).map_err(Denied::Token)
}

/// Why a per-connection request is refused.
enum Denied {
    Unauthorized,
    Token(TokenError),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Unauthorized => unauthorized(),
            Denied::Token(error) => token_error(error),
        }
    }
}

/// The declared hubs in canonical spelling, or the real server's complaint.
fn declared_hubs(connection_data: Option<&String>) -> Result<Vec<&'static str>, String> {
    let Some(data) = connection_data else { return Ok(Vec::new()) };
    let entries: Vec<HashMap<String, String>> =
        serde_json::from_str(data).map_err(|_| "Invalid connectionData.".to_string())?;
    let mut hubs = Vec::new();
    for entry in &entries {
        // The .NET client writes `Name`, the JS client `name`.
        let name = entry.iter().find(|(k, _)| k.eq_ignore_ascii_case("name")).map(|(_, v)| v);
        let name = name.ok_or_else(|| "Invalid connectionData.".to_string())?;
        let hub = [JOB_HUB, TASK_HUB]
            .into_iter()
            .find(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("'{name}' Hub could not be resolved."))?;
        if hubs.contains(&hub) {
            return Err("Duplicate Hub names found.".to_string());
        }
        hubs.push(hub);
    }
    Ok(hubs)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Negotiation {
    url: &'static str,
    connection_token: String,
    connection_id: String,
    keep_alive_timeout: f64,
    disconnect_timeout: f64,
    connection_timeout: f64,
    try_web_sockets: bool,
    protocol_version: String,
    transport_connect_timeout: f64,
    long_poll_delay: f64,
}

async fn negotiate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let Some(user) = basic_user(&shared, &headers) else { return unauthorized() };
    let hubs = match declared_hubs(params.get("connectionData")) {
        Ok(hubs) => hubs,
        Err(text) => return (StatusCode::INTERNAL_SERVER_ERROR, text).into_response(),
    };
    let (connection_id, connection_token) = shared.negotiate(&user, hubs);
    let config = &shared.config;
    Json(Negotiation {
        url: SIGNALR_PATH,
        connection_token,
        connection_id,
        keep_alive_timeout: 2.0 * config.keep_alive.as_secs_f64(),
        disconnect_timeout: config.disconnect_timeout.as_secs_f64(),
        connection_timeout: 110.0,
        try_web_sockets: true,
        protocol_version: config.protocol_version.clone(),
        transport_connect_timeout: config.transport_connect_timeout.as_secs_f64(),
        long_poll_delay: 0.0,
    })
    .into_response()
}

type Upgrade = Result<WebSocketUpgrade, WebSocketUpgradeRejection>;

async fn connect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
    ws: Upgrade,
) -> Response {
    upgrade(shared, headers, params.0, ws, false)
}

async fn reconnect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
    ws: Upgrade,
) -> Response {
    upgrade(shared, headers, params.0, ws, true)
}

fn upgrade(
    shared: Arc<Shared>,
    headers: HeaderMap,
    params: HashMap<String, String>,
    ws: Upgrade,
    resume: bool,
) -> Response {
    let session = match session_of(&shared, &headers, &params) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
    let transport = params.get("transport").map(String::as_str).unwrap_or_default();
    if !transport.eq_ignore_ascii_case("webSockets") {
        return (StatusCode::BAD_REQUEST, "Protocol error: Unknown transport.").into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let resume =
        resume.then(|| (params.get("messageId").cloned(), params.get("groupsToken").cloned()));
    ws.on_upgrade(move |socket| connection::run(socket, shared, session, resume))
}

#[derive(Serialize)]
struct Answer {
    #[serde(rename = "Response")]
    response: &'static str,
}

async fn start(State(shared): State<Arc<Shared>>, headers: HeaderMap, params: Params) -> Response {
    let session = match session_of(&shared, &headers, &params) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
    if !session.start() {
        return (StatusCode::BAD_REQUEST, "The connection has no transport to start.")
            .into_response();
    }
    Json(Answer { response: "started" }).into_response()
}

async fn abort(State(shared): State<Arc<Shared>>, headers: HeaderMap, params: Params) -> Response {
    match session_of(&shared, &headers, &params) {
        Ok(session) => {
            shared.forget(&session.id);
            StatusCode::OK.into_response()
        }
        Err(denied) => denied.into_response(),
    }
}

async fn ping(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if basic_user(&shared, &headers).is_none() {
        return unauthorized();
    }
    Json(Answer { response: "pong" }).into_response()
}
