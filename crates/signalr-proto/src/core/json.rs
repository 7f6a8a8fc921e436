//! The ASP.NET Core SignalR JSON hub protocol: `0x1E`-terminated records, decoded into
//! [`HubMessage`]s that borrow from the frame (arguments stay raw JSON), and encoders for what
//! the client sends. Pure: no I/O.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::arguments::{Argument, Arguments};
use super::message::{HubMessage, RecordError};

/// The record separator that ends every JSON record, the handshake included.
pub const RS: u8 = 0x1e;

/// Largest record accepted while waiting for its separator; a peer that sends more without
/// one is broken or hostile.
pub const MAX_PENDING_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(rename = "type")]
    kind: Option<u64>,
    #[serde(borrow)]
    invocation_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    target: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<&'a RawValue>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
    allow_reconnect: Option<bool>,
    sequence_id: Option<u64>,
}

/// Decodes one record (without its separator).
pub fn parse_record(text: &str) -> Result<HubMessage<'_>, RecordError> {
    let r: Record<'_> = serde_json::from_str(text)?;
    let kind = r.kind.ok_or(RecordError::NoType)?;
    let missing = |field| RecordError::Missing { kind, field };
    Ok(match kind {
        1 => {
            let arguments = r.arguments.ok_or(missing("arguments"))?;
            if !arguments.get().trim_start().starts_with('[') {
                return Err(RecordError::ArgumentsNotArray);
            }
            // An empty id means "none", as in the MessagePack protocol.
            let invocation_id = r.invocation_id.filter(|id| !id.is_empty());
            HubMessage::Invocation {
                invocation_id,
                target: r.target.ok_or(missing("target"))?,
                arguments: Arguments::Json(arguments),
            }
        }
        2 => HubMessage::StreamItem {
            invocation_id: r.invocation_id.ok_or(missing("invocationId"))?,
        },
        3 => {
            let invocation_id = r.invocation_id.ok_or(missing("invocationId"))?;
            let result = match (r.result, r.error) {
                (Some(_), Some(_)) => return Err(RecordError::ResultAndError),
                (_, Some(error)) => Err(error),
                (result, None) => Ok(result.map(Argument::Json)),
            };
            HubMessage::Completion { invocation_id, result }
        }
        6 => HubMessage::Ping,
        7 => HubMessage::Close {
            error: r.error,
            allow_reconnect: r.allow_reconnect.unwrap_or(false),
        },
        8 => HubMessage::Ack(r.sequence_id.ok_or(missing("sequenceId"))?),
        9 => HubMessage::Sequence(r.sequence_id.ok_or(missing("sequenceId"))?),
        other => HubMessage::Unknown(other),
    })
}

/// Splits WebSocket text into records, keeping a partial record in `pending` until the next
/// frame completes it. Calls `each` with every complete record, separator removed.
///
/// Text frames are UTF-8 and the separator is ASCII, so records and the pending rest stay
/// `str`s: nothing is validated twice. Returns false (and clears `pending`) when a partial
/// record grew past [`MAX_PENDING_BYTES`].
pub fn split_records(pending: &mut String, data: &str, mut each: impl FnMut(&str)) -> bool {
    let input: &str = if pending.is_empty() {
        data
    } else {
        pending.push_str(data);
        pending.as_str()
    };
    let complete = memchr::memrchr(RS, input.as_bytes()).map_or(0, |last| last + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(RS, &input.as_bytes()[..complete]) {
        if end > start {
            each(&input[start..end]);
        }
        start = end + 1;
    }
    let rest_len = input.len() - complete;
    if pending.is_empty() {
        pending.push_str(&data[complete..]);
    } else {
        pending.drain(..complete);
    }
    if rest_len > MAX_PENDING_BYTES {
        pending.clear();
        return false;
    }
    true
}

/// How the server answered the handshake.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("the server refused the handshake: {0}")]
    Refused(String),
    #[error("expected a handshake response from the server")]
    NotAHandshake,
    #[error("handshake response is not JSON")]
    Malformed,
}

/// Checks the first record: `{}` is success, `{"error":…}` a refusal.
pub fn parse_handshake_response(record: &str) -> Result<(), HandshakeError> {
    #[derive(Deserialize)]
    struct Answer {
        error: Option<String>,
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
    }
    let answer: Answer = serde_json::from_str(record).map_err(|_| HandshakeError::Malformed)?;
    if answer.kind.is_some() {
        return Err(HandshakeError::NotAHandshake);
    }
    match answer.error {
        Some(error) => Err(HandshakeError::Refused(error)),
        None => Ok(()),
    }
}

/// `{"protocol":"json","version":N}` + separator.
pub fn handshake_request(version: u32) -> String {
    format!("{{\"protocol\":\"json\",\"version\":{version}}}\u{1e}")
}

/// A client Invocation with an id, so the server answers with a Completion.
pub fn invocation(id: u64, target: &str, arguments: &[serde_json::Value]) -> String {
    let body = serde_json::json!({
        "type": 1,
        "invocationId": id.to_string(),
        "target": target,
        "arguments": arguments,
    });
    format!("{body}\u{1e}")
}

/// The Completion official clients send for a server invocation they have no handler for.
pub fn no_result_completion(invocation_id: &str) -> String {
    let body = serde_json::json!({
        "type": 3,
        "invocationId": invocation_id,
        "error": "Client didn't provide a result.",
    });
    format!("{body}\u{1e}")
}

/// Ack (stateful reconnect): every trackable record up to `sequence_id` was processed.
pub fn ack(sequence_id: u64) -> String {
    format!("{{\"type\":8,\"sequenceId\":{sequence_id}}}\u{1e}")
}

/// Sequence (stateful reconnect): the records that follow start at `sequence_id`.
pub fn sequence(sequence_id: u64) -> String {
    format!("{{\"type\":9,\"sequenceId\":{sequence_id}}}\u{1e}")
}

pub const PING: &str = "{\"type\":6}\u{1e}";
pub const CLOSE: &str = "{\"type\":7}\u{1e}";

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
