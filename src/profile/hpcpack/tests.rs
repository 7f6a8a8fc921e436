use serde_json::{json, Value};
use signalr_proto::classic::frame;

use super::*;
use crate::signalr::classic::wire_id;

fn profile(hpc: Value) -> HpcPack {
    let hub: HubConfig = serde_json::from_value(json!({
        "name": "hpc", "url": "https://head/hpc", "dialect": "classic", "profile": "hpc_pack",
        "hpc_pack": hpc,
    }))
    .unwrap();
    HpcPack::from_config(&hub)
}

fn ctx(cursor: &str, position: usize) -> MessageContext {
    MessageContext {
        hub: "hpc".into(),
        source: "https://head/hpc".into(),
        wire: wire_id(cursor, position),
        received: time::OffsetDateTime::UNIX_EPOCH,
    }
}

/// Every invocation of a classic frame through the profile, as the session will run it.
fn run_frame(text: &str) -> (Vec<Result<Normalized, DecodeError>>, Vec<Event>) {
    let hpc = profile(json!({"job_ids": [17]}));
    let frame::Frame::Envelope(envelope) = frame::parse_frame(text).unwrap() else {
        panic!("not an envelope")
    };
    let cursor = envelope.cursor.as_deref().unwrap();
    let (mut results, mut out) = (Vec::new(), Vec::new());
    for (position, item) in envelope.messages.iter().flatten().enumerate() {
        let frame::Item::Invocation { hub, method, arguments, .. } = item else { continue };
        let ctx = ctx(cursor, position);
        results.push(hpc.normalize(&ctx, Some(hub), method, arguments, &mut out));
    }
    (results, out)
}

fn data(event: &Event) -> Value {
    serde_json::from_str(event.data.get()).unwrap()
}

#[test]
fn subscriptions_begin_listen_per_job_per_hub() {
    let subs = profile(json!({"job_ids": [17, 18]})).subscriptions();
    let shown: Vec<&str> = subs.iter().map(|s| s.display.as_str()).collect();
    assert_eq!(
        shown,
        [
            "JobEventHub.BeginListen(17)",
            "TaskEventHub.BeginListen(17)",
            "JobEventHub.BeginListen(18)",
            "TaskEventHub.BeginListen(18)"
        ]
    );
    assert_eq!(subs[1].hub.as_deref(), Some("TaskEventHub"));
    assert_eq!(subs[1].method, "BeginListen");
    assert_eq!(subs[1].arguments, [json!(17)]);
    let only_jobs = profile(json!({"job_ids": [5], "hubs": ["JobEventHub"]}));
    assert_eq!(only_jobs.subscriptions().len(), 1);
    assert_eq!(only_jobs.hub_names(), ["JobEventHub"]);
}

#[test]
fn vector_26_job_state_change_event() {
    let (results, out) = run_frame(
        r#"{"C":"d-7F2E11C0-B,1|C,0","M":[{"H":"JobEventHub","M":"JobStateChange","A":[17,"Queued","Validating"]}]}"#,
    );
    assert_eq!(results[0].as_ref().unwrap(), &Normalized::Known);
    let event = &out[0];
    assert_eq!(event.kind, EventType::HpcJobStateChanged);
    assert_eq!(event.id, "d-7F2E11C0-B,1|C,0:0");
    assert_eq!((event.subject.as_str(), event.partition_key.as_str()), ("jobs/17", "17"));
    assert_eq!(
        data(event),
        json!({"jobId": 17, "state": "Queued", "previousState": "Validating",
               "terminal": false, "reconciled": false})
    );
}

#[test]
fn vector_27_task_state_change_event() {
    let (results, out) = run_frame(
        r#"{"C":"d-7F2E11C0-B,1|C,1","M":[{"H":"TaskEventHub","M":"TaskStateChange","A":[17,1,0,"Running","Dispatching"]}]}"#,
    );
    assert_eq!(results[0].as_ref().unwrap(), &Normalized::Known);
    let event = &out[0];
    assert_eq!(event.kind, EventType::HpcTaskStateChanged);
    assert_eq!((event.subject.as_str(), event.partition_key.as_str()), ("jobs/17/tasks/1", "17"));
    assert_eq!(
        data(event),
        json!({"jobId": 17, "taskId": 1, "instanceId": 0, "state": "Running",
               "previousState": "Dispatching", "terminal": false, "reconciled": false})
    );
}

#[test]
fn terminal_states_and_canonical_names() {
    let (_, out) = run_frame(
        r#"{"C":"c","M":[{"H":"jobeventhub","M":"jobstatechange","A":[17,"finished","Finishing"]},
            {"H":"TaskEventHub","M":"TaskStateChange","A":[17,2,3,"Canceled","Running"]}]}"#,
    );
    assert_eq!(
        (data(&out[0])["state"].clone(), data(&out[0])["terminal"].clone()),
        (json!("Finished"), json!(true))
    );
    assert_eq!(data(&out[1])["terminal"], true);
    // Two items of one envelope: same cursor, own positions.
    assert_eq!((out[0].id.as_str(), out[1].id.as_str()), ("c:0", "c:1"));
}

