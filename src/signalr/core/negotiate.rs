//! ASP.NET Core negotiate: the URLs (pure), the answer's meaning (pure), and the one POST.

use serde::Deserialize;
use url::Url;

/// What the client learnt from negotiate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The public connection id (used in event ids).
    pub connection_id: String,
    /// The secret `id` query value for the WebSocket (v0 servers: the connection id).
    pub connection_token: String,
}

/// Why negotiate did not give a usable connection.
#[derive(Debug, thiserror::Error)]
pub enum NegotiateError {
    #[error("negotiate answered HTTP {0}")]
    Status(u16),
    #[error("negotiate was refused: credentials missing or not accepted (HTTP {0})")]
    Unauthorized(u16),
    #[error("the server refused the connection: {0}")]
    Refused(String),
    #[error(
        "this is a classic ASP.NET SignalR server (ProtocolVersion {0}); set `dialect: classic`"
    )]
    ClassicServer(String),
    #[error("the server offers no WebSockets transport")]
    NoWebSockets,
    #[error("the server redirects to {0}; negotiate redirects are not supported yet")]
    Redirect(String),
    #[error("negotiate answer is not valid: {0}")]
    Malformed(String),
    #[error("negotiate request failed: {0}")]
    Http(String),
}

/// `{hub}/negotiate?…&negotiateVersion=1`: `negotiate` goes into the path, the query is kept.
pub fn negotiate_url(hub: &Url) -> Url {
    let mut url = hub.clone();
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{path}/negotiate"));
    if !url.query_pairs().any(|(k, _)| k == "negotiateVersion") {
        url.query_pairs_mut().append_pair("negotiateVersion", "1");
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
struct Answer {
    connection_id: Option<String>,
    connection_token: Option<String>,
    negotiate_version: Option<u32>,
    available_transports: Option<Vec<Transport>>,
    url: Option<String>,
    error: Option<String>,
    #[serde(rename = "ProtocolVersion")]
    classic_protocol_version: Option<String>,
}

#[derive(Deserialize)]
struct Transport {
    transport: String,
}

/// Reads a negotiate answer (v0 or v1).
pub fn parse_answer(body: &[u8]) -> Result<Negotiated, NegotiateError> {
    let a: Answer =
        serde_json::from_slice(body).map_err(|e| NegotiateError::Malformed(e.to_string()))?;
    if let Some(version) = a.classic_protocol_version {
        return Err(NegotiateError::ClassicServer(version));
    }
    if let Some(error) = a.error {
        return Err(NegotiateError::Refused(error));
    }
    if let Some(url) = a.url {
        return Err(NegotiateError::Redirect(url));
    }
    let connection_id =
        a.connection_id.ok_or_else(|| NegotiateError::Malformed("no connectionId".into()))?;
    if let Some(transports) = &a.available_transports {
        if !transports.iter().any(|t| t.transport.eq_ignore_ascii_case("WebSockets")) {
            return Err(NegotiateError::NoWebSockets);
        }
    }
    let connection_token = match a.negotiate_version.unwrap_or(0) {
        0 => connection_id.clone(),
        _ => a
            .connection_token
            .ok_or_else(|| NegotiateError::Malformed("v1 answer without connectionToken".into()))?,
    };
    Ok(Negotiated { connection_id, connection_token })
}

/// POSTs negotiate (empty body) and reads the answer.
pub async fn negotiate(
    client: &reqwest::Client,
    hub: &Url,
    bearer: Option<&str>,
) -> Result<Negotiated, NegotiateError> {
    let mut request = client.post(negotiate_url(hub)).header(reqwest::header::CONTENT_LENGTH, 0);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    // Never show the URL's query: it may hold a token.
    let response =
        request.send().await.map_err(|e| NegotiateError::Http(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    match status {
        200 => {}
        401 | 403 => return Err(NegotiateError::Unauthorized(status)),
        _ => return Err(NegotiateError::Status(status)),
    }
    let body =
        response.bytes().await.map_err(|e| NegotiateError::Http(e.without_url().to_string()))?;
    parse_answer(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiate_url_inserts_into_path_and_keeps_query() {
        let hub = Url::parse("https://x/client/?hub=chat").unwrap();
        assert_eq!(
            negotiate_url(&hub).as_str(),
            "https://x/client/negotiate?hub=chat&negotiateVersion=1"
        );
        let hub = Url::parse("https://api.redmist.racing/status/event-status").unwrap();
        assert_eq!(
            negotiate_url(&hub).as_str(),
            "https://api.redmist.racing/status/event-status/negotiate?negotiateVersion=1"
        );
        let hub = Url::parse("http://h/hub?negotiateVersion=0").unwrap();
        assert_eq!(negotiate_url(&hub).as_str(), "http://h/hub/negotiate?negotiateVersion=0");
    }

    #[test]
    fn websocket_url_schemes_and_query() {
        let hub = Url::parse("https://h/status/event-status?x=1").unwrap();
        assert_eq!(websocket_url(&hub, None, None).as_str(), "wss://h/status/event-status?x=1");
        let hub = Url::parse("http://h/hub").unwrap();
        assert_eq!(websocket_url(&hub, Some("a+b/c"), None).as_str(), "ws://h/hub?id=a%2Bb%2Fc");
        assert_eq!(
            websocket_url(&hub, None, Some("t=k")).as_str(),
            "ws://h/hub?access_token=t%3Dk"
        );
    }

    #[test]
    fn parse_v1_uses_connection_token() {
        let body = br#"{"connectionToken":"tok","connectionId":"cid","negotiateVersion":1,
            "availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}"#;
        let n = parse_answer(body).unwrap();
        assert_eq!(n, Negotiated { connection_id: "cid".into(), connection_token: "tok".into() });
    }

    #[test]
    fn parse_v0_uses_connection_id_as_token() {
        let body = br#"{"connectionId":"cid","availableTransports":[{"transport":"WebSockets","transferFormats":["Text"]}]}"#;
        let n = parse_answer(body).unwrap();
        assert_eq!(n.connection_token, "cid");
    }

    #[test]
    fn parse_refusals() {
        assert!(matches!(
            parse_answer(br#"{"error":"This connection is not allowed."}"#),
            Err(NegotiateError::Refused(e)) if e == "This connection is not allowed."
        ));
        assert!(matches!(
            parse_answer(br#"{"Url":"/hpc/signalr","ConnectionToken":"x","ConnectionId":"y","ProtocolVersion":"1.5"}"#),
            Err(NegotiateError::ClassicServer(v)) if v == "1.5"
        ));
        assert!(matches!(
            parse_answer(br#"{"connectionId":"c","negotiateVersion":1,"connectionToken":"t","availableTransports":[{"transport":"LongPolling"}]}"#),
            Err(NegotiateError::NoWebSockets)
        ));
        assert!(matches!(
            parse_answer(br#"{"url":"https://other/","accessToken":"x"}"#),
            Err(NegotiateError::Redirect(_))
        ));
        assert!(matches!(parse_answer(b"<html>"), Err(NegotiateError::Malformed(_))));
    }
}
