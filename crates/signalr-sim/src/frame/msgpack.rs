//! The server side of the MessagePack hub protocol for the simulator: the records it writes,
//! laid out as the ASP.NET Core writer lays them out (six-item invocations with a nil id and
//! empty stream ids, three-item Close, void results as a nil value), each with its VarInt
//! length prefix. Reading client records reuses the bridge's codec. Pure.

use rmp::encode;

use signalr_proto::core::msgpack::{framed, server_invocation, PING as FRAMED_PING};

/// The server's keep-alive record, framed.
pub const PING: &[u8] = FRAMED_PING;

/// A non-blocking server-to-client Invocation: `[1, {}, nil, target, arguments, []]`, where
/// `arguments` is already a MessagePack array.
pub fn invocation_record(target: &str, arguments: &[u8]) -> Vec<u8> {
    framed(&server_invocation(target, arguments))
}

/// The Completion of a void hub method: `[3, {}, id, 3, nil]` (the server marks void results
/// as present, as its JSON `"result":null` shows).
pub fn completion_ok(invocation_id: &str) -> Vec<u8> {
    let mut body = vec![0x95, 0x03, 0x80];
    str(&mut body, invocation_id);
    body.extend_from_slice(&[0x03, 0xc0]);
    framed(&body)
}

/// The Completion carrying a hub error: `[3, {}, id, 1, error]`.
pub fn completion_error(invocation_id: &str, error: &str) -> Vec<u8> {
    let mut body = vec![0x95, 0x03, 0x80];
    str(&mut body, invocation_id);
    body.push(0x01);
    str(&mut body, error);
    framed(&body)
}

/// A Close record, always three items: `[7, error|nil, allowReconnect]`.
pub fn close_record(error: Option<&str>, allow_reconnect: bool) -> Vec<u8> {
    let mut body = vec![0x93, 0x07];
    match error {
        Some(error) => str(&mut body, error),
        None => body.push(0xc0),
    }
    body.push(if allow_reconnect { 0xc3 } else { 0xc2 });
    framed(&body)
}

fn str(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail.
    let _ = encode::write_str(out, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use signalr_proto::core::msgpack::{parse_record, split_records};
    use signalr_proto::core::{Argument, HubMessage};

    fn body(framed: &[u8]) -> Vec<u8> {
        let mut pending = Vec::new();
        let mut out = Vec::new();
        split_records(&mut pending, framed, |b| out.push(b.to_vec())).unwrap();
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    #[test]
    fn records_match_the_protocol_vectors() {
        // Vector 23: framed non-blocking ReceiveReset().
        let reset = invocation_record("ReceiveReset", &[0x90]);
        let expected = "13 96 01 80 c0 ac 52 65 63 65 69 76 65 52 65 73 65 74 90 90";
        let hex: Vec<String> = reset.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex.join(" "), expected);
        // Vector 20: the server's Close without error.
        assert_eq!(close_record(None, false), [0x04, 0x93, 0x07, 0xc0, 0xc2]);
        assert_eq!(PING, [0x02, 0x91, 0x06]);
    }

    #[test]
    fn the_bridge_codec_reads_every_record() {
        let ok = body(&completion_ok("7"));
        let msg = parse_record(&ok).unwrap();
        assert_eq!(
            msg,
            HubMessage::Completion {
                invocation_id: "7".into(),
                result: Ok(Some(Argument::MsgPack(&[0xc0][..])))
            }
        );
        let err = body(&completion_error("8", "Nope."));
        let msg = parse_record(&err).unwrap();
        assert_eq!(
            msg,
            HubMessage::Completion { invocation_id: "8".into(), result: Err("Nope.".into()) }
        );
        let close = body(&close_record(Some("Bye."), true));
        let msg = parse_record(&close).unwrap();
        assert_eq!(msg, HubMessage::Close { error: Some("Bye.".into()), allow_reconnect: true });
    }
}
