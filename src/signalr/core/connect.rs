//! Opening an ASP.NET Core connection: token, negotiate (unless skipped; redirects followed),
//! WebSocket upgrade, handshake. Returns a socket ready for hub traffic, plus any records glued
//! to the handshake. With stateful reconnect, also a new transport for the same connection
//! ([`reconnect`]): the same URL and `id`, no negotiate, no handshake.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_proto::core::json;
use signalr_proto::core::protocol::Writer;
use tokio_tungstenite::tungstenite::Message;

use super::negotiate;
use crate::config::{HubProtocol, TokenPlacement};
use crate::signalr::transport::{message, WsStream};
use crate::signalr::{Ending, Hub, ProtocolError, SessionError};

/// A connection that finished its handshake.
pub struct Opened {
    pub ws: WsStream,
    /// Data after the handshake response (records glued to it, maybe a partial one).
    pub leftover: Vec<u8>,
    /// The connection's identity for event ids: negotiated id, or a minted UUID.
    pub connection: Arc<str>,
    /// The bearer token used, for REST snapshot requests on this connection.
    pub bearer: Option<crate::config::Secret>,
    /// Set when the server agreed to stateful reconnect: how to reach this connection again.
    pub resume: Option<Resume>,
}

/// What a transport reconnect of a stateful connection needs.
#[derive(Debug)]
pub struct Resume {
    /// The hub URL negotiate finally led to (redirects followed).
    url: url::Url,
    connection_token: String,
    /// A redirect's token serves this connection only; else each transport gets a fresh
    /// configured token, as the official clients call their token factory per transport.
    redirect_token: Option<crate::config::Secret>,
}

/// Token, negotiate, upgrade, handshake. A token refused with 401 (expired, revoked) is
/// replaced once, when its source can give another, before the hub task backs off.
pub async fn open(hub: &Hub) -> Result<Opened, SessionError> {
    let bearer = hub.client.auth.bearer_for_connect().await?;
    match attempt(hub, bearer).await {
        Err(e) if e.is_token_refused() && hub.client.auth.renewable() => {
            tracing::warn!(hub = %hub.spec.name, error = %e, "Token refused; trying once more with a new one.");
            attempt(hub, hub.client.auth.bearer_for_connect().await?).await
        }
        other => other,
    }
}

/// One try with `bearer`; each step bounded by the handshake timeout.
async fn attempt(hub: &Hub, bearer: Option<crate::config::Secret>) -> Result<Opened, SessionError> {
    let cfg = &hub.spec.config;
    let timeout = Duration::from_secs(cfg.handshake_timeout_secs);
    let token = bearer.as_ref().map(|s| s.expose());
    // Set when a redirect hands out its own token; it then serves this connection only.
    let mut redirect_token: Option<crate::config::Secret> = None;
    let mut stateful = false;
    let (connection, connection_token, url, token) = if cfg.skip_negotiation {
        (Arc::from(uuid::Uuid::new_v4().to_string()), None, cfg.url.clone(), token)
    } else {
        let http = &hub.client.transport.http;
        let route = tokio::time::timeout(
            timeout,
            negotiate::negotiate(http, &cfg.url, token, cfg.stateful_reconnect),
        )
        .await
        .map_err(|_| SessionError::Timeout("negotiate"))?
        .map_err(SessionError::Negotiate)?;
        if route.hops > 0 {
            tracing::debug!(hub = %hub.spec.name, hops = route.hops, to = %negotiate::shown(&route.url), "Negotiate redirected.");
        }
        redirect_token = route.access_token;
        let token = redirect_token.as_ref().map(|s| s.expose()).or(token);
        let n = route.negotiated;
        if cfg.stateful_reconnect && !n.stateful {
            tracing::info!(hub = %hub.spec.name, "The server did not agree to stateful reconnect; a dropped connection will be a new one.");
        }
        stateful = n.stateful;
        (Arc::from(n.connection_id), Some(n.connection_token), route.url, token)
    };
    let mut ws = upgrade(hub, &url, connection_token.as_deref(), token).await?;
    let writer = Writer(cfg.protocol);
    ws.send(message(writer.handshake(stateful))).await.map_err(SessionError::websocket)?;
    let leftover = tokio::time::timeout(timeout, read_handshake(&mut ws, cfg.protocol))
        .await
        .map_err(|_| SessionError::Timeout("handshake"))??;
    // Official clients ping right away: it tells the server we intend to keep pinging.
    ws.send(message(writer.ping())).await.map_err(SessionError::websocket)?;
    let resume = match (stateful, connection_token) {
        (true, Some(connection_token)) => Some(Resume { url, connection_token, redirect_token }),
        _ => None,
    };
    Ok(Opened { ws, leftover, connection, bearer, resume })
}

/// A new WebSocket for a stateful connection whose transport dropped: no negotiate and no
/// handshake; the session sends its `Sequence` next. A refusal (404: the server forgot the
/// connection or its window passed; 409) is the caller's cue for a full new connection.
pub async fn reconnect(hub: &Hub, resume: &Resume) -> Result<WsStream, SessionError> {
    let fresh = match &resume.redirect_token {
        Some(_) => None,
        None => hub.client.auth.bearer_for_connect().await?,
    };
    let token = resume.redirect_token.as_ref().or(fresh.as_ref()).map(|s| s.expose());
    upgrade(hub, &resume.url, Some(&resume.connection_token), token).await
}

/// The WebSocket upgrade, with the token where `auth.token_placement` puts it.
async fn upgrade(
    hub: &Hub,
    url: &url::Url,
    connection_token: Option<&str>,
    token: Option<&str>,
) -> Result<WsStream, SessionError> {
    let cfg = &hub.spec.config;
    let placement = cfg.auth.token_placement;
    let query_token = token.filter(|_| placement != TokenPlacement::Header);
    let header_token = token.filter(|_| placement != TokenPlacement::Query);
    let url = negotiate::websocket_url(url, connection_token, query_token);
    let authorization = header_token.map(|t| format!("Bearer {t}"));
    let timeout = Duration::from_secs(cfg.handshake_timeout_secs);
    hub.client
        .transport
        .connect_ws(&url, authorization.as_deref(), timeout)
        .await
        .map_err(SessionError::Connect)
}

/// Reads frames until the first record (the handshake answer, JSON in both protocols) is
/// complete. Under MessagePack it arrives in a binary frame, maybe with records after it.
async fn read_handshake(ws: &mut WsStream, protocol: HubProtocol) -> Result<Vec<u8>, SessionError> {
    let mut buf = Vec::new();
    loop {
        let frame = match ws.next().await {
            Some(Ok(frame)) => frame,
            Some(Err(e)) => return Err(SessionError::websocket(e)),
            None => return Err(SessionError::Ended(Ending::Handshake)),
        };
        match frame {
            Message::Text(text) => buf.extend_from_slice(text.as_bytes()),
            Message::Binary(data) if protocol == HubProtocol::MessagePack => {
                buf.extend_from_slice(&data)
            }
            Message::Binary(_) => return Err(ProtocolError::BinaryHandshake.into()),
            Message::Close(close) => return Err(SessionError::closed(close)),
            _ => continue,
        }
        if let Some(end) = memchr::memchr(json::RS, &buf) {
            let answer = std::str::from_utf8(&buf[..end])
                .map_err(|_| SessionError::Handshake(json::HandshakeError::Malformed))?;
            json::parse_handshake_response(answer).map_err(SessionError::Handshake)?;
            return Ok(buf.split_off(end + 1));
        }
        if buf.len() > json::MAX_PENDING_BYTES {
            return Err(ProtocolError::HandshakeTooLarge.into());
        }
    }
}
