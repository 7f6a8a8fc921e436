//! ASP.NET Core negotiate without the HTTP call: the request URL, what an HTTP status means,
//! and what an answer body says. Following redirects is [`redirect`]. The caller POSTs.

use serde::Deserialize;
use url::Url;

use crate::Secret;

pub mod redirect;

/// What the client learnt from negotiate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The public connection id (used in event ids).
    pub connection_id: String,
    /// The secret `id` query value for the WebSocket (v0 servers: the connection id).
    pub connection_token: String,
    /// The client asked for stateful reconnect and the server agreed.
    pub stateful: bool,
}

/// One negotiate answer: a connection, or a redirect to negotiate elsewhere.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Connect(Negotiated),
    /// Negotiate again at `url`; `access_token`, when given, replaces the bearer from then on.
    Redirect {
        url: String,
        access_token: Option<Secret>,
    },
}

/// Why negotiate did not give a usable connection.
#[derive(Debug, thiserror::Error)]
pub enum NegotiateError {
    #[error("negotiate at {at} answered HTTP {status}{}", status_hint(*status))]
    Status { at: String, status: u16 },
    #[error("negotiate was refused: credentials missing or not accepted (HTTP {0})")]
    Unauthorized(u16),
    #[error("the hub at {at} refused the connection: {error}")]
    Refused { at: String, error: String },
    #[error(
        "this is a classic ASP.NET SignalR server (ProtocolVersion {0}); set `dialect: classic`"
    )]
    ClassicServer(String),
    #[error(
        "the server offers no WebSockets transport (only {0}); this bridge speaks WebSockets only"
    )]
    NoWebSockets(String),
    #[error("negotiate redirects loop: {0} was reached twice with the same credentials")]
    RedirectLoop(String),
    #[error("negotiate still redirected after {0} requests")]
    TooManyRedirects(u32),
    #[error("negotiate redirect target is not a usable http(s) URL: {0}")]
    BadRedirect(String),
    #[error("negotiate answer is not valid: {0}")]
    Malformed(String),
    #[error("negotiate request failed: {0}")]
    Http(String),
}

fn status_hint(status: u16) -> &'static str {
    match status {
        404 => " (not a SignalR hub URL, or a proxy blocks it)",
        405 => " (negotiate is not served by POST here: a classic server needs `dialect: classic`)",
        _ => "",
    }
}

/// Scheme, host, port and path of `url`: safe to show (queries may hold tokens).
pub fn shown(url: &Url) -> String {
    format!("{}://{}{}", url.scheme(), url.host_str().unwrap_or(""), port_and_path(url))
}

fn port_and_path(url: &Url) -> String {
    match url.port() {
        Some(port) => format!(":{port}{}", url.path()),
        None => url.path().to_string(),
    }
}

/// `{hub}/negotiate?…&negotiateVersion=1`: `negotiate` goes into the path, the query is kept;
/// `&useStatefulReconnect=true` when asking for stateful reconnect.
pub fn negotiate_url(hub: &Url, stateful: bool) -> Url {
    let mut url = hub.clone();
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{path}/negotiate"));
    if !url.query_pairs().any(|(k, _)| k == "negotiateVersion") {
        url.query_pairs_mut().append_pair("negotiateVersion", "1");
    }
    if stateful && !url.query_pairs().any(|(k, _)| k == "useStatefulReconnect") {
        url.query_pairs_mut().append_pair("useStatefulReconnect", "true");
    }
    url
}

/// The WebSocket URL: ws/wss scheme, `id` when negotiated, `access_token` when asked for.
pub fn websocket_url(hub: &Url, connection_token: Option<&str>, access_token: Option<&str>) -> Url {
    let mut url = hub.clone();
    let scheme = match hub.scheme() {
        "https" | "wss" => "wss",
        _ => "ws",
    };
    // Switching between the special schemes http(s) and ws(s) is always allowed.
    let _ = url.set_scheme(scheme);
    if connection_token.is_some() || access_token.is_some() {
        let mut query = url.query_pairs_mut();
        if let Some(token) = connection_token {
            query.append_pair("id", token);
        }
        if let Some(token) = access_token {
            query.append_pair("access_token", token);
        }
    }
    url
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    connection_id: Option<String>,
    connection_token: Option<String>,
    negotiate_version: Option<u32>,
    available_transports: Option<Vec<Transport>>,
    url: Option<String>,
    access_token: Option<Secret>,
    error: Option<String>,
    use_stateful_reconnect: Option<bool>,
    #[serde(rename = "ProtocolVersion")]
    classic_protocol_version: Option<String>,
}

#[derive(Deserialize)]
struct Transport {
    transport: String,
}

/// Reads a negotiate answer (v0, v1, or a redirect) that `hub` gave; `stateful` says whether
/// the request asked for stateful reconnect (a server may agree only then).
pub fn parse_answer(hub: &Url, body: &[u8], stateful: bool) -> Result<Answer, NegotiateError> {
    let a: Body =
        serde_json::from_slice(body).map_err(|e| NegotiateError::Malformed(e.to_string()))?;
    if let Some(version) = a.classic_protocol_version {
        return Err(NegotiateError::ClassicServer(version));
    }
    if let Some(error) = a.error {
        return Err(NegotiateError::Refused { at: shown(hub), error });
    }
    if let Some(url) = a.url {
        return Ok(Answer::Redirect { url, access_token: a.access_token });
    }
    let connection_id =
        a.connection_id.ok_or_else(|| NegotiateError::Malformed("no connectionId".into()))?;
    if let Some(transports) = &a.available_transports {
        if !transports.iter().any(|t| t.transport.eq_ignore_ascii_case("WebSockets")) {
            let offered: Vec<&str> = transports.iter().map(|t| t.transport.as_str()).collect();
            let offered = if offered.is_empty() { "none".into() } else { offered.join(", ") };
            return Err(NegotiateError::NoWebSockets(offered));
        }
    }
    let connection_token = match a.negotiate_version.unwrap_or(0) {
        0 => connection_id.clone(),
        _ => a
            .connection_token
            .ok_or_else(|| NegotiateError::Malformed("v1 answer without connectionToken".into()))?,
    };
    let agreed = a.use_stateful_reconnect == Some(true);
    if agreed && !stateful {
        let why = "Client didn't negotiate Stateful Reconnect but the server did.";
        return Err(NegotiateError::Malformed(why.into()));
    }
    Ok(Answer::Connect(Negotiated { connection_id, connection_token, stateful: agreed }))
}

/// What the negotiate response's HTTP status means before its body is read: 200 goes on to
/// [`parse_answer`]; 401 and 403 are refused credentials; anything else names the hub (without
/// its query) and, for the usual mistakes, the fix.
pub fn check_status(hub: &Url, status: u16) -> Result<(), NegotiateError> {
    match status {
        200 => Ok(()),
        401 | 403 => Err(NegotiateError::Unauthorized(status)),
        _ => Err(NegotiateError::Status { at: shown(hub), status }),
    }
}

#[cfg(test)]
mod tests;
