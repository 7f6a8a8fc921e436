//! Helpers shared by the bridge's fuzz targets: a message context, and the invariants every
//! event must hold whatever input made it. The protocol decoders' targets live beside the
//! protocol crate (`crates/signalr-proto/fuzz`).

use std::collections::HashSet;

use serde_json::value::RawValue;

use signalr_bridge::event::{Event, WireId};
use signalr_bridge::profile::MessageContext;

/// The context a hub task gives a profile.
pub fn context() -> MessageContext {
    MessageContext {
        hub: "fuzz".into(),
        source: "https://hub.example/status".into(),
        wire: WireId { connection: "conn".into(), record: 7 },
        received: time::OffsetDateTime::UNIX_EPOCH,
    }
}

/// What every published event must be: its envelope valid JSON with the CloudEvents fields as
/// written, its data valid JSON, and no two events of one message sharing an id.
///
/// Valid JSON by the grammar: raw arguments pass through untouched, and a number such as
/// `1e400` is valid JSON that serde_json will not hold as a `Value` (it reads it as raw text).
pub fn check_events(events: &[Event]) {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        specversion: &'a str,
        id: String,
        #[serde(rename = "type")]
        kind: &'a str,
        subject: String,
        partitionkey: String,
        #[serde(borrow)]
        data: &'a RawValue,
    }
    let mut ids = HashSet::new();
    for event in events {
        assert!(ids.insert(event.id.as_str()), "duplicate event id {}", event.id);
        let json = event.to_json();
        let envelope: Envelope<'_> = serde_json::from_slice(&json)
            .unwrap_or_else(|e| panic!("event {} is not JSON: {e}", event.id));
        assert_eq!(envelope.specversion, "1.0");
        assert_eq!(envelope.id, event.id);
        assert_eq!(envelope.kind, event.kind.as_str());
        assert_eq!(envelope.subject, event.subject);
        assert_eq!(envelope.partitionkey, event.partition_key);
        assert_eq!(envelope.data.get(), event.data.get());
        let _: serde::de::IgnoredAny = serde_json::from_str(event.data.get())
            .unwrap_or_else(|e| panic!("event {} data is not JSON: {e}", event.id));
    }
}

/// A hub config from JSON, as the config loader would build it.
pub fn hub_config(json: serde_json::Value) -> signalr_bridge::config::HubConfig {
    serde_json::from_value(json).expect("the fuzz hub config is valid")
}

/// An event already in the output before a profile runs: a failing invocation must leave it.
pub fn earlier_event(ctx: &MessageContext) -> Event {
    let data = serde_json::value::RawValue::from_string("{}".into()).expect("valid JSON");
    let kind = signalr_bridge::event::EventType::GenericInvocation;
    ctx.event(99, kind, "earlier".into(), "earlier".into(), data)
}

/// Spool records with valid headers: `data` is read as `[len: u16 LE][payload: len bytes]...`
/// and each payload gets its length and CRC-32 in front, as the spool writes them.
pub fn with_checksums(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let [lo, hi, rest @ ..] = data {
        let len = usize::from(u16::from_le_bytes([*lo, *hi]));
        let (payload, tail) = rest.split_at(len.min(rest.len()));
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        out.extend_from_slice(payload);
        data = tail;
    }
    out
}
