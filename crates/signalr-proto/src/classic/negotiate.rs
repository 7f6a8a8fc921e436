//! The classic negotiate response: PascalCase fields, checked for a protocol version this client
//! speaks and for WebSocket support. Parses only; the HTTP call belongs to the session.

use std::time::Duration;

use serde::Deserialize;

/// Protocol versions accepted from the server, inclusive (what the official .NET client
/// accepts, widened down to 1.2, the oldest a 2.x server answers).
const MIN_VERSION: (u32, u32) = (1, 2);
const MAX_VERSION: (u32, u32) = (2, 1);

/// What negotiate gave the connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Negotiation {
    /// Opaque; bound to the authenticated user, sent on every later request.
    pub connection_token: String,
    pub connection_id: String,
    /// Reconnect when nothing arrives for this long; `None` when the server disabled
    /// keep-alive (then no dead-peer timeout applies).
    pub keep_alive_timeout: Option<Duration>,
    /// How long the server keeps a connection without a transport before dropping it.
    pub disconnect_timeout: Duration,
    /// Connect, init frame and `/start` must finish within this.
    pub transport_connect_timeout: Duration,
    /// As the server wrote it, e.g. `1.5`.
    pub protocol_version: String,
}

/// A negotiate answer this client cannot use. Messages say what to fix.
#[derive(Debug, thiserror::Error)]
pub enum NegotiateError {
    #[error("negotiate response is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "the server speaks ASP.NET Core SignalR (its negotiate answer is camelCase); \
         set `dialect: core` for this hub"
    )]
    CoreServer,
    #[error(
        "negotiate answered HTTP 405 to GET, as ASP.NET Core SignalR does (it negotiates by \
         POST); if this is a Core hub, set `dialect: core`"
    )]
    GetNotAllowed,
    #[error("negotiate response lacks `{0}`")]
    Missing(&'static str),
    #[error("server protocol version {0} is outside the supported range 1.2 to 2.1")]
    UnsupportedVersion(String),
    #[error("the server does not allow WebSockets (TryWebSockets is false)")]
    NoWebSockets,
    #[error("the server refused the connection: {0}")]
    Refused(String),
    #[error("`{0}` is not a valid number of seconds")]
    BadDuration(&'static str),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    connection_token: Option<String>,
    connection_id: Option<String>,
    keep_alive_timeout: Option<f64>,
    disconnect_timeout: Option<f64>,
    transport_connect_timeout: Option<f64>,
    try_web_sockets: Option<bool>,
    protocol_version: Option<String>,
    error: Option<String>,
    /// Only a Core server writes these.
    #[serde(rename = "availableTransports")]
    available_transports: Option<serde::de::IgnoredAny>,
    #[serde(rename = "connectionId")]
    core_connection_id: Option<serde::de::IgnoredAny>,
}

/// Parses and checks a negotiate response body.
pub fn parse_negotiate(body: &[u8]) -> Result<Negotiation, NegotiateError> {
    let a: Answer = serde_json::from_slice(body)?;
    if a.protocol_version.is_none()
        && (a.available_transports.is_some() || a.core_connection_id.is_some())
    {
        return Err(NegotiateError::CoreServer);
    }
    if let Some(error) = a.error {
        return Err(NegotiateError::Refused(error));
    }
    let version = a.protocol_version.ok_or(NegotiateError::Missing("ProtocolVersion"))?;
    match parse_version(&version) {
        Some(v) if (MIN_VERSION..=MAX_VERSION).contains(&v) => {}
        _ => return Err(NegotiateError::UnsupportedVersion(version)),
    }
    if a.try_web_sockets != Some(true) {
        return Err(NegotiateError::NoWebSockets);
    }
    let keep_alive_timeout = match a.keep_alive_timeout {
        Some(secs) => Some(seconds("KeepAliveTimeout", secs)?),
        None => None,
    };
    Ok(Negotiation {
        connection_token: a.connection_token.ok_or(NegotiateError::Missing("ConnectionToken"))?,
        connection_id: a.connection_id.ok_or(NegotiateError::Missing("ConnectionId"))?,
        keep_alive_timeout,
        disconnect_timeout: seconds("DisconnectTimeout", a.disconnect_timeout.unwrap_or(30.0))?,
        transport_connect_timeout: seconds(
            "TransportConnectTimeout",
            a.transport_connect_timeout.unwrap_or(5.0),
        )?,
        protocol_version: version,
    })
}

/// `"1.5"` ⇒ (1, 5).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The longest duration a .NET server can write (`TimeSpan.MaxValue`, in whole seconds). The
/// session adds these to `Instant::now()`, which panics for durations near `Duration::MAX`.
const MAX_SECONDS: f64 = 922_337_203_685.0;

fn seconds(field: &'static str, secs: f64) -> Result<Duration, NegotiateError> {
    if secs > MAX_SECONDS {
        return Err(NegotiateError::BadDuration(field));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| NegotiateError::BadDuration(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HPC: &str = r#"{"Url":"/hpc/signalr","ConnectionToken":"AQAAANCMnd8B+/=",
        "ConnectionId":"6a1d2a8e-0000-4000-8000-000000000001","KeepAliveTimeout":20.0,
        "DisconnectTimeout":30.0,"ConnectionTimeout":110.0,"TryWebSockets":true,
        "ProtocolVersion":"1.5","TransportConnectTimeout":5.0,"LongPollDelay":0.0}"#;

    #[test]
    fn parse_negotiate_reads_an_hpc_answer() {
        let n = parse_negotiate(HPC.as_bytes()).unwrap();
        assert_eq!(n.connection_token, "AQAAANCMnd8B+/=");
        assert_eq!(n.connection_id, "6a1d2a8e-0000-4000-8000-000000000001");
        assert_eq!(n.keep_alive_timeout, Some(Duration::from_secs(20)));
        assert_eq!(n.disconnect_timeout, Duration::from_secs(30));
        assert_eq!(n.transport_connect_timeout, Duration::from_secs(5));
        assert_eq!(n.protocol_version, "1.5");
    }

    #[test]
    fn parse_negotiate_accepts_null_keep_alive() {
        let body = HPC.replace("\"KeepAliveTimeout\":20.0", "\"KeepAliveTimeout\":null");
        assert_eq!(parse_negotiate(body.as_bytes()).unwrap().keep_alive_timeout, None);
    }

    #[test]
    fn parse_negotiate_accepts_versions_1_2_to_2_1_only() {
        for (version, ok) in
            [("1.2", true), ("1.4", true), ("2.0", true), ("2.1", true), ("1.1", false)]
                .into_iter()
                .chain([("2.2", false), ("3", false), ("x.y", false)])
        {
            let body = HPC.replace("\"1.5\"", &format!("\"{version}\""));
            let result = parse_negotiate(body.as_bytes());
            assert_eq!(result.is_ok(), ok, "{version}: {result:?}");
            if !ok {
                assert!(result.unwrap_err().to_string().contains(version), "{version}");
            }
        }
    }

    #[test]
    fn parse_negotiate_refuses_durations_no_deadline_can_hold() {
        // The session's deadlines are `Instant::now() + timeout`; 1e19 seconds fitted a
        // Duration and that addition panicked.
        for field in ["KeepAliveTimeout", "DisconnectTimeout", "TransportConnectTimeout"] {
            let at = HPC.find(&format!("\"{field}\":")).unwrap() + field.len() + 3;
            let end = at + HPC[at..].find(',').unwrap();
            for (secs, ok) in [("1e19", false), ("-1", false), ("922337203685", true)] {
                let body = format!("{}{secs}{}", &HPC[..at], &HPC[end..]);
                match parse_negotiate(body.as_bytes()) {
                    Ok(n) => {
                        assert!(ok, "{field} {secs}");
                        let now = std::time::Instant::now();
                        let _ = now + n.disconnect_timeout + n.transport_connect_timeout;
                        let _ = now + n.keep_alive_timeout.unwrap();
                    }
                    Err(error) => {
                        assert!(!ok, "{field} {secs}: {error}");
                        assert!(matches!(error, NegotiateError::BadDuration(f) if f == field));
                    }
                }
            }
        }
    }

    #[test]
    fn parse_negotiate_refuses_servers_without_websockets() {
        let body = HPC.replace("\"TryWebSockets\":true", "\"TryWebSockets\":false");
        assert!(matches!(parse_negotiate(body.as_bytes()), Err(NegotiateError::NoWebSockets)));
    }

    #[test]
    fn parse_negotiate_names_core_dialect_for_a_core_answer() {
        let core = r#"{"connectionId":"abc","connectionToken":"def","negotiateVersion":1,
            "availableTransports":[{"transport":"WebSockets","transferFormats":["Text"]}]}"#;
        let error = parse_negotiate(core.as_bytes()).unwrap_err();
        assert!(matches!(error, NegotiateError::CoreServer));
        assert!(error.to_string().contains("dialect: core"), "{error}");
    }

    #[test]
    fn parse_negotiate_reports_missing_token_and_server_error() {
        let body = HPC.replace("\"ConnectionToken\":\"AQAAANCMnd8B+/=\",", "");
        let error = parse_negotiate(body.as_bytes()).unwrap_err();
        assert!(matches!(error, NegotiateError::Missing("ConnectionToken")), "{error}");
        let refused = r#"{"ProtocolVersion":"2.0","Error":"Hub down"}"#;
        assert!(matches!(parse_negotiate(refused.as_bytes()), Err(NegotiateError::Refused(_))));
        assert!(matches!(parse_negotiate(b"<html>"), Err(NegotiateError::Json(_))));
    }
}
