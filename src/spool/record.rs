//! One spooled event on disk, and how a segment's bytes split into records. Pure: no I/O.
//!
//! A record is `[payload length: u32 LE][CRC-32 of the payload: u32 LE][payload]`; the payload
//! is `[hub name length: u16 LE][hub name][the CloudEvents JSON envelope]`, so an event comes
//! back with the id, time and data it was read with. A length or checksum that does not hold
//! marks where the good records end.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::event::{Event, EventType};

/// Bytes before each payload.
pub const HEADER: usize = 8;
/// The largest payload accepted; a length above it is corruption, not a record.
pub const MAX_PAYLOAD: usize = 64 * 1024 * 1024;

/// Why bytes are not a record.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("record cut short")]
    Truncated,
    #[error("record length {0} is out of range")]
    Length(usize),
    #[error("record checksum does not match")]
    Checksum,
    #[error("record does not hold an event: {0}")]
    Payload(String),
}

/// Appends `event`'s record to `out`.
pub fn encode(event: &Event, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    let hub = event.hub.as_bytes();
    // Hub names come from the config; one longer than 64 KiB is cut rather than refused.
    let hub = &hub[..hub.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(hub.len() as u16).to_le_bytes());
    out.extend_from_slice(hub);
    event.write_json(out);
    let payload = &out[start + HEADER..];
    let (len, crc) = (payload.len() as u32, crc32fast::hash(payload));
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// The payload of the record at the start of `bytes`, checked, and the record's whole length.
pub fn split(bytes: &[u8]) -> Result<(&[u8], usize), RecordError> {
    if bytes.len() < HEADER {
        return Err(RecordError::Truncated);
    }
    let len = u32::from_le_bytes(bytes[0..4].try_into().unwrap_or_default()) as usize;
    if !(2..=MAX_PAYLOAD).contains(&len) {
        return Err(RecordError::Length(len));
    }
    let Some(payload) = bytes.get(HEADER..HEADER + len) else {
        return Err(RecordError::Truncated);
    };
    let crc = u32::from_le_bytes(bytes[4..8].try_into().unwrap_or_default());
    if crc32fast::hash(payload) != crc {
        return Err(RecordError::Checksum);
    }
    Ok((payload, HEADER + len))
}

/// The envelope fields an event is rebuilt from.
#[derive(Deserialize)]
struct Envelope<'a> {
    id: String,
    #[serde(borrow)]
    source: &'a str,
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    subject: String,
    #[serde(borrow)]
    time: &'a str,
    partitionkey: String,
    data: Box<RawValue>,
}

/// Rebuilds the event from a checked payload.
pub fn decode(payload: &[u8]) -> Result<Event, RecordError> {
    let bad = |why: &str| RecordError::Payload(why.to_owned());
    let Some(&[lo, hi]) = payload.get(..2) else { return Err(bad("hub name cut short")) };
    let hub_len = u16::from_le_bytes([lo, hi]) as usize;
    let hub = payload.get(2..2 + hub_len).ok_or_else(|| bad("hub name cut short"))?;
    let hub = std::str::from_utf8(hub).map_err(|_| bad("hub name is not UTF-8"))?;
    let envelope: Envelope<'_> = serde_json::from_slice(&payload[2 + hub_len..])
        .map_err(|e| RecordError::Payload(e.to_string()))?;
    let kind = EventType::from_type(envelope.kind).ok_or_else(|| bad("unknown event type"))?;
    // In UTC, as events are written: an offset that pushes the time past year 9999 in UTC
    // would make writing the event panic later.
    let time = OffsetDateTime::parse(envelope.time, &Rfc3339)
        .ok()
        .and_then(|t| t.checked_to_offset(UtcOffset::UTC))
        .ok_or_else(|| bad("bad time"))?;
    Ok(Event {
        id: envelope.id,
        source: Arc::from(envelope.source),
        hub: Arc::from(hub),
        kind,
        subject: envelope.subject,
        time,
        partition_key: envelope.partitionkey,
        data: envelope.data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn event(n: u64) -> Event {
        Event {
            id: format!("conn:{n}"),
            source: Arc::from("http://127.0.0.1/hub"),
            hub: Arc::from("hpc"),
            kind: EventType::HpcJobStateChanged,
            subject: format!("jobs/{n}"),
            time: time::macros::datetime!(2026-11-30 12:00:00.25 UTC),
            partition_key: "job \"7\"".into(),
            data: RawValue::from_string(format!(r#"{{"n":{n},"s":"ü\n"}}"#)).unwrap(),
        }
    }

    #[test]
    fn an_event_round_trips_with_every_field() {
        let mut bytes = Vec::new();
        encode(&event(1), &mut bytes);
        encode(&event(2), &mut bytes);
        let (payload, used) = split(&bytes).unwrap();
        let back = decode(payload).unwrap();
        assert_eq!(back.to_json(), event(1).to_json());
        assert_eq!(&*back.hub, "hpc");
        let (payload, rest) = split(&bytes[used..]).unwrap();
        assert_eq!(decode(payload).unwrap().id, "conn:2");
        assert_eq!(used + rest, bytes.len());
    }

    #[test]
    fn every_cut_and_every_flipped_byte_is_detected() {
        let mut bytes = Vec::new();
        encode(&event(1), &mut bytes);
        for cut in 0..bytes.len() {
            assert!(split(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(split(&bad).is_err(), "flip at {i}");
        }
    }

    /// The payload of `event(1)` with its time replaced.
    fn payload_with_time(time: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode(&event(1), &mut bytes);
        let text = String::from_utf8(bytes[HEADER..].to_vec()).unwrap();
        text.replace("2026-11-30T12:00:00.25Z", time).into_bytes()
    }

    #[test]
    fn a_time_that_leaves_the_calendar_in_utc_is_refused() {
        // Found by reading while writing the spool fuzz target: the year-9999 time with a
        // negative offset decoded, and writing the event then panicked converting it to UTC.
        let late = payload_with_time("9999-12-31T23:59:59-01:00");
        assert_eq!(decode(&late).map(|e| e.id), Err(RecordError::Payload("bad time".into())));
        let offset = decode(&payload_with_time("2026-11-30T13:00:00+01:00")).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&offset.to_json()).unwrap();
        assert_eq!(json["time"], "2026-11-30T12:00:00Z");
    }

    #[test]
    fn a_huge_length_is_corruption_not_an_allocation() {
        let mut bytes = vec![0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0];
        bytes.extend_from_slice(b"xx");
        assert_eq!(split(&bytes), Err(RecordError::Length(0x7fff_ffff)));
    }
}
