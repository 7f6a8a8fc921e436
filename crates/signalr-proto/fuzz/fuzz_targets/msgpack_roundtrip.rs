//! The MessagePack encoders against the decoder: a client Invocation built from arbitrary JSON
//! arguments (as subscriptions are configured), and the no-result Completion, must decode back
//! to exactly what was encoded, with each argument converting back to the same JSON.
//!
//! Input: `target\ninvocation id\nJSON array of arguments`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use signalr_proto::core::{msgpack, Arguments, HubMessage};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\n');
    let (Some(target), Some(id), Some(args)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let Ok(args) = serde_json::from_str::<Vec<Value>>(args) else { return };
    let number = id.parse::<u64>().unwrap_or(id.len() as u64);

    let body = one_record(&msgpack::invocation(number, target, &args));
    let message = msgpack::parse_record(&body).expect("an encoded invocation decodes");
    let HubMessage::Invocation { invocation_id, target: t, arguments } = &message else {
        panic!("an encoded invocation decoded as {message:?}");
    };
    let Arguments::MsgPack(arguments) = arguments else { panic!("MessagePack arguments") };
    assert_eq!(invocation_id.as_deref(), Some(number.to_string().as_str()));
    assert_eq!(t, target);
    assert_eq!(arguments.len(), args.len());
    for (raw, original) in arguments.iter().zip(&args) {
        let back = msgpack::to_json(raw).expect("an encoded argument converts");
        assert!(same(&back, original), "{original} came back as {back}");
    }

    let body = one_record(&msgpack::no_result_completion(id));
    match msgpack::parse_record(&body) {
        Ok(HubMessage::Completion { invocation_id, result: Err(_) }) => {
            assert_eq!(invocation_id, id)
        }
        other => panic!("an encoded completion decoded as {other:?}"),
    }
});

/// The single record an encoder produced, prefix checked and removed.
fn one_record(framed: &[u8]) -> Vec<u8> {
    let mut pending = Vec::new();
    let mut out = Vec::new();
    msgpack::split_records(&mut pending, framed, |r| out.push(r.to_vec())).expect("framing");
    assert!(pending.is_empty(), "nothing left over");
    assert_eq!(out.len(), 1);
    out.pop().unwrap_or_default()
}

/// JSON equality, numbers by value: MessagePack has one integer family, so `1.0` may not come
/// back as written only if it was a float, and floats must come back bit for bit.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64()) {
            (Some(i), Some(j), _) => i == j,
            (_, _, Some(u)) => y.as_u64() == Some(u),
            _ => x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
