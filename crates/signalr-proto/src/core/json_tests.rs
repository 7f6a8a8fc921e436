//! Tests for the JSON hub protocol, including the test vectors of protocols.md §7 (1-14).

use super::*;

fn records(frames: &[&str]) -> Vec<String> {
    let mut pending = String::new();
    let mut out = Vec::new();
    for f in frames {
        assert!(split_records(&mut pending, f, |r| out.push(r.to_string())));
    }
    out
}

#[test]
fn vector_1_handshake_request_bytes() {
    let expected = [
        0x7b, 0x22, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x63, 0x6f, 0x6c, 0x22, 0x3a, 0x22, 0x6a, 0x73,
        0x6f, 0x6e, 0x22, 0x2c, 0x22, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x31,
        0x7d, 0x1e,
    ];
    assert_eq!(handshake_request(1).as_bytes(), expected);
}

#[test]
fn vector_2_and_3_handshake_responses() {
    assert_eq!(parse_handshake_response("{}"), Ok(()));
    let refused = r#"{"error":"Requested protocol 'messagepack' is not available."}"#;
    assert_eq!(
        parse_handshake_response(refused),
        Err(HandshakeError::Refused("Requested protocol 'messagepack' is not available.".into()))
    );
    assert_eq!(parse_handshake_response(r#"{"type":6}"#), Err(HandshakeError::NotAHandshake));
    assert_eq!(parse_handshake_response("nope"), Err(HandshakeError::Malformed));
}

#[test]
fn vector_4_handshake_glued_to_first_record() {
    let got = records(&["{}\u{1e}{\"type\":1,\"target\":\"ReceiveReset\",\"arguments\":[]}\u{1e}"]);
    assert_eq!(got.len(), 2);
    assert_eq!(parse_handshake_response(&got[0]), Ok(()));
    match parse_record(&got[1]).unwrap() {
        HubMessage::Invocation {
            invocation_id: None,
            target,
            arguments: Arguments::Json(args),
        } => {
            assert_eq!(target, "ReceiveReset");
            assert_eq!(args.get(), "[]");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_5_and_13_non_blocking_invocation_with_headers() {
    let m = parse_record(r#"{"type":1,"target":"Send","arguments":[42,"Test Message"]}"#).unwrap();
    assert!(
        matches!(m, HubMessage::Invocation { invocation_id: None, ref target, .. } if target == "Send")
    );
    let m = parse_record(
        r#"{"type":1,"headers":{"Foo":"Bar"},"invocationId":"123","target":"Send","arguments":[42,"Test Message"]}"#,
    )
    .unwrap();
    match m {
        HubMessage::Invocation { invocation_id, arguments: Arguments::Json(args), .. } => {
            assert_eq!(invocation_id.as_deref(), Some("123"));
            assert_eq!(args.get(), r#"[42,"Test Message"]"#);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_6_client_invocation_encoding() {
    let text = invocation(0, "SubscribeToEventV2", &[serde_json::json!(123)]);
    assert!(text.ends_with('\u{1e}'));
    let v: serde_json::Value = serde_json::from_str(text.trim_end_matches('\u{1e}')).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"type":1,"invocationId":"0","target":"SubscribeToEventV2","arguments":[123]})
    );
}

#[test]
fn vector_7_and_8_completions() {
    match parse_record(r#"{"type":3,"invocationId":"123","result":42}"#).unwrap() {
        HubMessage::Completion { invocation_id, result: Ok(Some(Argument::Json(r))) } => {
            assert_eq!(invocation_id, "123");
            assert_eq!(r.get(), "42");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_record(r#"{"type":3,"invocationId":"123"}"#).unwrap(),
        HubMessage::Completion { result: Ok(None), .. }
    ));
    match parse_record(r#"{"type":3,"invocationId":"123","error":"It didn't work!"}"#).unwrap() {
        HubMessage::Completion { result: Err(e), .. } => assert_eq!(e, "It didn't work!"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_9_result_and_error_is_a_protocol_error() {
    let err =
        parse_record(r#"{"type":3,"invocationId":"123","result":42,"error":"It didn't work!"}"#)
            .unwrap_err();
    assert_eq!(err.reason(), "result_and_error");
}

#[test]
fn vector_10_to_12_ping_close_ack_sequence() {
    assert!(matches!(parse_record(r#"{"type":6}"#).unwrap(), HubMessage::Ping));
    match parse_record(
        r#"{"type":7,"error":"Connection closed with an error!","allowReconnect":true}"#,
    )
    .unwrap()
    {
        HubMessage::Close { error: Some(e), allow_reconnect: true } => {
            assert_eq!(e, "Connection closed with an error!")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_record(r#"{"type":7}"#).unwrap(),
        HubMessage::Close { error: None, allow_reconnect: false }
    ));
    assert!(matches!(
        parse_record(r#"{"type":8,"sequenceId":1394}"#).unwrap(),
        HubMessage::Ack(1394)
    ));
    assert!(matches!(
        parse_record(r#"{"type":9,"sequenceId":1234}"#).unwrap(),
        HubMessage::Sequence(1234)
    ));
    // Vector 12 is also what the client writes, separator included.
    assert_eq!(ack(1394), "{\"type\":8,\"sequenceId\":1394}\u{1e}");
    assert_eq!(sequence(1234), "{\"type\":9,\"sequenceId\":1234}\u{1e}");
    let text = sequence(7);
    assert!(matches!(parse_record(&text[..text.len() - 1]).unwrap(), HubMessage::Sequence(7)));
}

#[test]
fn vector_14_unknown_type_is_not_an_error() {
    assert!(matches!(parse_record(r#"{"type":99}"#).unwrap(), HubMessage::Unknown(99)));
}

#[test]
fn bad_records_are_errors_with_reasons() {
    assert_eq!(parse_record("{not json").unwrap_err().reason(), "json");
    assert_eq!(parse_record(r#"{"target":"x"}"#).unwrap_err().reason(), "no_type");
    assert_eq!(parse_record(r#"{"type":1,"arguments":[]}"#).unwrap_err().reason(), "missing_field");
    assert_eq!(
        parse_record(r#"{"type":1,"target":"x","arguments":{}}"#).unwrap_err().reason(),
        "arguments_not_array"
    );
    assert_eq!(parse_record(r#"{"type":"1"}"#).unwrap_err().reason(), "json");
}

#[test]
fn escaped_strings_decode() {
    match parse_record(r#"{"type":1,"target":"Re\u0063eive","arguments":["a\"b"]}"#).unwrap() {
        HubMessage::Invocation { target, arguments: Arguments::Json(args), .. } => {
            assert_eq!(target, "Receive");
            assert_eq!(args.get(), r#"["a\"b"]"#);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn split_records_handles_several_and_partial_records() {
    let got = records(&["{\"type\":6}\u{1e}{\"ty", "pe\":6}\u{1e}{\"type\":7}", "\u{1e}"]);
    assert_eq!(got, vec![r#"{"type":6}"#, r#"{"type":6}"#, r#"{"type":7}"#]);
}

#[test]
fn split_records_refuses_endless_partial_record() {
    let mut pending = String::new();
    let big = "x".repeat(MAX_PENDING_BYTES + 1);
    assert!(!split_records(&mut pending, &big, |_| panic!("no record")));
    assert!(pending.is_empty());
}

#[test]
fn ping_and_close_constants_are_framed() {
    assert!(matches!(parse_record(PING.trim_end_matches('\u{1e}')).unwrap(), HubMessage::Ping));
    assert!(CLOSE.ends_with('\u{1e}'));
    let v: serde_json::Value =
        serde_json::from_str(no_result_completion("7").trim_end_matches('\u{1e}')).unwrap();
    assert_eq!(v["type"], 3);
    assert_eq!(v["invocationId"], "7");
}

#[test]
fn deep_nesting_never_overflows_the_stack_and_broken_json_is_named() {
    // The envelope keeps arguments raw, skipping them iteratively; the depth limit applies where
    // arguments are decoded or passed through (the profiles).
    let args = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let record = format!(r#"{{"type":1,"target":"Send","arguments":[{args}]}}"#);
    assert!(parse_record(&record).is_ok());
    assert_eq!(parse_record("{not json").unwrap_err().reason(), "json");
}
