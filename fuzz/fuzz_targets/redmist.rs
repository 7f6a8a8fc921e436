//! The RedMist profile: every hub target it knows (car and session patches, reset, control
//! logs, in-car updates, the legacy `ReceiveMessage` as JSON and as base64 of gzip) and the REST
//! snapshot.
//!
//! Input: `target\narguments`. `target` is a hub method name (any case, unknown ones included)
//! or one of three modes: `ReceiveMessage+gzip` gzips and base64-encodes `arguments` into the
//! legacy string, so the payload decoder behind the gzip layer is explored;
//! `ReceiveMessage+base64` base64-encodes `arguments` as they are (arbitrary gzip streams);
//! `snapshot` passes them as the snapshot body. Invariants: no panic; on error nothing is added
//! to the output (earlier events stay), and the error has a metric reason; on success every
//! event is valid CloudEvents JSON with unique ids, and a known target makes `events/…`
//! subjects.
#![no_main]

use std::io::Write;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use signalr_bridge::profile::{Normalized, Profile, SnapshotRequest};
use signalr_bridge_fuzz::{check_events, context, hub_config};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some((target, arguments)) = text.split_once('\n') else { return };
    // One event configured, and two: anonymous messages are keyed differently.
    let events = if target.len() % 2 == 0 { "[42]" } else { "[1, 2]" };
    let profile = Profile::from_config(&hub_config(serde_json::json!({
        "name": "rm",
        "url": "https://api.redmist.racing/status/event-status",
        "profile": "redmist",
        "redmist": { "event_ids": serde_json::from_str::<serde_json::Value>(events).unwrap() },
    })));
    let ctx = context();
    let earlier = signalr_bridge_fuzz::earlier_event(&ctx);
    let mut out = vec![earlier.clone()];

    if target == "snapshot" {
        let request = SnapshotRequest {
            event_id: 42,
            url: url::Url::parse("https://api.redmist.racing/x?eventId=42").expect("valid"),
        };
        match profile.normalize_snapshot(&ctx, &request, arguments.as_bytes(), &mut out) {
            Ok(()) => assert_eq!(out.len(), 2),
            Err(error) => {
                assert!(!error.reason().is_empty());
                assert_eq!(out.len(), 1);
            }
        }
        check_events(&out);
        return;
    }

    let (target, legacy) = match target {
        "ReceiveMessage+gzip" => ("ReceiveMessage", Some(gzip_base64(arguments.as_bytes()))),
        "ReceiveMessage+base64" => ("ReceiveMessage", Some(base64(arguments.as_bytes()))),
        _ => (target, None),
    };
    let arguments = match legacy {
        Some(string) => serde_json::to_string(&[string]).expect("a string array serializes"),
        None => arguments.to_owned(),
    };
    // The dialects hand the profile only a valid JSON value as the arguments.
    let Ok(arguments) = RawValue::from_string(arguments) else { return };

    match profile.normalize(&ctx, target, &arguments, &mut out) {
        Ok(outcome) => {
            assert_eq!(out[0].id, earlier.id, "earlier events are kept");
            if outcome == Normalized::Known || outcome == Normalized::RefreshSnapshots {
                assert!(out[1..].iter().all(|e| e.subject.starts_with("events")));
            } else {
                assert_eq!(outcome, Normalized::UnknownTarget);
                assert_eq!(out.len(), 2, "an unknown target is one generic event");
            }
        }
        Err(error) => {
            assert!(!error.reason().is_empty());
            assert_eq!(out.len(), 1, "nothing is kept from an invocation that fails: {error}");
        }
    }
    check_events(&out[1..]);
});

fn gzip_base64(data: &[u8]) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("writing to a Vec");
    base64(&gz.finish().expect("writing to a Vec"))
}

fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}
