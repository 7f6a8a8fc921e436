//! Pure wire formats of the classic ASP.NET SignalR 2.x server: the message cursor (`C`), the
//! groups token (`G`), persistent-response envelopes, hub results, and the client's hub
//! invocations. No sockets and no state here.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

#[cfg(test)]
mod tests;

/// A message cursor, written `d-<prefix>-B,<messages>|C,<groups>`. The prefix names the server
/// instance (a restarted server has a new one, so old cursors replay nothing, as in the real
/// server); `messages` counts bus messages for the connection, `groups` its group changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub prefix: String,
    pub messages: u64,
    pub groups: u64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "d-{}-B,{}|C,{}", self.prefix, self.messages, self.groups)
    }
}

impl Cursor {
    /// Parses a cursor a client sent back as `messageId`; anything malformed is `None`.
    pub fn parse(text: &str) -> Option<Cursor> {
        let rest = text.strip_prefix("d-")?;
        let (prefix, rest) = rest.split_once('-')?;
        let (b, c) = rest.split_once('|')?;
        let messages = b.strip_prefix("B,")?.parse().ok()?;
        let groups = c.strip_prefix("C,")?.parse().ok()?;
        let hex = !prefix.is_empty() && prefix.chars().all(|ch| ch.is_ascii_hexdigit());
        hex.then(|| Cursor { prefix: prefix.to_string(), messages, groups })
    }
}

/// Serializes the groups of connection `connection_id` into an opaque token. The checksum only
/// catches tampering and mix-ups between connections; the real token is signed, ours need only
/// round-trip.
pub fn encode_groups_token(connection_id: &str, groups: &[String]) -> String {
    let list = serde_json::to_string(groups).unwrap_or_else(|_| "[]".to_string());
    let body = format!("{connection_id}:{list}");
    URL_SAFE_NO_PAD.encode(format!("{:016x}:{body}", checksum(&body)))
}

/// The groups in `token` when it is well formed and was issued to `connection_id`.
pub fn decode_groups_token(connection_id: &str, token: &str) -> Option<Vec<String>> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (sum, body) = text.split_once(':')?;
    if u64::from_str_radix(sum, 16).ok()? != checksum(body) {
        return None;
    }
    let list = body.strip_prefix(connection_id)?.strip_prefix(':')?;
    serde_json::from_str(list).ok()
}

/// FNV-1a: stable across runs and platforms, which `DefaultHasher` does not promise.
fn checksum(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// `{"C":…,"S":1,"M":[]}`: the first frame on `/connect`.
pub fn init_frame(cursor: &Cursor) -> String {
    format!(r#"{{"C":"{cursor}","S":1,"M":[]}}"#)
}

/// `{"C":…,"T":1,"M":[]}`: the server is shutting down (the close follows).
pub fn shutdown_frame(cursor: &Cursor) -> String {
    format!(r#"{{"C":"{cursor}","T":1,"M":[]}}"#)
}

/// `{"C":…,"G":token,"M":[]}`: the connection's groups changed.
pub fn groups_frame(cursor: &Cursor, token: &str) -> String {
    let token = serde_json::to_string(token).unwrap_or_else(|_| "\"\"".to_string());
    format!(r#"{{"C":"{cursor}","G":{token},"M":[]}}"#)
}

/// `{"C":…,"M":[items…]}` where each item is already-serialized JSON.
pub fn envelope<S: AsRef<str>>(cursor: &Cursor, items: &[S]) -> String {
    let len: usize = items.iter().map(|i| i.as_ref().len() + 1).sum();
    let mut out = String::with_capacity(len + 48);
    out.push_str(&format!(r#"{{"C":"{cursor}","M":["#));
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(item.as_ref());
    }
    out.push_str("]}");
    out
}

/// `{"H":hub,"M":method,"A":arguments}`: one server-to-client invocation, an item of `M`.
/// `arguments` must be a JSON array.
pub fn invocation_item(hub: &str, method: &str, arguments: &str) -> String {
    format!(r#"{{"H":"{hub}","M":"{method}","A":{arguments}}}"#)
}

/// A hub method's outcome, sent bare (never enveloped): `{"I":"n"}` or `{"I":"n","E":"…"}`.
#[derive(Debug, Serialize)]
pub struct HubResult<'a> {
    #[serde(rename = "I")]
    pub id: &'a str,
    #[serde(rename = "E", skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl HubResult<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// The callback id: the .NET client sends a string, the JS client a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CallbackId {
    Text(String),
    Number(u64),
}

#[derive(Debug, Deserialize)]
struct RawInvocation {
    #[serde(rename = "H")]
    hub: String,
    #[serde(rename = "M")]
    method: String,
    #[serde(rename = "A", default)]
    arguments: Vec<Box<RawValue>>,
    #[serde(rename = "I")]
    id: CallbackId,
}

/// A client-to-server hub invocation `{"H","M","A","I"}`.
#[derive(Debug)]
pub struct ClientInvocation {
    pub hub: String,
    pub method: String,
    pub arguments: Vec<Box<RawValue>>,
    /// The callback id as the server echoes it: always a string.
    pub id: String,
}

impl ClientInvocation {
    /// Parses one WebSocket text message; `None` when it is not an invocation.
    pub fn parse(text: &str) -> Option<ClientInvocation> {
        let raw: RawInvocation = serde_json::from_str(text).ok()?;
        let id = match raw.id {
            CallbackId::Text(id) => id,
            CallbackId::Number(n) => n.to_string(),
        };
        Some(ClientInvocation { hub: raw.hub, method: raw.method, arguments: raw.arguments, id })
    }

    /// The arguments as one JSON array, for the invocation log.
    pub fn arguments_json(&self) -> String {
        let parts: Vec<&str> = self.arguments.iter().map(|a| a.get()).collect();
        format!("[{}]", parts.join(","))
    }
}
