//! Pure JSON hub-protocol framing for the simulator: splits `0x1E`-terminated records (also
//! across WebSocket frames), parses the handshake (which picks JSON or MessagePack, see
//! `msgpack`) and client records, and builds the records the server writes. No I/O and no hub
//! semantics (those live in `hub.rs`).

pub mod msgpack;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use signalr_proto::core::HubProtocol;

/// The ASCII record separator that ends every JSON hub-protocol record.
pub const RS: char = '\u{1e}';

/// The server's keep-alive record.
pub const PING: &str = "{\"type\":6}\u{1e}";

/// The successful handshake response.
pub const HANDSHAKE_OK: &str = "{}\u{1e}";

/// Sent when the client never completes its handshake record (protocols.md trap 9).
pub const HANDSHAKE_CANCELED: &str = "Handshake was canceled.";

/// What the real server says when it cannot parse a handshake record.
const HANDSHAKE_UNEXPECTED: &str = "An unexpected error occurred during connection handshake.";

/// Bytes received but not yet terminated by a separator, kept across WebSocket frames.
#[derive(Debug, Default)]
pub struct RecordBuffer {
    pending: String,
}

impl RecordBuffer {
    /// Appends the text of one WebSocket frame.
    pub fn push(&mut self, text: &str) {
        self.pending.push_str(text);
    }

    /// Removes and returns every complete record (without its separator), oldest first; a
    /// trailing partial record stays buffered for the next frame.
    pub fn drain_records(&mut self) -> Vec<String> {
        let Some(last) = self.pending.rfind(RS) else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last + RS.len_utf8());
        let complete = std::mem::replace(&mut self.pending, rest);
        complete.split_terminator(RS).map(str::to_owned).collect()
    }

    /// Bytes of the unterminated tail; the caller bounds it.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

/// A record the client sent that cannot be understood; the server closes the connection.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ProtocolError(pub String);

#[derive(Deserialize)]
struct HandshakeRequest {
    protocol: String,
    version: i64,
}

/// Checks the first record: JSON and MessagePack, versions up to 2, are served (as RedMist
/// enables both). Like ASP.NET Core's protocols (`version <= Version`), a lower version is
/// accepted: signalrcore 1.0 asks for version 0. `Err` holds the exact error text ASP.NET Core writes in its handshake response.
pub fn check_handshake(record: &str) -> Result<HubProtocol, String> {
    let request: HandshakeRequest =
        serde_json::from_str(record).map_err(|_| HANDSHAKE_UNEXPECTED.to_string())?;
    let protocol = match request.protocol.as_str() {
        "json" => HubProtocol::Json,
        "messagepack" => HubProtocol::MessagePack,
        other => return Err(format!("Requested protocol '{other}' is not available.")),
    };
    if request.version > 2 {
        return Err(format!(
            "The server does not support version {} of the '{}' protocol.",
            request.version, request.protocol
        ));
    }
    Ok(protocol)
}

/// The `version` of a handshake request [`check_handshake`] accepted: 2 with stateful
/// reconnect negotiated means Ack and Sequence are spoken.
pub fn handshake_version(record: &str) -> i64 {
    serde_json::from_str::<HandshakeRequest>(record).map_or(1, |r| r.version)
}

/// One decoded client record. Arguments stay raw JSON until a hub method binds them.
#[derive(Debug)]
pub enum ClientMessage<'a> {
    /// Type 1; `invocation_id` None means non-blocking (no Completion allowed).
    Invocation {
        invocation_id: Option<String>,
        target: String,
        arguments: Vec<&'a RawValue>,
    },
    /// Type 4: a streaming call, which no simulated method supports.
    StreamInvocation {
        invocation_id: String,
        target: String,
    },
    Ping,
    Close,
    /// Type 8 (stateful reconnect): the client processed our records up to this id.
    Ack(u64),
    /// Type 9 (stateful reconnect): the client's replay starts at this id.
    Sequence(u64),
    /// Completions, stream items, cancels and unknown future types: ignored.
    Ignored(i64),
}

