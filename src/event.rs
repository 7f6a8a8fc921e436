//! The normalized event: a CloudEvents 1.0 envelope in JSON structured mode.
//!
//! Profiles build events; sinks serialize them, once, with [`Event::write_json`]. Nothing here
//! does I/O. Ids come from the message's identity on the wire ([`WireId`]), never from content.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::value::RawValue;
use time::OffsetDateTime;

/// Every event type the bridge emits. A breaking change to a type's data adds a `.v2` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Any hub invocation no profile claims, passed through as-is.
    GenericInvocation,
    /// RedMist `ReceiveSessionPatch`: changed session fields.
    RedMistSessionPatched,
    /// RedMist `ReceiveCarPatches`: changed fields of one car (one event per car).
    RedMistCarPatched,
    /// RedMist `ReceiveReset`: consumers must discard state; a snapshot follows.
    RedMistReset,
    /// RedMist full session state from the REST snapshot (after subscribe and after reset).
    RedMistSessionSnapshot,
    /// RedMist `ReceiveControlLog`: race-control log entries of one car.
    RedMistControlLog,
    /// RedMist `ReceiveInCarUpdateV2`: the in-car driver display payload.
    RedMistInCarUpdated,
    /// RedMist legacy `ReceiveMessage` full status (V1 `Payload`).
    RedMistLegacyStatus,
    /// HPC Pack `JobStateChange`: a job moved from one state to another.
    HpcJobStateChanged,
    /// HPC Pack `TaskStateChange`: a task (instance) moved from one state to another.
    HpcTaskStateChanged,
}

impl EventType {
    /// All types, for schema checks and docs.
    pub const ALL: [EventType; 10] = [
        EventType::GenericInvocation,
        EventType::RedMistSessionPatched,
        EventType::RedMistCarPatched,
        EventType::RedMistReset,
        EventType::RedMistSessionSnapshot,
        EventType::RedMistControlLog,
        EventType::RedMistInCarUpdated,
        EventType::RedMistLegacyStatus,
        EventType::HpcJobStateChanged,
        EventType::HpcTaskStateChanged,
    ];

    /// The type whose CloudEvents `type` is `name`.
    pub fn from_type(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The CloudEvents `type`: reverse-DNS with a version suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::GenericInvocation => "io.signalr_bridge.hub.invocation.v1",
            EventType::RedMistSessionPatched => "racing.redmist.session.patched.v1",
            EventType::RedMistCarPatched => "racing.redmist.car.patched.v1",
            EventType::RedMistReset => "racing.redmist.session.reset.v1",
            EventType::RedMistSessionSnapshot => "racing.redmist.session.snapshot.v1",
            EventType::RedMistControlLog => "racing.redmist.car.control_log.v1",
            EventType::RedMistInCarUpdated => "racing.redmist.car.in_car_updated.v1",
            EventType::RedMistLegacyStatus => "racing.redmist.legacy.status.v1",
            EventType::HpcJobStateChanged => "com.microsoft.hpcpack.job.state_changed.v1",
            EventType::HpcTaskStateChanged => "com.microsoft.hpcpack.task.state_changed.v1",
        }
    }

    /// The `dataschema` URI; the schema file is `schemas/<type>.json` in the repository.
    pub fn schema_uri(self) -> &'static str {
        match self {
            EventType::GenericInvocation => {
                "urn:signalr-bridge:schema:io.signalr_bridge.hub.invocation.v1"
            }
            EventType::RedMistSessionPatched => {
                "urn:signalr-bridge:schema:racing.redmist.session.patched.v1"
            }
            EventType::RedMistCarPatched => {
                "urn:signalr-bridge:schema:racing.redmist.car.patched.v1"
            }
            EventType::RedMistReset => "urn:signalr-bridge:schema:racing.redmist.session.reset.v1",
            EventType::RedMistSessionSnapshot => {
                "urn:signalr-bridge:schema:racing.redmist.session.snapshot.v1"
            }
            EventType::RedMistControlLog => {
                "urn:signalr-bridge:schema:racing.redmist.car.control_log.v1"
            }
            EventType::RedMistInCarUpdated => {
                "urn:signalr-bridge:schema:racing.redmist.car.in_car_updated.v1"
            }
            EventType::RedMistLegacyStatus => {
                "urn:signalr-bridge:schema:racing.redmist.legacy.status.v1"
            }
            EventType::HpcJobStateChanged => {
                "urn:signalr-bridge:schema:com.microsoft.hpcpack.job.state_changed.v1"
            }
            EventType::HpcTaskStateChanged => {
                "urn:signalr-bridge:schema:com.microsoft.hpcpack.task.state_changed.v1"
            }
        }
    }
}

