//! ASP.NET Core MessagePack hub protocol: the handshake split off the first binary data, VarInt
//! length-prefixed records cut across frames, each record decoded, every argument and result
//! converted to JSON.
//!
//! Input: one byte picking the frame size, then the bytes. Invariants: no panic; the records
//! do not depend on where frames end (until a framing error, which both ways must report
//! alike); a record is never longer than the limit; an Invocation's arguments iterate to their
//! announced count and each is one whole value; whatever `to_json` accepts, `Cursor::skip`
//! accepts too and the JSON serializes; every error has a metric reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signalr_proto::core::msgpack::value::Cursor;
use signalr_proto::core::msgpack::{self, FrameError};
use signalr_proto::core::{Argument, Arguments, HubMessage};
use signalr_proto_fuzz::pieces;

fuzz_target!(|data: &[u8]| {
    let Some((&size, rest)) = data.split_first() else { return };

    // The first data may begin with the JSON handshake answer; what follows it is records.
    let rest = match msgpack::split_handshake(rest) {
        Some((handshake, after)) if handshake.first() == Some(&b'{') => after,
        _ => rest,
    };

    let (whole, whole_end) = records(&[rest]);
    let (framed, framed_end) = records(&pieces(rest, size));
    assert_eq!(whole_end.is_err(), framed_end.is_err(), "{whole_end:?} / {framed_end:?}");
    // An error ends the stream where it is found; records before it are the same either way.
    let common = whole.len().min(framed.len());
    assert_eq!(whole[..common], framed[..common], "records depend on where frames end");
    if whole_end.is_ok() {
        assert_eq!(whole, framed);
    }

    for body in &whole {
        assert!(body.len() <= msgpack::MAX_RECORD_BYTES);
        match msgpack::parse_record(body) {
            Ok(message) => check(&message),
            Err(error) => assert!(!error.reason().is_empty()),
        }
    }
    // The value reader on the raw bytes, not only on what the envelope lets through.
    value(rest);
});

/// Every complete record of `frames`, and how the stream ended.
fn records(frames: &[&[u8]]) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
    let mut pending = Vec::new();
    let mut out = Vec::new();
    for frame in frames {
        if let Err(e) = msgpack::split_records(&mut pending, frame, |r| out.push(r.to_vec())) {
            assert!(pending.is_empty(), "pending is cleared on a framing error");
            return (out, Err(e));
        }
    }
    (out, Ok(()))
}

fn check(message: &HubMessage<'_>) {
    match message {
        HubMessage::Invocation { invocation_id, arguments, .. } => {
            assert!(invocation_id.as_ref().is_none_or(|id| !id.is_empty()));
            let Arguments::MsgPack(arguments) = arguments else { panic!("MessagePack arguments") };
            let each: Vec<&[u8]> = arguments.iter().collect();
            assert_eq!(each.len(), arguments.len(), "arguments iterate to their count");
            assert_eq!(arguments.is_empty(), each.is_empty());
            for argument in each {
                let mut cur = Cursor::new(argument);
                assert_eq!(cur.skip().expect("an argument is one whole value"), argument);
                value(argument);
            }
        }
        HubMessage::Completion { result: Ok(Some(Argument::MsgPack(raw))), .. } => value(raw),
        HubMessage::Completion { result: Ok(Some(other)), .. } => panic!("{other:?}"),
        _ => {}
    }
}

/// `to_json` and `skip` agree on what a well-formed value is.
fn value(raw: &[u8]) {
    match msgpack::to_json(raw) {
        Ok(json) => {
            Cursor::new(raw).skip().expect("what converts to JSON is a whole value");
            serde_json::to_vec(&json).expect("converted JSON serializes");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}
