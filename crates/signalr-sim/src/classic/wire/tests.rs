use super::*;

fn cursor(messages: u64, groups: u64) -> Cursor {
    Cursor { prefix: "7F2E11C0".to_string(), messages, groups }
}

#[test]
fn cursor_formats_like_the_real_server_and_parses_back() {
    let c = cursor(1, 0);
    assert_eq!(c.to_string(), "d-7F2E11C0-B,1|C,0");
    assert_eq!(Cursor::parse("d-7F2E11C0-B,1|C,0"), Some(c));
    assert_eq!(Cursor::parse("d-7F2E11C0-B,12|C,3"), Some(cursor(12, 3)));
}

#[test]
fn cursor_parse_rejects_garbage() {
    for bad in ["", "d-", "d-XYZ-B,1|C,0", "d-7F-B,x|C,0", "d-7F-B,1", "x-7F-B,1|C,0", "d--B,1|C,0"]
    {
        assert_eq!(Cursor::parse(bad), None, "{bad}");
    }
}

#[test]
fn groups_token_round_trips_for_its_connection_only() {
    let groups = vec!["hg-JobEventHub.17".to_string(), "hg-TaskEventHub.17".to_string()];
    let token = encode_groups_token("conn-1", &groups);
    assert_eq!(decode_groups_token("conn-1", &token), Some(groups.clone()));
    assert_eq!(decode_groups_token("conn-2", &token), None);
    let empty = encode_groups_token("conn-1", &[]);
    assert_eq!(decode_groups_token("conn-1", &empty), Some(vec![]));
}

#[test]
fn groups_token_rejects_tampering() {
    let token = encode_groups_token("c", &["hg-JobEventHub.1".to_string()]);
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    let last = bytes.len() - 3;
    bytes[last] = b'2';
    assert_eq!(decode_groups_token("c", &URL_SAFE_NO_PAD.encode(bytes)), None);
    assert_eq!(decode_groups_token("c", "not base64!"), None);
}

#[test]
fn frames_match_protocol_vectors() {
    // Vectors 25, 26 and 30 of protocols.md.
    assert_eq!(init_frame(&cursor(0, 0)), r#"{"C":"d-7F2E11C0-B,0|C,0","S":1,"M":[]}"#);
    let item = invocation_item("JobEventHub", "JobStateChange", r#"[17,"Queued","Validating"]"#);
    assert_eq!(
        envelope(&cursor(1, 0), &[item]),
        r#"{"C":"d-7F2E11C0-B,1|C,0","M":[{"H":"JobEventHub","M":"JobStateChange","A":[17,"Queued","Validating"]}]}"#
    );
    assert_eq!(shutdown_frame(&cursor(2, 0)), r#"{"C":"d-7F2E11C0-B,2|C,0","T":1,"M":[]}"#);
    assert_eq!(
        groups_frame(&cursor(2, 1), "abc"),
        r#"{"C":"d-7F2E11C0-B,2|C,1","G":"abc","M":[]}"#
    );
}

#[test]
fn envelope_holds_several_items() {
    let items = ["{\"a\":1}", "{\"b\":2}"];
    let text = envelope(&cursor(5, 0), &items);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["M"].as_array().unwrap().len(), 2);
    assert_eq!(value["C"], "d-7F2E11C0-B,5|C,0");
}

#[test]
fn hub_results_are_bare_with_string_ids() {
    assert_eq!(HubResult { id: "0", error: None }.to_json(), r#"{"I":"0"}"#);
    assert_eq!(HubResult { id: "1", error: Some("boom") }.to_json(), r#"{"I":"1","E":"boom"}"#);
}

#[test]
fn client_invocation_accepts_string_and_number_ids() {
    let dotnet =
        ClientInvocation::parse(r#"{"H":"JobEventHub","M":"BeginListen","A":[42],"I":"0"}"#)
            .unwrap();
    assert_eq!(
        (dotnet.hub.as_str(), dotnet.method.as_str(), dotnet.id.as_str()),
        ("JobEventHub", "BeginListen", "0")
    );
    assert_eq!(dotnet.arguments_json(), "[42]");
    let js = ClientInvocation::parse(r#"{"H":"taskeventhub","M":"BeginListen","A":[7,"x"],"I":3}"#)
        .unwrap();
    assert_eq!(js.id, "3");
    assert_eq!(js.arguments_json(), r#"[7,"x"]"#);
    assert!(ClientInvocation::parse("{}").is_none());
    assert!(ClientInvocation::parse("not json").is_none());
}