/// Where a hub message came from on the wire: the connection and the record's position in it.
///
/// Two records with identical content get different ids; the same record read again (a replay
/// of the same connection and position) gets the same id, so brokers can de-duplicate it.
#[derive(Debug, Clone)]
pub struct WireId {
    /// The connection: the negotiated connection id, or a UUID minted at connect when the
    /// server gives none (skipNegotiation).
    pub connection: Arc<str>,
    /// 1-based sequence of the record within the connection. On a stateful-reconnect
    /// connection it is the server's sequence id of the record (trackable records only, as
    /// both sides number them), so a record replayed after a resume has the same id; the
    /// session skips such a duplicate before it becomes an event, and the id keeps even a
    /// missed skip harmless downstream (JetStream drops a repeated `Nats-Msg-Id`).
    pub record: u64,
}

impl WireId {
    /// The event id for the `index`-th event built from this record.
    ///
    /// A record that yields one event uses index 0 and gets the shorter `conn:record` form.
    pub fn event_id(&self, index: usize) -> String {
        let mut id = String::with_capacity(self.connection.len() + 24);
        id.push_str(&self.connection);
        let _ = write!(id, ":{}", self.record);
        if index > 0 {
            let _ = write!(id, ":{index}");
        }
        id
    }
}

/// One normalized event, ready for a sink.
#[derive(Debug, Clone)]
pub struct Event {
    /// CloudEvents `id`, fixed when the hub message was read.
    pub id: String,
    /// CloudEvents `source`: the configured hub's source URI.
    pub source: Arc<str>,
    /// The configured hub's name, for routing and metrics (not serialized).
    pub hub: Arc<str>,
    /// CloudEvents `type`.
    pub kind: EventType,
    /// CloudEvents `subject`, e.g. `events/42/cars/7`.
    pub subject: String,
    /// When the bridge read the hub message.
    pub time: OffsetDateTime,
    /// The `partitionkey` extension: Kafka key and ordering unit.
    pub partition_key: String,
    /// The event's data, already JSON.
    pub data: Box<RawValue>,
}

impl Event {
    /// Appends the structured-mode JSON envelope to `out` (no trailing newline).
    ///
    /// Written by hand because it is the hot path: constant names are copied, and strings that
    /// need no escaping (nearly all) are copied without serde_json's byte-by-byte escaper. The
    /// output is byte-for-byte what serde_json would write (a test holds it to that).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.reserve(
            192 + self.id.len() + self.source.len() + self.subject.len() + self.data.get().len(),
        );
        out.extend_from_slice(b"{\"specversion\":\"1.0\",\"id\":");
        write_str(out, &self.id);
        out.extend_from_slice(b",\"source\":");
        write_str(out, &self.source);
        out.extend_from_slice(b",\"type\":\"");
        // Types and schema URIs are constants without characters that need escaping.
        out.extend_from_slice(self.kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"subject\":");
        write_str(out, &self.subject);
        out.extend_from_slice(b",\"time\":\"");
        write_rfc3339(out, self.time);
        out.extend_from_slice(b"\",\"datacontenttype\":\"application/json\",\"dataschema\":\"");
        out.extend_from_slice(self.kind.schema_uri().as_bytes());
        out.extend_from_slice(b"\",\"partitionkey\":");
        write_str(out, &self.partition_key);
        out.extend_from_slice(b",\"data\":");
        out.extend_from_slice(self.data.get().as_bytes());
        out.push(b'}');
    }

    /// The envelope as a new byte vector.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_json(&mut out);
        out
    }
}

