//! The simulator's HTTP surface: negotiate (and its redirects), the WebSocket upgrade of the hub
//! URL, the RedMist REST snapshot, bearer checks. Connections themselves run in `connection.rs`;
//! the `/_sim/*` control routes live in `faults.rs` (the `faults` feature), the token endpoint in `oauth.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{ListenerExt, TapIo};
use axum::{Json, Router};
use serde::Serialize;

use super::access::{self, Redirect};
use super::state::Shared;
use super::tokens::{Claim, ClaimError};
use super::{connection, oauth, HUB_PATH, SNAPSHOT_PATH};

/// Accepted connections with `TCP_NODELAY`, as Kestrel accepts them by default. Without it,
/// Nagle's algorithm held each small frame until the client's delayed ACK: at 10,000 events/s
/// the frames reached the client in bursts every 35-40 ms, which made a steady feed bursty.
pub fn no_delay(listener: tokio::net::TcpListener) -> NoDelay {
    listener.tap_io(|tcp| {
        // Only the latency suffers if this fails, so the connection is kept.
        let _ = tcp.set_nodelay(true);
    })
}

/// A listener whose accepted connections have `TCP_NODELAY` set.
pub type NoDelay = TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>;

/// Every route the simulator serves.
pub fn router(shared: Arc<Shared>) -> Router {
    let router = Router::new()
        .route(&format!("{HUB_PATH}/negotiate"), post(negotiate))
        .route(HUB_PATH, get(upgrade))
        .route(SNAPSHOT_PATH, get(snapshot))
        .route(super::LIVE_EVENTS_PATH, get(super::events::live_events))
        .route(access::TOKEN_PATH, post(oauth::token));
    #[cfg(feature = "faults")]
    let router = router.nest("/_sim", super::faults::routes());
    router.with_state(shared)
}

type Params = Query<HashMap<String, String>>;

/// True when the request presents a token the simulator accepts (see [`access`]), as a bearer
/// header or as the `access_token` query parameter (what browsers must use for WebSockets).
fn authorized(shared: &Shared, headers: &HeaderMap, params: &HashMap<String, String>) -> bool {
    let token = access::presented_token(headers, params);
    let hop = params.contains_key(access::HOP_PARAM);
    shared.access.allows(shared.required_token().as_deref(), token, hop)
}

/// The redirect answer for this negotiate, if redirects are on and this hop is not the last.
fn redirect(
    shared: &Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Option<Response> {
    let hop: u32 = params.get(access::HOP_PARAM).and_then(|h| h.parse().ok()).unwrap_or(0);
    let (next, token) = match shared.access.redirect() {
        Redirect::Off => return None,
        Redirect::Chain { hops, .. } if hop >= hops => return None,
        Redirect::Chain { access_token, .. } => (hop + 1, access_token),
        Redirect::Loop => (1, None),
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let mut url = url::Url::parse(&format!("http://{host}{HUB_PATH}")).ok()?;
    url.query_pairs_mut().append_pair(access::HOP_PARAM, &next.to_string());
    let mut body = serde_json::json!({ "url": url.as_str() });
    if let Some(token) = token {
        body["accessToken"] = token.into();
    }
    Some(Json(body).into_response())
}

#[derive(Serialize)]
struct Transport {
    transport: &'static str,
    #[serde(rename = "transferFormats")]
    transfer_formats: [&'static str; 2],
}

/// Only WebSockets, like RedMist.
const TRANSPORTS: [Transport; 1] =
    [Transport { transport: "WebSockets", transfer_formats: ["Text", "Binary"] }];

#[derive(Serialize)]
struct NegotiateV1 {
    #[serde(rename = "connectionToken")]
    connection_token: String,
    #[serde(rename = "connectionId")]
    connection_id: String,
    #[serde(rename = "negotiateVersion")]
    negotiate_version: u32,
    #[serde(rename = "availableTransports")]
    available_transports: &'static [Transport],
    /// Only when the client asked and the simulator allows it, as ASP.NET Core answers.
    #[serde(rename = "useStatefulReconnect", skip_serializing_if = "std::ops::Not::not")]
    use_stateful_reconnect: bool,
}

/// Version 0: the connection id doubles as the token (no `connectionToken` field).
#[derive(Serialize)]
struct NegotiateV0 {
    #[serde(rename = "connectionId")]
    connection_id: String,
    #[serde(rename = "availableTransports")]
    available_transports: &'static [Transport],
}

async fn negotiate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    if !authorized(&shared, &headers, &params) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(answer) = redirect(&shared, &headers, &params) {
        return answer;
    }
    // Absent or unparsable means 0; anything above what we speak is answered with 1.
    let version: u32 = params.get("negotiateVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
    let connection_id = uuid::Uuid::new_v4().to_string();
    if version == 0 {
        shared.tokens.issue(connection_id.clone(), false);
        return Json(NegotiateV0 { connection_id, available_transports: &TRANSPORTS })
            .into_response();
    }
    let connection_token = uuid::Uuid::new_v4().to_string();
    let asked = params.get("useStatefulReconnect").is_some_and(|v| v == "true");
    let stateful = asked && shared.options.stateful_reconnect;
    shared.tokens.issue(connection_token.clone(), stateful);
    Json(NegotiateV1 {
        connection_token,
        connection_id,
        negotiate_version: 1,
        available_transports: &TRANSPORTS,
        use_stateful_reconnect: stateful,
    })
    .into_response()
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !authorized(&shared, &headers, &params) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let token = params.get("id").cloned();
    let mut stateful = false;
    if let Some(token) = &token {
        match shared.tokens.claim(token) {
            Ok(Claim::New { stateful: negotiated }) => stateful = negotiated,
            // A new transport for a stateful connection: it goes to that connection's task.
            Ok(Claim::Resume(takeover)) => {
                return ws
                    .on_upgrade(move |socket| async move {
                        let _ = takeover.send(socket).await;
                    })
                    .into_response();
            }
            Err(ClaimError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
            Err(ClaimError::InUse) => return StatusCode::CONFLICT.into_response(),
        }
    }
    let failed = shared.clone();
    let failed_token = token.clone();
    ws.on_failed_upgrade(move |_| {
        if let Some(token) = failed_token {
            failed.tokens.release(&token);
        }
    })
    .on_upgrade(move |socket| connection::run(socket, shared, token, stateful))
}

async fn snapshot(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    if !authorized(&shared, &headers, &params) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(event_id) = params.get("eventId").and_then(|v| v.parse::<i64>().ok()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    // Only the configured event exists; answering that here keeps the race out of 404s.
    if event_id != shared.config.event_id {
        return StatusCode::NOT_FOUND.into_response();
    }
    match shared.with_race(|race| race.snapshot_json(event_id)) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