impl ClientMessage<'_> {
    /// The message type, for stateful-reconnect numbering.
    pub fn kind(&self) -> u64 {
        match self {
            ClientMessage::Invocation { .. } => 1,
            ClientMessage::StreamInvocation { .. } => 4,
            ClientMessage::Ping => 6,
            ClientMessage::Close => 7,
            ClientMessage::Ack(_) => 8,
            ClientMessage::Sequence(_) => 9,
            ClientMessage::Ignored(kind) => u64::try_from(*kind).unwrap_or(0),
        }
    }
}

#[derive(Deserialize)]
struct RawRecord<'a> {
    #[serde(rename = "type")]
    kind: Option<i64>,
    #[serde(rename = "invocationId", default)]
    invocation_id: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default, borrow)]
    arguments: Option<Vec<&'a RawValue>>,
    #[serde(rename = "sequenceId", default)]
    sequence_id: Option<u64>,
}

/// Decodes one record (without its separator).
pub fn parse_record(record: &str) -> Result<ClientMessage<'_>, ProtocolError> {
    let raw: RawRecord<'_> = serde_json::from_str(record)
        .map_err(|e| ProtocolError(format!("Error reading JSON. {e}")))?;
    let kind = raw.kind.ok_or_else(|| missing("type"))?;
    match kind {
        1 => Ok(ClientMessage::Invocation {
            invocation_id: raw.invocation_id,
            target: raw.target.ok_or_else(|| missing("target"))?,
            arguments: raw.arguments.ok_or_else(|| missing("arguments"))?,
        }),
        4 => Ok(ClientMessage::StreamInvocation {
            invocation_id: raw.invocation_id.ok_or_else(|| missing("invocationId"))?,
            target: raw.target.ok_or_else(|| missing("target"))?,
        }),
        6 => Ok(ClientMessage::Ping),
        7 => Ok(ClientMessage::Close),
        8 => Ok(ClientMessage::Ack(raw.sequence_id.ok_or_else(|| missing("sequenceId"))?)),
        9 => Ok(ClientMessage::Sequence(raw.sequence_id.ok_or_else(|| missing("sequenceId"))?)),
        other => Ok(ClientMessage::Ignored(other)),
    }
}

fn missing(property: &str) -> ProtocolError {
    ProtocolError(format!("Missing required property '{property}'."))
}

#[derive(Serialize)]
struct HandshakeError<'a> {
    error: &'a str,
}

/// A failed handshake response, e.g. `{"error":"Handshake was canceled."}␞`.
pub fn handshake_error(error: &str) -> String {
    terminated(&HandshakeError { error })
}

#[derive(Serialize)]
struct Completion<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(rename = "invocationId")]
    invocation_id: &'a str,
    error: &'a str,
}

/// The Completion for a void hub method that succeeded. The real server marks void results as
/// present, so JSON carries `"result":null`.
pub fn completion_ok(invocation_id: &str) -> String {
    let body = serde_json::to_string(invocation_id).unwrap_or_else(|_| "\"\"".into());
    format!("{{\"type\":3,\"invocationId\":{body},\"result\":null}}{RS}")
}

/// The Completion carrying a hub error.
pub fn completion_error(invocation_id: &str, error: &str) -> String {
    terminated(&Completion { kind: 3, invocation_id, error })
}

#[derive(Serialize)]
struct Close<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Written only when true, as the real server does.
    #[serde(rename = "allowReconnect", skip_serializing_if = "std::ops::Not::not")]
    allow_reconnect: bool,
}

/// A Close record: `{"type":7}`, optionally with `error` and `allowReconnect`.
pub fn close_record(error: Option<&str>, allow_reconnect: bool) -> String {
    terminated(&Close { kind: 7, error, allow_reconnect })
}

/// A non-blocking server-to-client Invocation; `arguments` is already a JSON array.
pub fn invocation_record(target: &str, arguments: &str) -> String {
    let target = serde_json::to_string(target).unwrap_or_else(|_| "\"\"".into());
    format!("{{\"type\":1,\"target\":{target},\"arguments\":{arguments}}}{RS}")
}

fn terminated<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string(value).unwrap_or_default();
    text.push(RS);
    text
}

#[cfg(test)]
mod tests;
