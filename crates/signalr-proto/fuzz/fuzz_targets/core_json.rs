//! ASP.NET Core JSON hub protocol: WebSocket text cut into `0x1E` records across frames, each
//! record decoded, and the first also read as a handshake answer.
//!
//! Input: one byte picking the frame size, then the text (invalid UTF-8 replaced, as a text
//! frame cannot carry it). Invariants: no panic; however the text is cut into frames the same
//! records come out; no record is empty or holds a separator; every decoded message holds what
//! the protocol promises (an Invocation's arguments are an array, a Completion never has both
//! a result and an error); every error has a metric reason; the client's encoders round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signalr_proto::core::json::{self, RS};
use signalr_proto::core::{Argument, Arguments, HubMessage};
use signalr_proto_fuzz::text_pieces;

fuzz_target!(|data: &[u8]| {
    let Some((&size, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);

    let whole = records(&[&text]);
    let framed = records(&text_pieces(&text, size));
    assert_eq!(whole, framed, "records depend on where frames end");

    if let Some(first) = whole.first() {
        let _ = json::parse_handshake_response(first);
    }
    for record in &whole {
        assert!(!record.is_empty() && !record.as_bytes().contains(&RS));
        match json::parse_record(record) {
            Ok(message) => check(&message),
            Err(error) => assert!(!error.reason().is_empty()),
        }
    }
});

/// Every complete record of `frames`, in order.
fn records(frames: &[&str]) -> Vec<String> {
    let mut pending = String::new();
    let mut out = Vec::new();
    for frame in frames {
        let ok = json::split_records(&mut pending, frame, |r| out.push(r.to_owned()));
        assert!(ok, "fuzz inputs are far below the pending limit");
    }
    out
}

fn check(message: &HubMessage<'_>) {
    match message {
        HubMessage::Invocation { invocation_id, target, arguments } => {
            let Arguments::Json(arguments) = arguments else { panic!("JSON gives JSON arguments") };
            assert!(arguments.get().trim_start().starts_with('['));
            assert!(invocation_id.as_ref().is_none_or(|id| !id.is_empty()));
            roundtrip(target, arguments.get());
        }
        HubMessage::Completion { result: Ok(Some(raw)), .. } => {
            let Argument::Json(raw) = raw else { panic!("JSON gives a JSON result") };
            let _: serde_json::Value = serde_json::from_str(raw.get()).expect("raw is JSON");
        }
        _ => {}
    }
}

/// What the client would send with this target and these arguments decodes to the same.
fn roundtrip(target: &str, arguments: &str) {
    let Ok(args) = serde_json::from_str::<Vec<serde_json::Value>>(arguments) else { return };
    let sent = json::invocation(42, target, &args);
    let back = records(&[&sent]);
    assert_eq!(back.len(), 1, "one encoded invocation is one record");
    match json::parse_record(&back[0]) {
        Ok(HubMessage::Invocation { invocation_id, target: t, arguments: Arguments::Json(a) }) => {
            assert_eq!(invocation_id.as_deref(), Some("42"));
            assert_eq!(t, target);
            let a: Vec<serde_json::Value> = serde_json::from_str(a.get()).expect("array");
            assert_eq!(a, args);
        }
        other => panic!("encoded invocation decoded as {other:?}"),
    }
}
