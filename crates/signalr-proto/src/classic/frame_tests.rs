use super::*;
use crate::classic::Cursor;

fn envelope(text: &str) -> Envelope<'_> {
    match parse_frame(text).unwrap() {
        Frame::Envelope(e) => e,
        other => panic!("not an envelope: {other:?}"),
    }
}

fn invocations<'a>(e: &'a Envelope<'_>) -> Vec<(&'a str, &'a str, &'a str)> {
    let items = e.messages.as_deref().unwrap_or_default();
    items
        .iter()
        .map(|item| match item {
            Item::Invocation { hub, method, arguments, .. } => {
                (hub.as_ref(), method.as_ref(), arguments.get())
            }
            Item::Progress(p) => panic!("progress {p:?}"),
        })
        .collect()
}

#[test]
fn vector_25_init_frame() {
    let e = envelope(r#"{"C":"d-7F2E11C0-B,0|C,0","S":1,"M":[]}"#);
    assert!(e.init && !e.shutting_down);
    assert_eq!(e.cursor.as_deref(), Some("d-7F2E11C0-B,0|C,0"));
    assert_eq!(e.messages.as_ref().map(Vec::len), Some(0));
    let mut cursor = Cursor::default();
    cursor.observe(&e);
    assert_eq!(cursor.message_id(), Some("d-7F2E11C0-B,0|C,0"));
}

#[test]
fn vector_26_job_state_change() {
    let text = r#"{"C":"d-7F2E11C0-B,1|C,0","M":[{"H":"JobEventHub","M":"JobStateChange","A":[17,"Queued","Validating"]}]}"#;
    let e = envelope(text);
    assert!(!e.init);
    assert_eq!(e.cursor.as_deref(), Some("d-7F2E11C0-B,1|C,0"));
    let expected = [("JobEventHub", "JobStateChange", r#"[17,"Queued","Validating"]"#)];
    assert_eq!(invocations(&e), expected);
}

#[test]
fn vector_27_task_state_change() {
    let text = r#"{"C":"d-7F2E11C0-B,1|C,1","M":[{"H":"TaskEventHub","M":"TaskStateChange","A":[17,1,0,"Running","Dispatching"]}]}"#;
    let e = envelope(text);
    let expected = [("TaskEventHub", "TaskStateChange", r#"[17,1,0,"Running","Dispatching"]"#)];
    assert_eq!(invocations(&e), expected);
}

#[test]
fn vector_28_results_void_and_error() {
    let Frame::Result(ok) = parse_frame(r#"{"I":"0"}"#).unwrap() else { panic!("not a result") };
    assert_eq!(ok.id, "0");
    assert!(matches!(ok.outcome, Ok(None)));
    let text =
        r#"{"I":"1","E":"There was an error invoking Hub method 'TaskEventHub.BeginListen'."}"#;
    let Frame::Result(failed) = parse_frame(text).unwrap() else { panic!("not a result") };
    assert_eq!(failed.id, "1");
    let error = failed.outcome.unwrap_err();
    assert_eq!(error, "There was an error invoking Hub method 'TaskEventHub.BeginListen'.");
    assert!(!failed.hub_exception);
}

#[test]
fn vector_29_progress_inside_m_is_not_a_result() {
    let e = envelope(r#"{"C":"d-1,2|C,0","M":[{"I":"P|2","P":{"I":"2","D":50}}]}"#);
    match e.messages.as_deref() {
        Some([Item::Progress(p)]) => {
            assert_eq!(p.id, "2");
            assert_eq!(p.data.map(RawValue::get), Some("50"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vector_30_keep_alive_shutdown_and_groups() {
    assert!(matches!(parse_frame("{}").unwrap(), Frame::KeepAlive));
    let e = envelope(r#"{"C":"d-1,3|C,0","T":1,"M":[]}"#);
    assert!(e.shutting_down);
    let e = envelope(r#"{"C":"d-1,4|C,0","G":"<token>","M":[]}"#);
    let mut cursor = Cursor::default();
    cursor.observe(&e);
    assert_eq!(cursor.groups_token(), Some("<token>"));
    assert_eq!(cursor.message_id(), Some("d-1,4|C,0"));
}

#[test]
fn cursor_moves_only_with_m_and_keeps_groups() {
    let mut cursor = Cursor::default();
    cursor.observe(&envelope(r#"{"C":"a","G":"g1","M":[]}"#));
    cursor.observe(&envelope(r#"{"C":"b"}"#));
    assert_eq!(cursor.message_id(), Some("a"));
    cursor.observe(&envelope(r#"{"C":"c","M":[]}"#));
    assert_eq!((cursor.message_id(), cursor.groups_token()), (Some("c"), Some("g1")));
}

#[test]
fn two_kinds_of_s() {
    // Top-level S in an envelope: init. Inside an invocation or a result: caller state.
    let e = envelope(r#"{"C":"x","M":[{"H":"h","M":"m","A":[],"S":{"k":1}}]}"#);
    assert!(!e.init);
    match e.messages.as_deref() {
        Some([Item::Invocation { state: Some(s), .. }]) => assert_eq!(s.get(), r#"{"k":1}"#),
        other => panic!("{other:?}"),
    }
    let result = parse_frame(r#"{"I":"4","R":true,"S":{"k":2},"T":"stack"}"#).unwrap();
    let Frame::Result(r) = result else { panic!("not a result") };
    assert_eq!(r.outcome.unwrap().map(RawValue::get), Some("true"));
}

#[test]
fn result_with_hub_exception_data_and_numeric_id() {
    let text = r#"{"I":7,"E":"no such job","H":true,"D":{"job":17}}"#;
    let Frame::Result(r) = parse_frame(text).unwrap() else { panic!("not a result") };
    assert_eq!(r.id, "7");
    assert!(r.hub_exception);
    assert_eq!(r.error_data.map(RawValue::get), Some(r#"{"job":17}"#));
}

#[test]
fn top_level_progress_is_handled_before_i() {
    let frame = parse_frame(r#"{"I":"P|3","P":{"I":"3","D":"half"}}"#).unwrap();
    assert!(matches!(frame, Frame::Progress(p) if p.id == "3"));
}

#[test]
fn envelope_error_disconnect_and_unknown_keys() {
    let e = envelope(r#"{"E":"boom","X":[1,{"y":2}],"D":1}"#);
    assert_eq!(e.error.as_deref(), Some("boom"));
    assert!(e.disconnect && e.messages.is_none());
    assert!(matches!(parse_frame(r#"{"Z":1}"#).unwrap(), Frame::KeepAlive));
    let e = envelope(r#"{"C":"c","M":[{"H":"h","M":"m","A":[1],"Extra":true}],"L":0}"#);
    assert_eq!(invocations(&e), [("h", "m", "[1]")]);
}

#[test]
fn start_response() {
    let frame = parse_frame(r#"{"Response":"started"}"#).unwrap();
    assert!(matches!(frame, Frame::Response(r) if r == "started"));
}

#[test]
fn escaped_strings_are_decoded() {
    let e = envelope(r#"{"C":"a\u007Cb","M":[{"H":"J\u006fbEventHub","M":"m","A":[]}]}"#);
    assert_eq!(e.cursor.as_deref(), Some("a|b"));
    assert_eq!(invocations(&e)[0].0, "JobEventHub");
}

#[test]
fn malformed_frames_are_errors_with_reasons() {
    let cases = [
        ("not json", "json"),
        ("[1,2]", "json"),
        (r#"{"C":"c","M":{"H":"h"}}"#, "json"),
        (r#"{"C":"c","M":[{"H":"h","M":"m"}]}"#, "unknown_item"),
        (r#"{"C":"c","M":[{"H":"h","M":"m","A":{"x":1}}]}"#, "arguments_not_array"),
        (r#"{"C":"c","M":[],"T":"yes"}"#, "field_type"),
        (r#"{"I":{"x":1}}"#, "field_type"),
        (r#"{"C":5,"M":[]}"#, "json"),
    ];
    for (text, reason) in cases {
        let error = parse_frame(text).unwrap_err();
        assert_eq!(error.reason(), reason, "{text}: {error}");
    }
}

#[test]
fn invocation_encoding() {
    let text = invocation(0, "JobEventHub", "BeginListen", &[serde_json::json!(42)]);
    assert_eq!(text, r#"{"H":"JobEventHub","M":"BeginListen","A":[42],"I":"0"}"#);
    let none = invocation(12, "TaskEventHub", "Ping", &[]);
    assert_eq!(none, r#"{"H":"TaskEventHub","M":"Ping","A":[],"I":"12"}"#);
}
