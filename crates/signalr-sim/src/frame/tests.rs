//! Byte-level tests of the simulator's framing against protocols.md §7 vectors.

use super::*;

#[test]
fn drain_records_splits_several_records_in_one_frame() {
    let mut buf = RecordBuffer::default();
    buf.push("{\"type\":6}\u{1e}{\"type\":99}\u{1e}");
    assert_eq!(buf.drain_records(), vec!["{\"type\":6}", "{\"type\":99}"]);
    assert_eq!(buf.pending_len(), 0);
}

#[test]
fn drain_records_keeps_partial_record_across_frames() {
    let mut buf = RecordBuffer::default();
    buf.push("{\"type\":1,\"target\":\"Sub");
    assert!(buf.drain_records().is_empty());
    buf.push("scribeToEventV2\",\"arguments\":[1]}\u{1e}{\"ty");
    assert_eq!(
        buf.drain_records(),
        vec!["{\"type\":1,\"target\":\"SubscribeToEventV2\",\"arguments\":[1]}"]
    );
    assert_eq!(buf.pending_len(), "{\"ty".len());
    buf.push("pe\":6}\u{1e}");
    assert_eq!(buf.drain_records(), vec!["{\"type\":6}"]);
}

#[test]
fn check_handshake_accepts_json_v1_vector_1_and_v2() {
    assert_eq!(check_handshake("{\"protocol\":\"json\",\"version\":1}"), Ok(HubProtocol::Json));
    assert_eq!(check_handshake("{\"protocol\":\"json\",\"version\":2}"), Ok(HubProtocol::Json));
}

#[test]
fn check_handshake_accepts_messagepack_and_refuses_others_with_spec_text() {
    assert_eq!(
        check_handshake("{\"protocol\":\"messagepack\",\"version\":1}"),
        Ok(HubProtocol::MessagePack)
    );
    assert_eq!(
        check_handshake("{\"protocol\":\"bson\",\"version\":1}"),
        Err("Requested protocol 'bson' is not available.".into())
    );
    assert_eq!(
        handshake_error("Requested protocol 'bson' is not available."),
        "{\"error\":\"Requested protocol 'bson' is not available.\"}\u{1e}"
    );
}

#[test]
fn check_handshake_refuses_unknown_version_and_garbage() {
    // Lower versions pass, as on ASP.NET Core (signalrcore sends 0).
    assert_eq!(check_handshake("{\"protocol\":\"json\",\"version\":0}"), Ok(HubProtocol::Json));
    assert_eq!(
        check_handshake("{\"protocol\":\"json\",\"version\":3}"),
        Err("The server does not support version 3 of the 'json' protocol.".into())
    );
    assert_eq!(
        check_handshake("{\"protocol\":\"json\"}"),
        Err("An unexpected error occurred during connection handshake.".into())
    );
}

#[test]
fn parse_record_reads_client_invocation_vector_6() {
    let rec =
        "{\"type\":1,\"invocationId\":\"0\",\"target\":\"SubscribeToEventV2\",\"arguments\":[123]}";
    match parse_record(rec).unwrap() {
        ClientMessage::Invocation { invocation_id, target, arguments } => {
            assert_eq!(invocation_id.as_deref(), Some("0"));
            assert_eq!(target, "SubscribeToEventV2");
            assert_eq!(arguments.len(), 1);
            assert_eq!(arguments[0].get(), "123");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn parse_record_reads_non_blocking_invocation_with_headers_vector_13() {
    let rec = "{\"type\":1,\"headers\":{\"Foo\":\"Bar\"},\"target\":\"Send\",\"arguments\":[42,\"Test Message\"]}";
    match parse_record(rec).unwrap() {
        ClientMessage::Invocation { invocation_id: None, arguments, .. } => {
            assert_eq!(arguments.len(), 2)
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn parse_record_reads_ping_close_and_ignores_unknown() {
    assert!(matches!(parse_record("{\"type\":6}"), Ok(ClientMessage::Ping)));
    assert!(matches!(parse_record("{\"type\":7,\"error\":\"x\"}"), Ok(ClientMessage::Close)));
    assert!(matches!(parse_record("{\"type\":99}"), Ok(ClientMessage::Ignored(99))));
    // Vector 12: what a stateful client sends.
    assert!(matches!(
        parse_record("{\"type\":8,\"sequenceId\":1394}"),
        Ok(ClientMessage::Ack(1394))
    ));
    assert!(matches!(
        parse_record("{\"type\":9,\"sequenceId\":1234}"),
        Ok(ClientMessage::Sequence(1234))
    ));
    assert!(parse_record("{\"type\":9}").is_err(), "a Sequence needs its id");
    assert_eq!(parse_record("{\"type\":3,\"invocationId\":\"1\"}").unwrap().kind(), 3);
    assert_eq!(handshake_version("{\"protocol\":\"json\",\"version\":2}"), 2);
}

#[test]
fn parse_record_rejects_malformed_records() {
    assert!(parse_record("{\"type\":1,\"target\":\"X\"}").is_err());
    assert!(parse_record("{\"target\":\"X\",\"arguments\":[]}").is_err());
    assert!(parse_record("not json").is_err());
    assert!(parse_record("").is_err());
    assert!(parse_record("{\"type\":1,\"target\":\"X\",\"arguments\":5}").is_err());
}

#[test]
fn server_records_match_spec_bytes() {
    assert_eq!(completion_ok("0"), "{\"type\":3,\"invocationId\":\"0\",\"result\":null}\u{1e}");
    assert_eq!(
        completion_error("123", "It didn't work!"),
        "{\"type\":3,\"invocationId\":\"123\",\"error\":\"It didn't work!\"}\u{1e}"
    );
    assert_eq!(close_record(None, false), "{\"type\":7}\u{1e}");
    assert_eq!(
        close_record(Some("Connection closed with an error!"), true),
        "{\"type\":7,\"error\":\"Connection closed with an error!\",\"allowReconnect\":true}\u{1e}"
    );
    assert_eq!(
        invocation_record("ReceiveReset", "[]"),
        "{\"type\":1,\"target\":\"ReceiveReset\",\"arguments\":[]}\u{1e}"
    );
    assert_eq!(PING.as_bytes(), b"{\"type\":6}\x1e");
}
