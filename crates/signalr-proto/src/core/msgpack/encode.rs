//! Encoders for the records the client sends under the MessagePack hub protocol, each returned
//! with its VarInt length prefix, ready for one binary WebSocket message. The handshake request
//! is the one exception: JSON text, as the protocol asks.

use std::convert::Infallible;

use rmp::encode::{self, ByteBuf, ValueWriteError};
use serde_json::Value;

/// `[6]`, framed.
pub const PING: &[u8] = &[0x02, 0x91, 0x06];

/// `[7, nil, false]`, framed: the three items the .NET writer always emits.
pub const CLOSE: &[u8] = &[0x04, 0x93, 0x07, 0xc0, 0xc2];

/// `{"protocol":"messagepack","version":N}` + `0x1E`.
pub fn handshake_request(version: u32) -> String {
    format!("{{\"protocol\":\"messagepack\",\"version\":{version}}}\u{1e}")
}

/// A client Invocation with an id, so the server answers with a Completion:
/// `[1, {}, "id", target, [arguments], []]` (six items: some readers require the stream ids).
pub fn invocation(id: u64, target: &str, arguments: &[Value]) -> Vec<u8> {
    let mut body = ByteBuf::new();
    ok(encode::write_array_len(&mut body, 6));
    fine(encode::write_pfix(&mut body, 1));
    ok(encode::write_map_len(&mut body, 0));
    ok(encode::write_str(&mut body, &id.to_string()));
    ok(encode::write_str(&mut body, target));
    ok(encode::write_array_len(&mut body, len_u32(arguments.len())));
    for argument in arguments {
        write_json(&mut body, argument);
    }
    ok(encode::write_array_len(&mut body, 0));
    framed(body.as_slice())
}

/// The Completion official clients send for a server invocation they have no handler for:
/// `[3, {}, id, 1, "Client didn't provide a result."]`.
pub fn no_result_completion(invocation_id: &str) -> Vec<u8> {
    let mut body = ByteBuf::new();
    ok(encode::write_array_len(&mut body, 5));
    fine(encode::write_pfix(&mut body, 3));
    ok(encode::write_map_len(&mut body, 0));
    ok(encode::write_str(&mut body, invocation_id));
    fine(encode::write_pfix(&mut body, 1));
    ok(encode::write_str(&mut body, "Client didn't provide a result."));
    framed(body.as_slice())
}

/// Ack (stateful reconnect): `[8, sequenceId]`, framed, the id in its smallest width.
pub fn ack(sequence_id: u64) -> Vec<u8> {
    numbered(8, sequence_id)
}

/// Sequence (stateful reconnect): `[9, sequenceId]`, framed.
pub fn sequence(sequence_id: u64) -> Vec<u8> {
    numbered(9, sequence_id)
}

fn numbered(kind: u8, sequence_id: u64) -> Vec<u8> {
    let mut body = ByteBuf::new();
    ok(encode::write_array_len(&mut body, 2));
    fine(encode::write_pfix(&mut body, kind));
    ok(encode::write_uint(&mut body, sequence_id));
    framed(body.as_slice())
}

/// A server's non-blocking Invocation, unframed: `[1, {}, nil, target, arguments, []]` as the
/// ASP.NET Core writer lays it out, where `arguments` is already a MessagePack array.
pub fn server_invocation(target: &str, arguments: &[u8]) -> Vec<u8> {
    let mut body = vec![0x96, 0x01, 0x80, 0xc0];
    body.extend(json_value(&Value::from(target)));
    body.extend_from_slice(arguments);
    body.push(0x90);
    body
}

/// One JSON value as MessagePack (unframed), e.g. a whole arguments array.
pub fn json_value(value: &Value) -> Vec<u8> {
    let mut out = ByteBuf::new();
    write_json(&mut out, value);
    out.into_vec()
}

/// Writes a JSON value (from config: subscription arguments) as MessagePack, integers in their
/// smallest width as the .NET writer does.
fn write_json(out: &mut ByteBuf, value: &Value) {
    match value {
        Value::Null => fine(encode::write_nil(out)),
        Value::Bool(b) => fine(encode::write_bool(out, *b)),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => drop(ok(encode::write_uint(out, u))),
            (None, Some(i)) => drop(ok(encode::write_sint(out, i))),
            (None, None) => ok(encode::write_f64(out, n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => ok(encode::write_str(out, s)),
        Value::Array(items) => {
            ok(encode::write_array_len(out, len_u32(items.len())));
            items.iter().for_each(|item| write_json(out, item));
        }
        Value::Object(map) => {
            ok(encode::write_map_len(out, len_u32(map.len())));
            for (key, item) in map {
                ok(encode::write_str(out, key));
                write_json(out, item);
            }
        }
    }
}

/// Prefixes a body with its VarInt length.
pub fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    let mut len = body.len();
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(body);
    out
}

/// Client-built arrays and maps are small; saturating keeps this total without a panic path.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Writing into a `ByteBuf` cannot fail (its error type is `Infallible`).
fn ok<T>(result: Result<T, ValueWriteError<Infallible>>) -> T {
    match result {
        Ok(value) => value,
        Err(
            ValueWriteError::InvalidMarkerWrite(never) | ValueWriteError::InvalidDataWrite(never),
        ) => match never {},
    }
}

/// The same for the writers that report a bare `Infallible`.
fn fine<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}
