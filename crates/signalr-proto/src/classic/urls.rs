//! Classic endpoint URLs: `{base}negotiate`, `connect`, `reconnect`, `start` and `abort`, with
//! their query strings escaped the way .NET's `Uri.EscapeDataString` does. Builds URLs only.

use url::Url;

/// The client protocol the bridge speaks. 1.5 (SignalR 2.2) is what HPC Pack 2016 answers
/// anyway; asking for it keeps newer servers from sending 2.x redirects this client ignores.
pub const CLIENT_PROTOCOL: &str = "1.5";

/// The only transport used: HPC Pack delivers events over WebSockets alone.
pub const TRANSPORT: &str = "webSockets";

/// The hub URL cannot serve as a SignalR base.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("scheme `{0}` is not http, https, ws or wss")]
    Scheme(String),
}

/// The endpoints of one classic connection's hub set.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `…/signalr/`, http or https, without query.
    base: Url,
    /// The configured URL's own query, kept in front of ours.
    user_query: Option<String>,
    /// `connectionData`, already escaped.
    connection_data: String,
}

impl Endpoints {
    /// Endpoints under `hub_url` (e.g. `https://head/hpc` ⇒ `https://head/hpc/signalr/`) for the
    /// given hubs. Hubs are fixed for the life of a connection, so they are fixed here too.
    pub fn new(hub_url: &Url, hubs: &[&str]) -> Result<Endpoints, UrlError> {
        let mut base = hub_url.clone();
        let http = match base.scheme() {
            "http" | "ws" => "http",
            "https" | "wss" => "https",
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        // Switching among http/https/ws/wss is always allowed by `url`.
        let _ = base.set_scheme(http);
        let user_query = base.query().filter(|q| !q.is_empty()).map(str::to_owned);
        base.set_query(None);
        base.set_fragment(None);
        let path = base.path().trim_end_matches('/').to_owned();
        if path.rsplit('/').next() == Some("signalr") {
            base.set_path(&format!("{path}/"));
        } else {
            base.set_path(&format!("{path}/signalr/"));
        }
        Ok(Endpoints { base, user_query, connection_data: escape(&connection_data(hubs)) })
    }

    /// `GET negotiate`.
    pub fn negotiate(&self) -> Url {
        self.build("negotiate", false, &[("clientProtocol", CLIENT_PROTOCOL)], None)
    }

    /// The WebSocket URL of a new connection.
    pub fn connect(&self, token: &str) -> Url {
        self.build("connect", true, &self.transport_pairs(), Some(token))
    }

    /// The WebSocket URL that resumes a connection after the last cursor and groups token seen,
    /// so the server replays what was missed and restores group memberships.
    pub fn reconnect(&self, token: &str, message_id: Option<&str>, groups: Option<&str>) -> Url {
        let mut pairs = self.transport_pairs().to_vec();
        if let Some(id) = message_id {
            pairs.push(("messageId", id));
        }
        if let Some(groups) = groups {
            pairs.push(("groupsToken", groups));
        }
        self.build("reconnect", true, &pairs, Some(token))
    }

    /// `GET start`, after the init frame; answers `{"Response":"started"}`.
    pub fn start(&self, token: &str) -> Url {
        self.build("start", false, &self.transport_pairs(), Some(token))
    }

    /// `POST abort`: the graceful stop.
    pub fn abort(&self, token: &str) -> Url {
        self.build("abort", false, &self.transport_pairs(), Some(token))
    }

    fn transport_pairs(&self) -> [(&'static str, &'static str); 2] {
        [("transport", TRANSPORT), ("clientProtocol", CLIENT_PROTOCOL)]
    }

    fn build(&self, command: &str, ws: bool, pairs: &[(&str, &str)], token: Option<&str>) -> Url {
        let mut query = self.user_query.clone().map(|q| q + "&").unwrap_or_default();
        for (name, value) in pairs {
            query.push_str(&format!("{name}={}&", escape(value)));
        }
        if let Some(token) = token {
            query.push_str(&format!("connectionToken={}&", escape(token)));
        }
        query.push_str("connectionData=");
        query.push_str(&self.connection_data);
        // The base ends with '/', so joining a bare command name appends it.
        let mut url = self.base.join(command).unwrap_or_else(|_| self.base.clone());
        url.set_query(Some(&query));
        if ws {
            let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
            let _ = url.set_scheme(scheme);
        }
        url
    }
}

/// `[{"Name":"JobEventHub"},…]`, PascalCase as the .NET client sends it.
pub fn connection_data(hubs: &[&str]) -> String {
    #[derive(serde::Serialize)]
    struct Registration<'a> {
        #[serde(rename = "Name")]
        name: &'a str,
    }
    let all: Vec<Registration> = hubs.iter().map(|name| Registration { name }).collect();
    serde_json::to_string(&all).unwrap_or_else(|_| "[]".to_owned())
}

/// Percent-encodes everything but RFC 3986 unreserved characters, with upper-case hex: what
/// `Uri.EscapeDataString` produces (form encoding would differ: `+` for space, `*` kept).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "urls_tests.rs"]
mod tests;
