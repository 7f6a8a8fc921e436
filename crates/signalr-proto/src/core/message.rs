//! One decoded ASP.NET Core hub record, whichever hub protocol carried it. JSON records and
//! MessagePack records decode into the same [`HubMessage`], borrowing from the frame: strings as
//! they came (a JSON string with escapes is the only copy), arguments raw, in their protocol's
//! bytes, until a profile decodes each one straight into its typed struct ([`Arguments`]).
//! Headers are checked and skipped: nothing downstream reads them.

use std::borrow::Cow;

use super::arguments::{Argument, Arguments};
use super::msgpack::ValueError;

/// One record (protocols.md §2: message types 1 to 9).
#[derive(Debug, PartialEq)]
pub enum HubMessage<'a> {
    /// Type 1. Without an id (absent, nil or empty) the callee must not answer.
    Invocation {
        invocation_id: Option<Cow<'a, str>>,
        target: Cow<'a, str>,
        arguments: Arguments<'a>,
    },
    /// Type 2.
    StreamItem { invocation_id: Cow<'a, str> },
    /// Type 3: `Ok(None)` is a void result, `Ok(Some(value))` a value, `Err` the error text.
    Completion { invocation_id: Cow<'a, str>, result: Result<Option<Argument<'a>>, Cow<'a, str>> },
    /// Type 6.
    Ping,
    /// Type 7.
    Close { error: Option<Cow<'a, str>>, allow_reconnect: bool },
    /// Type 8 (stateful reconnect).
    Ack(u64),
    /// Type 9 (stateful reconnect).
    Sequence(u64),
    /// A type this client does not know: ignored, as the spec asks.
    Unknown(u64),
}

impl HubMessage<'_> {
    /// The message type number on the wire.
    pub fn kind(&self) -> u64 {
        match self {
            HubMessage::Invocation { .. } => 1,
            HubMessage::StreamItem { .. } => 2,
            HubMessage::Completion { .. } => 3,
            HubMessage::Ping => 6,
            HubMessage::Close { .. } => 7,
            HubMessage::Ack(_) => 8,
            HubMessage::Sequence(_) => 9,
            HubMessage::Unknown(kind) => *kind,
        }
    }
}

/// A record that is not valid under its hub protocol.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("not a JSON object: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    MsgPack(#[from] ValueError),
    #[error("record has no `type`")]
    NoType,
    #[error("message type {kind} lacks `{field}`")]
    Missing { kind: u64, field: &'static str },
    #[error("message type {kind} has {items} items, too few")]
    TooFewItems { kind: u64, items: u32 },
    #[error("completion has both `result` and `error`")]
    ResultAndError,
    #[error("completion has unknown result kind {0}")]
    ResultKind(u64),
    #[error("`arguments` is not an array")]
    ArgumentsNotArray,
}

impl RecordError {
    /// A bounded label for the decode-errors metric.
    pub fn reason(&self) -> &'static str {
        match self {
            RecordError::Json(e) => crate::json_error_reason(e),
            RecordError::MsgPack(_) => "msgpack",
            RecordError::NoType => "no_type",
            RecordError::Missing { .. } => "missing_field",
            RecordError::TooFewItems { .. } => "too_few_items",
            RecordError::ResultAndError => "result_and_error",
            RecordError::ResultKind(_) => "result_kind",
            RecordError::ArgumentsNotArray => "arguments_not_array",
        }
    }

    /// The message type of the record, as far as it can be told. An unreadable one counts as
    /// an Invocation: only trackable records carry payloads large enough to break, so a
    /// stateful connection keeps its numbering in step with the server's.
    pub fn kind(&self) -> u64 {
        match self {
            RecordError::Missing { kind, .. } | RecordError::TooFewItems { kind, .. } => *kind,
            RecordError::ResultAndError | RecordError::ResultKind(_) => 3,
            RecordError::Json(_)
            | RecordError::MsgPack(_)
            | RecordError::NoType
            | RecordError::ArgumentsNotArray => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{json, msgpack};
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        text.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
    }

    #[test]
    fn both_protocols_give_the_same_message_for_the_same_record() {
        let pairs = [
            (r#"{"type":7,"error":"xyz","allowReconnect":true}"#, "93 07 a3 78 79 7a c3"),
            (
                r#"{"type":3,"invocationId":"xyz","error":"Error"}"#,
                "95 03 80 a3 78 79 7a 01 a5 45 72 72 6f 72",
            ),
            (r#"{"type":3,"invocationId":"xyz"}"#, "94 03 80 a3 78 79 7a 02"),
            (r#"{"type":8,"sequenceId":36}"#, "92 08 cc 24"),
            (r#"{"type":6}"#, "91 06"),
            (r#"{"type":99}"#, "91 63"),
        ];
        for (text, bytes) in pairs {
            let bytes = hex(bytes);
            let from_json = json::parse_record(text).unwrap();
            assert_eq!(from_json, msgpack::parse_record(&bytes).unwrap(), "{text}");
        }
        // Invocations agree on everything but the arguments' encoding.
        let text = r#"{"type":1,"invocationId":"xyz","target":"method","arguments":[42]}"#;
        let bytes = hex("96 01 80 a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90");
        let (
            HubMessage::Invocation { invocation_id: a, target: t, arguments: Arguments::Json(x) },
            HubMessage::Invocation {
                invocation_id: b,
                target: u,
                arguments: Arguments::MsgPack(y),
            },
        ) = (json::parse_record(text).unwrap(), msgpack::parse_record(&bytes).unwrap())
        else {
            panic!("two invocations")
        };
        assert_eq!((a, t), (b, u));
        assert_eq!(x.get(), "[42]");
        assert_eq!(msgpack::to_json(y.raw()).unwrap(), serde_json::json!([42]));
    }

    #[test]
    fn kinds_of_messages_and_of_records_that_failed() {
        let kinds: Vec<u64> =
            [r#"{"type":1,"target":"t","arguments":[]}"#, r#"{"type":9,"sequenceId":1}"#]
                .iter()
                .map(|text| json::parse_record(text).unwrap().kind())
                .collect();
        assert_eq!(kinds, [1, 9]);
        let failed = |text: &str| json::parse_record(text).unwrap_err().kind();
        assert_eq!(failed(r#"{"type":2}"#), 2, "a StreamItem without its id is still type 2");
        assert_eq!(failed(r#"{"type":3,"invocationId":"1","result":1,"error":"e"}"#), 3);
        assert_eq!(failed("{not json"), 1, "unreadable counts as trackable");
        let failed = msgpack::parse_record(&hex("91 08")).unwrap_err();
        assert_eq!(failed.kind(), 8);
    }
}
