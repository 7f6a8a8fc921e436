//! RedMist over the MessagePack hub protocol: positional arrays decode by index into the same
//! events as the JSON path, whatever the array's length.

use serde_json::{json, Value};
use signalr_proto::core::{msgpack, HubMessage};

use super::tests::{ctx, data};
use super::*;

/// Normalizes `[1, {}, nil, target, arguments, []]` with `arguments` given as JSON (arrays stay
/// arrays: that is how positional objects look).
fn run(target: &str, arguments: Value) -> Result<Vec<Event>, DecodeError> {
    let body = msgpack::server_invocation(target, &msgpack::json_value(&arguments));
    let Ok(HubMessage::Invocation { arguments, .. }) = msgpack::parse_record(&body) else {
        panic!("not an invocation")
    };
    let rm = RedMist::from_config(
        &serde_json::from_value(json!({
            "name": "rm", "url": "https://api.redmist.racing/status/event-status",
            "profile": "redmist", "redmist": {"event_ids": [42]},
        }))
        .unwrap(),
    );
    let mut out = Vec::new();
    rm.normalize(&ctx(), target, arguments, &mut out).map(|_| out)
}

/// A positional car of `len` items: number at 2, overall position at 20, nil elsewhere.
fn car(len: usize) -> Value {
    let mut items = vec![Value::Null; len];
    items[2] = json!("7");
    items[20] = json!(3);
    if len > 69 {
        items[68] = json!({"future": [1, 2]});
        items[69] = json!([true]);
    }
    Value::Array(items)
}

#[test]
fn car_patches_decode_by_index_whatever_their_length() {
    for len in [21, 68, 70] {
        let events = run("ReceiveCarPatches", json!([[car(len)]])).unwrap();
        assert_eq!(events.len(), 1, "{len}");
        assert_eq!(data(&events[0]), json!({"number": "7", "overallPosition": 3}), "{len}");
        assert_eq!(events[0].subject, "events/42/cars/7");
    }
}

#[test]
fn session_patch_decodes_by_index() {
    let mut items = vec![Value::Null; 16];
    (items[0], items[4], items[15]) = (json!(42), json!(37), json!(2));
    let events = run("ReceiveSessionPatch", json!([items])).unwrap();
    let expected = json!({"eventId": 42, "lapsToGo": 37, "currentFlag": 2});
    assert_eq!(data(&events[0]), expected);
}

#[test]
fn wrong_shapes_are_decode_errors() {
    // The car number (index 2) is required.
    let error = run("ReceiveCarPatches", json!([[[null, null]]])).unwrap_err();
    assert_eq!(error.reason(), "argument_type");
    let error = run("ReceiveCarPatches", json!([[car(21)], 1])).unwrap_err();
    assert_eq!(error.reason(), "argument_count");
    let error = run("ReceiveSessionPatch", json!([[42, 7, "not a number"]])).unwrap_err();
    assert_eq!(error.reason(), "argument_type");
}

#[test]
fn unknown_targets_pass_through_as_json() {
    let events = run("ReceiveSomethingNew", json!([1, "x", {"a": [true]}])).unwrap();
    assert_eq!(data(&events[0])["arguments"], json!([1, "x", {"a": [true]}]));
}

#[test]
fn time_of_day_ticks_become_the_text_json_carries() {
    // 15:17:15.141 as .NET ticks at index 43 (`lapStartTime`).
    let mut items = car(44).as_array().unwrap().clone();
    items[43] = json!(550_351_410_000u64);
    let events = run("ReceiveCarPatches", json!([[items]])).unwrap();
    assert_eq!(data(&events[0])["lapStartTime"], "15:17:15.1410000");
    items[43] = json!("15:17:15.1410000");
    let events = run("ReceiveCarPatches", json!([[items]])).unwrap();
    assert_eq!(data(&events[0])["lapStartTime"], "15:17:15.1410000");
    items[43] = json!(864_000_000_000u64);
    assert!(run("ReceiveCarPatches", json!([[items]])).is_err(), "a day is out of range");
}
