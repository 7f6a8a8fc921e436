//! The MessagePack rows of the pipeline bench: the same race's `ReceiveCarPatches`, written as
//! RedMist's MessagePack resolver writes them (positional arrays), through the bridge's
//! MessagePack path, against MessagePack limits (skip-only validation, and conversion to a
//! `serde_json::Value` tree).

use std::hint::black_box;
use std::sync::Arc;

use signalr_bridge::event::WireId;
use signalr_bridge::profile::{MessageContext, Profile};
use signalr_proto::core::msgpack::{self, value::Cursor};
use signalr_proto::core::HubMessage;
use signalr_sim::race::positional;

/// Binary frames of one framed record each, and the car patches they hold.
pub fn car_patch_frames(count: usize) -> (Vec<Vec<u8>>, usize) {
    super::car_patches(count, |inv| {
        let args = positional::arguments(inv.target, &inv.arguments).unwrap();
        msgpack::framed(&msgpack::server_invocation(inv.target, &args))
    })
}

/// The bridge's MessagePack path; returns events produced.
pub fn bridge(frames: &[Vec<u8>], profile: &Profile) -> usize {
    let connection: Arc<str> = Arc::from("bench-connection");
    let (hub, source): (Arc<str>, Arc<str>) = (Arc::from("bench"), Arc::from("http://127.0.0.1/"));
    let mut pending = Vec::new();
    let mut events = Vec::with_capacity(64);
    let mut bytes = Vec::with_capacity(4096);
    let mut record_seq = 0u64;
    let mut produced = 0;
    for frame in frames {
        let split = msgpack::split_records(&mut pending, frame, |record| {
            record_seq += 1;
            if let Ok(HubMessage::Invocation { target, arguments, .. }) =
                msgpack::parse_record(record)
            {
                let ctx = MessageContext {
                    hub: hub.clone(),
                    source: source.clone(),
                    wire: WireId { connection: connection.clone(), record: record_seq },
                    received: time::OffsetDateTime::now_utc(),
                };
                let _ = profile.normalize_args(&ctx, None, &target, arguments, &mut events);
            }
        });
        assert!(split.is_ok());
        for event in events.drain(..) {
            bytes.clear();
            event.write_json(&mut bytes);
            black_box(&bytes);
            produced += 1;
        }
    }
    produced
}

/// Validation only: every value walked and skipped, nothing built (the `IgnoredAny` analogue).
pub fn limit_skip(frames: &[Vec<u8>]) -> usize {
    for f in frames {
        black_box(Cursor::new(body(f)).skip().unwrap());
    }
    frames.len()
}

/// A full `serde_json::Value` tree per record (the `Value` analogue).
pub fn limit_value(frames: &[Vec<u8>]) -> usize {
    for f in frames {
        black_box(msgpack::to_json(body(f)).unwrap());
    }
    frames.len()
}

/// The record body after its length prefix.
fn body(frame: &[u8]) -> &[u8] {
    let (_, prefix) = msgpack::read_length(frame).unwrap().unwrap();
    &frame[prefix..]
}