/// A JSON string: copied as-is when nothing in it needs escaping (what serde_json escapes:
/// `"`, `\\` and control characters), else through serde_json.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// RFC 3339 in UTC, `2026-11-22T10:00:00.5Z`: the fraction without trailing zeros, none when
/// zero, as the `time` crate formats it.
fn write_rfc3339(out: &mut Vec<u8>, time: OffsetDateTime) {
    let t = time.to_offset(time::UtcOffset::UTC);
    let two = |out: &mut Vec<u8>, v: u8| out.extend_from_slice(&[b'0' + v / 10, b'0' + v % 10]);
    let year = t.year().rem_euclid(10_000) as u16;
    out.extend_from_slice(&[
        b'0' + (year / 1000) as u8,
        b'0' + (year / 100 % 10) as u8,
        b'0' + (year / 10 % 10) as u8,
        b'0' + (year % 10) as u8,
        b'-',
    ]);
    two(out, t.month() as u8);
    out.push(b'-');
    two(out, t.day());
    out.push(b'T');
    two(out, t.hour());
    out.push(b':');
    two(out, t.minute());
    out.push(b':');
    two(out, t.second());
    let mut nanos = t.nanosecond();
    if nanos > 0 {
        out.push(b'.');
        let mut digits = [0u8; 9];
        for d in digits.iter_mut().rev() {
            *d = b'0' + (nanos % 10) as u8;
            nanos /= 10;
        }
        let len = 9 - digits.iter().rev().take_while(|d| **d == b'0').count();
        out.extend_from_slice(&digits[..len]);
    }
    out.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event {
            id: WireId { connection: "c1".into(), record: 7 }.event_id(2),
            source: "http://127.0.0.1/event-status".into(),
            hub: "redmist".into(),
            kind: EventType::RedMistCarPatched,
            subject: "events/42/cars/7".into(),
            time: time::macros::datetime!(2026-11-22 10:00:00.5 UTC),
            partition_key: "42/7".into(),
            data: RawValue::from_string(r#"{"number":"7"}"#.into()).unwrap(),
        }
    }

    #[test]
    fn event_id_single_and_indexed() {
        let wire = WireId { connection: "abc".into(), record: 12 };
        assert_eq!(wire.event_id(0), "abc:12");
        assert_eq!(wire.event_id(3), "abc:12:3");
    }

    #[test]
    fn event_id_differs_for_identical_content_in_other_records() {
        let a = WireId { connection: "abc".into(), record: 1 }.event_id(0);
        let b = WireId { connection: "abc".into(), record: 2 }.event_id(0);
        assert_ne!(a, b);
    }

    #[test]
    fn write_json_is_cloudevents_structured() {
        let json: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["id"], "c1:7:2");
        assert_eq!(json["type"], "racing.redmist.car.patched.v1");
        assert_eq!(json["time"], "2026-11-22T10:00:00.5Z");
        assert_eq!(json["partitionkey"], "42/7");
        assert_eq!(json["data"]["number"], "7");
        assert_eq!(json["datacontenttype"], "application/json");
    }

    /// The reference: what serde_json writes for the same envelope.
    fn reference_json(e: &Event) -> Vec<u8> {
        use time::format_description::well_known::Rfc3339;
        #[derive(serde::Serialize)]
        struct Envelope<'a> {
            specversion: &'static str,
            id: &'a str,
            source: &'a str,
            #[serde(rename = "type")]
            kind: &'static str,
            subject: &'a str,
            time: &'a str,
            datacontenttype: &'static str,
            dataschema: &'static str,
            partitionkey: &'a str,
            data: &'a RawValue,
        }
        let time = e.time.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap();
        serde_json::to_vec(&Envelope {
            specversion: "1.0",
            id: &e.id,
            source: &e.source,
            kind: e.kind.as_str(),
            subject: &e.subject,
            time: &time,
            datacontenttype: "application/json",
            dataschema: e.kind.schema_uri(),
            partitionkey: &e.partition_key,
            data: &e.data,
        })
        .unwrap()
    }

    #[test]
    fn write_json_matches_serde_json_byte_for_byte() {
        let times = [
            time::macros::datetime!(2026-11-22 10:00:00 UTC),
            time::macros::datetime!(2026-01-02 03:04:05.000000001 UTC),
            time::macros::datetime!(0999-12-31 23:59:59.123456789 UTC),
            time::macros::datetime!(2026-11-22 10:00:00.25 +02:00),
        ];
        let odd = ["plain", "quote\"s", "back\\slash", "tab\tnew\nline", "ctl\u{1}", "ünï ✓", ""];
        for (i, time) in times.into_iter().enumerate() {
            for text in odd {
                let mut e = sample();
                e.time = time;
                e.subject = format!("events/{text}");
                e.partition_key = text.to_string();
                e.id = format!("{text}:{i}");
                e.source = format!("http://h/{text}").into();
                assert_eq!(
                    String::from_utf8(e.to_json()).unwrap(),
                    String::from_utf8(reference_json(&e)).unwrap()
                );
            }
        }
    }

    #[test]
    fn every_type_has_versioned_name_and_schema() {
        for kind in EventType::ALL {
            let name = kind.as_str();
            assert!(name.rsplit('.').next().unwrap().starts_with('v'), "{name}");
            assert!(kind.schema_uri().ends_with(name));
        }
    }
}
