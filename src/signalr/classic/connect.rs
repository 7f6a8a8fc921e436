//! Opening and resuming a classic connection: negotiate, WebSocket `connect`, the init frame,
//! `/start`; `/reconnect` with the last cursor and groups token; `/abort`. Each step is bounded.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};

use crate::profile::Profile;
use crate::signalr::transport::{ConnectError, WsStream};
use crate::signalr::{Ending, Hub, ProtocolError, SessionError};
use signalr_proto::classic::frame::{self, Frame};
use signalr_proto::classic::negotiate::{parse_negotiate, NegotiateError, Negotiation};
use signalr_proto::classic::urls::Endpoints;
use signalr_proto::classic::Cursor;

/// A negotiated classic connection; it outlives its WebSockets (`/reconnect` resumes it).
pub struct Connection {
    pub endpoints: Endpoints,
    pub negotiation: Negotiation,
    /// The `Authorization` value for every request of this connection (the token is bound to
    /// the user, so credentials must not change while it lives).
    pub authorization: Option<String>,
    pub cursor: Cursor,
    pub id: Arc<str>,
}

/// The hubs named in `connectionData`: the profile's, then any a subscription names.
pub fn hub_names(hub: &Hub) -> Vec<String> {
    let mut names: Vec<String> = match &hub.spec.profile {
        Profile::HpcPack(hpc) => hpc.hub_names().into_iter().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    for sub in &hub.spec.subscriptions {
        if let Some(name) = &sub.hub {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.clone());
            }
        }
    }
    names
}

fn timeout_of(hub: &Hub) -> Duration {
    Duration::from_secs(hub.spec.config.handshake_timeout_secs)
}

/// A new connection, started: negotiate, then [`start`]. Credentials refused with 401 (an
/// expired token) are replaced once, when their source can give others, before backing off.
pub async fn open(hub: &Hub) -> Result<(Connection, WsStream), SessionError> {
    match negotiate_and_start(hub).await {
        Err(e) if e.is_token_refused() && hub.client.auth.renewable() => {
            warn!(hub = %hub.spec.name, error = %e, "Credentials refused; trying once more with new ones.");
            negotiate_and_start(hub).await
        }
        other => other,
    }
}

async fn negotiate_and_start(hub: &Hub) -> Result<(Connection, WsStream), SessionError> {
    let mut conn = negotiate(hub).await?;
    let ws = start(hub, &mut conn).await?;
    Ok((conn, ws))
}

/// `GET negotiate`.
pub async fn negotiate(hub: &Hub) -> Result<Connection, SessionError> {
    let names = hub_names(hub);
    if names.is_empty() {
        return Err(SessionError::NoClassicHub);
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let endpoints = Endpoints::new(&hub.spec.config.url, &refs)?;
    let authorization = hub.client.auth.for_connect().await?.map(|c| c.header());
    let body = get(hub, endpoints.negotiate(), authorization.as_deref(), "negotiate")
        .await
        .map_err(core_server_hint)?;
    let negotiation = parse_negotiate(&body).map_err(SessionError::ClassicNegotiate)?;
    let id = Arc::from(negotiation.connection_id.as_str());
    Ok(Connection { endpoints, negotiation, authorization, cursor: Cursor::default(), id })
}

/// A 405 to the negotiate GET is what an ASP.NET Core server answers: say so.
fn core_server_hint(e: SessionError) -> SessionError {
    match e {
        SessionError::Connect(ConnectError::Status(405)) => {
            SessionError::ClassicNegotiate(NegotiateError::GetNotAllowed)
        }
        e => e,
    }
}

/// WebSocket `connect`, wait for the init frame (`S:1`), then `/start`. Must finish within the
/// server's TransportConnectTimeout (or our handshake timeout, if longer).
pub async fn start(hub: &Hub, conn: &mut Connection) -> Result<WsStream, SessionError> {
    let limit = conn.negotiation.transport_connect_timeout.max(timeout_of(hub));
    let token = conn.negotiation.connection_token.clone();
    let url = conn.endpoints.connect(&token);
    let opening = async {
        let mut ws = hub
            .client
            .transport
            .connect_ws(&url, conn.authorization.as_deref(), limit)
            .await
            .map_err(SessionError::Connect)?;
        wait_for_init(&mut ws, &mut conn.cursor).await?;
        let body =
            get(hub, conn.endpoints.start(&token), conn.authorization.as_deref(), "start").await?;
        let text = String::from_utf8_lossy(&body);
        match frame::parse_frame(&text) {
            Ok(Frame::Response(r)) if r == "started" => Ok(ws),
            _ => Err(ProtocolError::NotStarted(text.chars().take(80).collect()).into()),
        }
    };
    tokio::time::timeout(limit, opening)
        .await
        .map_err(|_| SessionError::Timeout("connect and start"))?
}

async fn wait_for_init(ws: &mut WsStream, cursor: &mut Cursor) -> Result<(), SessionError> {
    loop {
        let text = match ws.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(close))) => return Err(SessionError::closed(close)),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(SessionError::websocket(e)),
            None => return Err(SessionError::Ended(Ending::BeforeInit)),
        };
        match frame::parse_frame(text.as_str()) {
            Ok(Frame::Envelope(env)) if env.init => {
                cursor.observe(&env);
                return Ok(());
            }
            Ok(_) => debug!("Frame before the init frame ignored."),
            Err(e) => return Err(ProtocolError::InitFrame(e).into()),
        }
    }
}

/// WebSocket `reconnect` with the last cursor and groups token: the server replays the gap.
pub async fn resume(hub: &Hub, conn: &Connection) -> Result<WsStream, SessionError> {
    let url = conn.endpoints.reconnect(
        &conn.negotiation.connection_token,
        conn.cursor.message_id(),
        conn.cursor.groups_token(),
    );
    hub.client
        .transport
        .connect_ws(&url, conn.authorization.as_deref(), timeout_of(hub))
        .await
        .map_err(SessionError::Connect)
}

/// `POST abort`, best effort and briefly: the bridge is leaving anyway.
pub async fn abort(hub: &Hub, conn: &Connection) {
    let mut request =
        hub.client.transport.http.post(conn.endpoints.abort(&conn.negotiation.connection_token));
    if let Some(value) = &conn.authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let sent = tokio::time::timeout(
        Duration::from_secs(5),
        request.header(reqwest::header::CONTENT_LENGTH, 0).send(),
    )
    .await;
    debug!(hub = %hub.spec.name, ok = matches!(sent, Ok(Ok(_))), "Classic connection aborted.");
}

/// A GET whose failures are told apart: refused credentials, other statuses, the network.
async fn get(
    hub: &Hub,
    url: url::Url,
    authorization: Option<&str>,
    what: &'static str,
) -> Result<bytes::Bytes, SessionError> {
    let mut request = hub.client.transport.http.get(url);
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    // Errors never show the URL: it carries the connection token.
    let response = request
        .send()
        .await
        .map_err(|e| SessionError::Request { what, error: e.without_url().to_string() })?;
    match response.status().as_u16() {
        200 => response
            .bytes()
            .await
            .map_err(|e| SessionError::Request { what, error: e.without_url().to_string() }),
        code @ (401 | 403) => Err(SessionError::Connect(ConnectError::Unauthorized(code))),
        code => Err(SessionError::Connect(ConnectError::Status(code))),
    }
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
