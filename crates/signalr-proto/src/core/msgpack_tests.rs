//! Tests for the MessagePack hub protocol, including the test vectors of protocols.md §7
//! (15-24), byte for byte.

use serde_json::json;

use super::*;

/// Bytes from the space-separated hex the vectors are written in.
fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

/// Feeds the frames in order and collects every complete record body.
fn bodies(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut pending = Vec::new();
    let mut out = Vec::new();
    for f in frames {
        split_records(&mut pending, f, |r| out.push(r.to_vec())).unwrap();
    }
    assert!(pending.is_empty(), "left over: {pending:?}");
    out
}

/// Decodes a hex body; leaked so the borrowed message can outlive the statement.
fn rec(text: &str) -> HubMessage<'static> {
    parse_record(Box::leak(hex(text).into_boxed_slice())).unwrap()
}

fn args_json(arguments: &Arguments<'_>) -> Vec<serde_json::Value> {
    arguments.iter().map(|a| to_json(a).unwrap()).collect()
}

fn invocation_parts(body: &[u8]) -> (Option<String>, String, Vec<serde_json::Value>) {
    match parse_record(body).unwrap() {
        HubMessage::Invocation { invocation_id, target, arguments: Args::MsgPack(arguments) } => {
            (invocation_id.map(|id| id.into_owned()), target.into_owned(), args_json(&arguments))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_15_invocation_with_and_without_id() {
    let with_id = hex("96 01 80 a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90");
    assert_eq!(invocation_parts(&with_id), (Some("xyz".into()), "method".into(), vec![json!(42)]));
    let no_id = hex("96 01 80 c0 a6 6d 65 74 68 6f 64 91 2a 90");
    assert_eq!(invocation_parts(&no_id), (None, "method".into(), vec![json!(42)]));
    match parse_record(&no_id).unwrap() {
        HubMessage::Invocation { arguments: Args::MsgPack(arguments), .. } => {
            assert_eq!(arguments.raw(), [0x91, 0x2a]);
            assert_eq!(arguments.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_16_invocation_headers_are_read_past() {
    let body = hex("96 01 82 a1 78 a1 79 a1 7a a1 7a a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90");
    assert_eq!(invocation_parts(&body), (Some("xyz".into()), "method".into(), vec![json!(42)]));
    // Headers must still be a string map.
    let bad = hex("96 01 81 a1 78 2a a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90");
    assert!(matches!(parse_record(&bad), Err(RecordError::MsgPack(_))));
}

#[test]
fn vector_17_completion_error() {
    let m = rec("95 03 80 a3 78 79 7a 01 a5 45 72 72 6f 72");
    assert_eq!(
        m,
        HubMessage::Completion { invocation_id: "xyz".into(), result: Err("Error".into()) }
    );
}

#[test]
fn vector_18_completion_void_and_value() {
    let void = rec("94 03 80 a3 78 79 7a 02");
    assert_eq!(void, HubMessage::Completion { invocation_id: "xyz".into(), result: Ok(None) });
    let value = rec("95 03 80 a3 78 79 7a 03 2a");
    let expected: &[u8] = &[0x2a];
    assert_eq!(
        value,
        HubMessage::Completion {
            invocation_id: "xyz".into(),
            result: Ok(Some(Argument::MsgPack(expected)))
        }
    );
}

#[test]
fn vector_19_framed_ping_decodes_and_encodes() {
    let got = bodies(&[&hex("02 91 06")]);
    assert_eq!(got, vec![vec![0x91, 0x06]]);
    assert_eq!(parse_record(&got[0]).unwrap(), HubMessage::Ping);
    assert_eq!(PING, hex("02 91 06"));
}

#[test]
fn vector_20_close_with_and_without_error() {
    let m = rec("93 07 a3 78 79 7a c3");
    assert_eq!(m, HubMessage::Close { error: Some("xyz".into()), allow_reconnect: true });
    let got = bodies(&[&hex("04 93 07 c0 c2")]);
    let m = parse_record(&got[0]).unwrap();
    assert_eq!(m, HubMessage::Close { error: None, allow_reconnect: false });
    assert_eq!(CLOSE, hex("04 93 07 c0 c2"));
}

#[test]
fn vector_21_ack_and_sequence_any_int_width() {
    assert_eq!(rec("92 08 cc 24"), HubMessage::Ack(36));
    assert_eq!(rec("92 09 cc 13"), HubMessage::Sequence(19));
    let got = bodies(&[&hex("03 92 08 24")]);
    assert_eq!(parse_record(&got[0]).unwrap(), HubMessage::Ack(36));
    // What the client writes: the smallest width, framed ("also valid" form of vector 21).
    assert_eq!(ack(36), hex("03 92 08 24"));
    assert_eq!(sequence(19), hex("03 92 09 13"));
    assert_eq!(ack(1394), hex("05 92 08 cd 05 72"));
    let got = bodies(&[&sequence(u64::from(u32::MAX) + 1)]);
    assert_eq!(parse_record(&got[0]).unwrap(), HubMessage::Sequence(1 << 32));
}

#[test]
fn vector_22_varints_and_stream() {
    assert_eq!(read_length(&hex("35")), Ok(Some((53, 1))));
    assert_eq!(read_length(&hex("80 29")), Ok(Some((5248, 2))));
    assert_eq!(read_length(&hex("c8 01")), Ok(Some((200, 2))));
    assert_eq!(read_length(&hex("ff ff ff ff 07")), Ok(Some((2147483647, 5))));
    let stream = hex("0b 68 65 6c 6c 6f 0a 77 6f 72 6c 64 02 01 02");
    // The vector's bytes spell "hello\nworld" (0x68, 0x77); its prose says "Hello\nWorld".
    assert_eq!(bodies(&[&stream]), vec![b"hello\nworld".to_vec(), vec![1, 2]]);
}

#[test]
fn vector_23_receive_reset() {
    let framed = hex("13 96 01 80 c0 ac 52 65 63 65 69 76 65 52 65 73 65 74 90 90");
    let got = bodies(&[&framed]);
    assert_eq!(got.len(), 1);
    assert_eq!(invocation_parts(&got[0]), (None, "ReceiveReset".into(), vec![]));
}

#[test]
fn vector_24_client_invocation_encodes_byte_for_byte() {
    let expected =
        hex("1b 96 01 80 a1 30 b2 53 75 62 73 63 72 69 62 65 54 6f 45 76 65 6e 74 56 32 91 7b 90");
    assert_eq!(invocation(0, "SubscribeToEventV2", &[json!(123)]), expected);
    let got = bodies(&[&expected]);
    let parts = invocation_parts(&got[0]);
    assert_eq!(parts, (Some("0".into()), "SubscribeToEventV2".into(), vec![json!(123)]));
}

#[test]
fn handshake_request_is_json_with_separator() {
    assert_eq!(handshake_request(1), "{\"protocol\":\"messagepack\",\"version\":1}\u{1e}");
}

#[test]
fn handshake_response_glued_to_first_record() {
    let mut frame = b"{}\x1e".to_vec();
    frame.extend_from_slice(PING);
    let (record, rest) = split_handshake(&frame).unwrap();
    assert_eq!(record, b"{}");
    assert_eq!(rest, PING);
    assert!(split_handshake(b"{\"error\":\"x\"").is_none());
}

#[test]
fn no_result_completion_round_trips() {
    let framed = no_result_completion("7");
    let got = bodies(&[&framed]);
    let m = parse_record(&got[0]).unwrap();
    let expected = Err("Client didn't provide a result.".into());
    assert_eq!(m, HubMessage::Completion { invocation_id: "7".into(), result: expected });
    let mut expected = hex("26 95 03 80 a1 37 01 bf");
    expected.extend_from_slice(b"Client didn't provide a result.");
    assert_eq!(framed, expected);
}

#[test]
fn encoded_arguments_round_trip_through_json() {
    let args = [
        json!(null),
        json!(true),
        json!(-5),
        json!(-40000),
        json!(3.5),
        json!(u64::MAX),
        json!("s"),
        json!([1, [2]]),
        json!({"a": {"b": "c"}}),
    ];
    let framed = invocation(300, "Go", &args);
    let got = bodies(&[&framed]);
    assert_eq!(invocation_parts(&got[0]), (Some("300".into()), "Go".into(), args.to_vec()));
}

#[test]
fn split_records_across_every_frame_boundary() {
    let mut stream = hex("02 91 06");
    stream.extend(hex("13 96 01 80 c0 ac 52 65 63 65 69 76 65 52 65 73 65 74 90 90"));
    stream.extend(invocation(1, "x", &[json!("y".repeat(200))])); // two-byte prefix
    let whole = bodies(&[&stream]);
    assert_eq!(whole.len(), 3);
    for cut in 0..=stream.len() {
        assert_eq!(bodies(&[&stream[..cut], &stream[cut..]]), whole, "cut at {cut}");
    }
    let single: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(bodies(&single), whole);
}

#[test]
fn split_records_rejects_bad_and_oversized_prefixes() {
    let mut pending = Vec::new();
    let six_bytes = hex("80 80 80 80 80 01");
    assert_eq!(split_records(&mut pending, &six_bytes, |_| {}), Err(FrameError::BadPrefix));
    assert!(pending.is_empty());
    assert_eq!(read_length(&hex("ff ff ff ff 08")), Err(FrameError::BadPrefix));
    assert_eq!(read_length(&hex("ff ff")), Ok(None));
    // 16 MiB + 1, refused from the prefix alone, before any body arrives.
    let too_big = hex("81 80 80 08");
    let got = split_records(&mut pending, &too_big, |_| {});
    assert_eq!(got, Err(FrameError::TooLarge { len: MAX_RECORD_BYTES + 1 }));
    assert!(pending.is_empty());
    // A record before the bad prefix in the same frame is still delivered.
    let mut seen = 0;
    let mut frame = PING.to_vec();
    frame.extend(hex("ff ff ff ff 7f"));
    assert!(split_records(&mut pending, &frame, |_| seen += 1).is_err());
    assert_eq!(seen, 1);
}

#[test]
fn truncated_records_are_errors_not_panics() {
    let bodies = [
        hex("96 01 82 a1 78 a1 79 a1 7a a1 7a a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90"),
        hex("95 03 80 a3 78 79 7a 01 a5 45 72 72 6f 72"),
        hex("95 03 80 a3 78 79 7a 03 2a"),
        hex("93 07 a3 78 79 7a c3"),
        hex("92 08 cc 24"),
    ];
    for body in &bodies {
        assert!(parse_record(body).is_ok());
        for cut in 0..body.len() {
            assert!(parse_record(&body[..cut]).is_err(), "{body:02x?} cut at {cut}");
        }
    }
    let err = parse_record(&hex("96 01 80 c0 a1 6d dd ff ff ff ff")).unwrap_err();
    assert!(matches!(err, RecordError::MsgPack(ValueError::Truncated)), "{err:?}");
    assert_eq!(err.reason(), "msgpack");
}

#[test]
fn ints_of_every_width() {
    let cases = [
        ("92 08 24", 36),
        ("92 08 cc 24", 36),
        ("92 08 cd 01 00", 256),
        ("92 08 ce 00 01 00 00", 65536),
        ("92 08 cf 00 00 00 01 00 00 00 00", 1 << 32),
        ("92 08 d0 24", 36),
        ("92 08 d1 00 24", 36),
        ("92 08 d2 00 00 00 24", 36),
        ("92 08 d3 00 00 00 00 00 00 00 24", 36),
    ];
    for (text, expected) in cases {
        assert_eq!(rec(text), HubMessage::Ack(expected), "{text}");
    }
    assert_eq!(rec("92 cd 00 09 05"), HubMessage::Sequence(5));
    let negative = parse_record(&hex("92 08 ff")).unwrap_err();
    assert!(matches!(negative, RecordError::MsgPack(ValueError::OutOfRange)), "{negative:?}");
}

#[test]
fn five_item_invocation_and_empty_id() {
    let five = hex("95 01 80 a0 a6 6d 65 74 68 6f 64 92 2a c0");
    assert_eq!(invocation_parts(&five), (None, "method".into(), vec![json!(42), json!(null)]));
    let extra_items = hex("97 01 80 a1 31 a1 6d 90 90 c3");
    assert_eq!(invocation_parts(&extra_items), (Some("1".into()), "m".into(), vec![]));
}

#[test]
fn malformed_records() {
    let err = |text: &str| parse_record(&hex(text)).unwrap_err();
    assert!(matches!(err("94 01 80 c0 a1 6d"), RecordError::TooFewItems { kind: 1, items: 4 }));
    assert!(matches!(
        err("94 03 80 a3 78 79 7a 01"),
        RecordError::TooFewItems { kind: 3, items: 4 }
    ));
    assert!(matches!(
        err("94 03 80 a3 78 79 7a 03"),
        RecordError::TooFewItems { kind: 3, items: 4 }
    ));
    assert!(matches!(err("95 03 80 a3 78 79 7a 04 c0"), RecordError::ResultKind(4)));
    assert!(matches!(err("90"), RecordError::TooFewItems { kind: 0, items: 0 }));
    assert!(matches!(err("91 08"), RecordError::TooFewItems { kind: 8, items: 1 }));
    assert!(matches!(err("81 01 02"), RecordError::MsgPack(ValueError::Unexpected { .. })));
    assert!(matches!(
        err("96 01 80 c0 2a 90 90"),
        RecordError::MsgPack(ValueError::Unexpected { .. })
    ));
    assert!(matches!(err("96 01 80 c0 a2 ff fe 90 90"), RecordError::MsgPack(ValueError::Utf8)));
    assert!(parse_record(&[]).is_err());
}

#[test]
fn other_message_types() {
    assert_eq!(rec("91 63"), HubMessage::Unknown(99));
    assert_eq!(rec("93 cc 63 01 02"), HubMessage::Unknown(99));
    assert_eq!(rec("92 07 c0"), HubMessage::Close { error: None, allow_reconnect: false });
    assert_eq!(rec("94 02 80 a1 35 2a"), HubMessage::StreamItem { invocation_id: "5".into() });
    assert_eq!(rec("93 06 80 c0"), HubMessage::Ping);
}