#[test]
fn unknown_state_is_kept_and_reported() {
    let (results, out) = run_frame(
        r#"{"C":"c","M":[{"H":"JobEventHub","M":"JobStateChange","A":[17,"Hibernating","Running"]},
            {"H":"TaskEventHub","M":"TaskStateChange","A":[17,1,0,"Running","Warping"]}]}"#,
    );
    assert_eq!(results[0].as_ref().unwrap(), &Normalized::UnknownState("Hibernating".into()));
    assert_eq!(results[1].as_ref().unwrap(), &Normalized::UnknownState("Warping".into()));
    assert_eq!(data(&out[0])["state"], "Hibernating");
    assert_eq!(data(&out[1])["previousState"], "Warping");
    assert_eq!(out.len(), 2);
}

#[test]
fn replayed_item_keeps_its_id_and_identical_content_elsewhere_does_not() {
    let text = r#"{"C":"d-1,5|C,0","M":[{"H":"JobEventHub","M":"JobStateChange","A":[17,"Queued","Submitted"]}]}"#;
    let (_, first) = run_frame(text);
    let (_, replay) = run_frame(text);
    assert_eq!(first[0].id, replay[0].id);
    let (_, later) = run_frame(&text.replace("d-1,5", "d-1,9"));
    assert_ne!(first[0].id, later[0].id);
}

#[test]
fn other_methods_and_wrong_hub_go_out_generic() {
    let (results, out) = run_frame(
        r#"{"C":"c","M":[{"H":"JobEventHub","M":"Hello","A":[1]},
            {"H":"TaskEventHub","M":"JobStateChange","A":[17,"Queued","Submitted"]}]}"#,
    );
    assert!(results.iter().all(|r| r.as_ref().unwrap() == &Normalized::UnknownTarget));
    assert!(out.iter().all(|e| e.kind == EventType::GenericInvocation));
    assert_eq!(out[0].subject, "targets/JobEventHub.Hello");
    assert_eq!(out[1].subject, "targets/TaskEventHub.JobStateChange");
}

#[test]
fn core_path_without_hub_still_decodes() {
    let args = RawValue::from_string(r#"[17,"Running","Queued"]"#.into()).unwrap();
    let mut out = Vec::new();
    let result = profile(json!({"job_ids": [17]})).normalize(
        &ctx("c", 0),
        None,
        "JobStateChange",
        &args,
        &mut out,
    );
    assert_eq!(result.unwrap(), Normalized::Known);
    assert_eq!(out[0].kind, EventType::HpcJobStateChanged);
}

#[test]
fn bad_arguments_are_errors_that_push_nothing() {
    let hpc = profile(json!({"job_ids": [17]}));
    let cases = [
        ("JobStateChange", r#"[17,"Queued"]"#, "argument_count"),
        ("JobStateChange", r#"[17,"Queued","Submitted",1]"#, "argument_count"),
        ("JobStateChange", r#"["17","Queued","Submitted"]"#, "argument_type"),
        ("TaskStateChange", r#"[17,1,0,5,"Running"]"#, "argument_type"),
        ("TaskStateChange", r#"[17,1.5,0,"Running","Queued"]"#, "argument_type"),
    ];
    for (target, args, reason) in cases {
        let args = RawValue::from_string(args.into()).unwrap();
        let mut out = Vec::new();
        let error = hpc.normalize(&ctx("c", 0), None, target, &args, &mut out).unwrap_err();
        assert_eq!(error.reason(), reason, "{target} {args}: {error}");
        assert!(out.is_empty());
    }
    let args = RawValue::from_string(r#"[17,1,0,5,"Running"]"#.into()).unwrap();
    let error = hpc.normalize(&ctx("c", 0), None, "TaskStateChange", &args, &mut Vec::new());
    assert!(
        matches!(error, Err(DecodeError::Arguments(ArgumentError::Json { index: 3, .. }))),
        "{error:?}"
    );
    let args = RawValue::from_string(r#"[17,1.5,0,"Running","Queued"]"#.into()).unwrap();
    let error = hpc.normalize(&ctx("c", 0), None, "TaskStateChange", &args, &mut Vec::new());
    assert!(
        matches!(error, Err(DecodeError::Arguments(ArgumentError::Json { index: 1, .. }))),
        "{error:?}"
    );
}

#[test]
fn unknown_state_metric_keeps_label_set_bounded() {
    let metrics = crate::telemetry::Metrics::new();
    metrics.unknown_state("hpc", "Hibernating");
    metrics.unknown_state("hpc", "Hibernating");
    metrics.unknown_state("hpc", "not a state\u{1}");
    metrics.unknown_state("hpc", &"x".repeat(100));
    let count = |state| metrics.counter_value("unknown_states_total", &[("state", state)]);
    assert_eq!((count("Hibernating"), count("other")), (2, 2));
}

#[test]
fn every_listed_target_is_one_the_profile_decodes() {
    let hpc = profile(json!({"job_ids": [17]}));
    let arguments = RawValue::from_string("[5, 6, 7]".into()).unwrap();
    for target in HpcPack::TARGETS {
        let mut out = Vec::new();
        let result = hpc.normalize(&ctx("c", 0), None, target, &arguments, &mut out);
        assert!(!matches!(result, Ok(Normalized::UnknownTarget)), "{target}");
    }
    let result = hpc.normalize(&ctx("c", 0), None, "Nothing", &arguments, &mut Vec::new());
    assert_eq!(result.unwrap(), Normalized::UnknownTarget);
}
