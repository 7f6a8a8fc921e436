//! Unit tests of the RedMist profile: each message kind, both JSON spellings, legacy gzip,
//! errors, subscriptions and redaction.

use serde_json::{json, value::RawValue, Value};

use super::RedMist;
use crate::config::HubConfig;
use crate::event::{Event, EventType, WireId};
use crate::profile::{DecodeError, MessageContext, Normalized};

fn hub(redmist: Value) -> HubConfig {
    serde_json::from_value(json!({
        "name": "rm",
        "url": "https://api.redmist.racing/status/event-status",
        "profile": "redmist",
        "redmist": redmist,
    }))
    .unwrap()
}

fn profile() -> RedMist {
    RedMist::from_config(&hub(json!({"event_ids": [42]})))
}

pub(super) fn ctx() -> MessageContext {
    MessageContext {
        hub: "rm".into(),
        source: "https://api.redmist.racing/status/event-status".into(),
        wire: WireId { connection: "c".into(), record: 9 },
        received: time::OffsetDateTime::UNIX_EPOCH,
    }
}

fn run(rm: &RedMist, target: &str, args: &str) -> (Result<Normalized, DecodeError>, Vec<Event>) {
    let args = RawValue::from_string(args.to_owned()).unwrap();
    let mut out = Vec::new();
    let result = rm.normalize(&ctx(), target, crate::profile::Args::Json(&args), &mut out);
    (result, out)
}

pub(super) fn data(event: &Event) -> Value {
    serde_json::from_str(event.data.get()).unwrap()
}

#[test]
fn car_patches_one_event_per_car_with_indexed_ids() {
    let args = r#"[[{"number":"7","overallPosition":2,"lastLapTime":null},
                   {"number":"12","overallPosition":1,"extraField":{"x":1}}]]"#;
    let (result, out) = run(&profile(), "ReceiveCarPatches", args);
    assert_eq!(result.unwrap(), Normalized::Known);
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].id.as_str(), out[1].id.as_str()), ("c:9", "c:9:1"));
    assert_eq!(out[0].kind, EventType::RedMistCarPatched);
    assert_eq!(out[1].subject, "events/42/cars/12");
    assert_eq!(out[1].partition_key, "42/12");
    assert_eq!(data(&out[0]), json!({"number": "7", "overallPosition": 2}));
}

#[test]
fn car_patch_long_and_short_names_give_identical_data() {
    let long = r#"[[{"number":"7","overallPosition":2,"lastLapTime":"00:01:31.2",
        "bestTime":"00:01:30.9","overallGap":"1.2","pitStopCount":1,"trackFlag":1,
        "lastLapPitted":3,"isInPit":false}]]"#;
    let short = r#"[[{"n":"7","ovp":2,"ltm":"00:01:31.2","bt":"00:01:30.9","og":"1.2",
        "psc":1,"flg":1,"lastLapPitted":3,"ip":false}]]"#;
    let (_, a) = run(&profile(), "ReceiveCarPatches", long);
    let (_, b) = run(&profile(), "ReceiveCarPatches", short);
    assert_eq!(a[0].data.get(), b[0].data.get());
    assert_eq!(data(&a[0])["lastLapTime"], "00:01:31.2");
}

#[test]
fn car_patch_event_id_from_message_when_several_configured() {
    let rm = RedMist::from_config(&hub(json!({"event_ids": [1, 2]})));
    let (_, out) = run(&rm, "ReceiveCarPatches", r#"[[{"number":"7","eventId":"2"},{"n":"8"}]]"#);
    assert_eq!(out[0].subject, "events/2/cars/7");
    assert_eq!(out[1].subject, "events/unknown/cars/8");
}

#[test]
fn target_matches_case_insensitively() {
    let (result, out) = run(&profile(), "receivecarpatches", r#"[[{"number":"7"}]]"#);
    assert_eq!(result.unwrap(), Normalized::Known);
    assert_eq!(out.len(), 1);
}

#[test]
fn session_patch_is_one_event() {
    let args = r#"[{"eventId":42,"lapsToGo":12,"currentFlag":2,"timeToGo":null,
        "flagDurations":[{"f":1,"s":"2026-05-01T10:00:00Z"}]}]"#;
    let (result, out) = run(&profile(), "ReceiveSessionPatch", args);
    assert_eq!(result.unwrap(), Normalized::Known);
    assert_eq!(out[0].kind, EventType::RedMistSessionPatched);
    assert_eq!(out[0].subject, "events/42");
    let expected = json!({"eventId": 42, "lapsToGo": 12, "currentFlag": 2,
        "flagDurations": [{"flag": 1, "startTime": "2026-05-01T10:00:00Z"}]});
    assert_eq!(data(&out[0]), expected);
}

#[test]
fn reset_asks_for_snapshots() {
    let (result, out) = run(&profile(), "ReceiveReset", "[]");
    assert_eq!(result.unwrap(), Normalized::RefreshSnapshots);
    assert_eq!(out[0].kind, EventType::RedMistReset);
    assert_eq!(data(&out[0]), json!({"eventIds": [42]}));
}

#[test]
fn control_log_short_names_become_long() {
    let args = r#"[{"cn":"7","entries":[{"o":3,"t":"2026-05-01T10:02:00","cor":"T4",
        "c1":"7","c1h":true,"c2":"12","c2h":false,"n":"contact","s":"Under review",
        "a":"","on":""}]}]"#;
    let (result, out) = run(&profile(), "ReceiveControlLog", args);
    assert_eq!(result.unwrap(), Normalized::Known);
    assert_eq!(out[0].subject, "events/42/cars/7/control-log");
    assert_eq!(out[0].partition_key, "42/7");
    let entry = &data(&out[0])["controlLogEntries"][0];
    assert_eq!(entry["corner"], "T4");
    assert_eq!(entry["isCar1Highlighted"], true);
    assert_eq!(entry["orderId"], 3);
}

#[test]
fn in_car_update_is_one_event() {
    let args = r#"[{"n":"7","p":"2","o":"5","f":1,"c":[{"n":"12","c":"GTO","gl":"+0.3",
        "g":"1.1","id":1234},null]}]"#;
    let (_, out) = run(&profile(), "ReceiveInCarUpdateV2", args);
    assert_eq!(out[0].kind, EventType::RedMistInCarUpdated);
    assert_eq!(out[0].subject, "events/42/cars/7/in-car");
    let d = data(&out[0]);
    assert_eq!(d["carNumber"], "7");
    assert_eq!(d["cars"][0]["gainLoss"], "+0.3");
    assert_eq!(d["cars"][0]["transponderId"], 1234);
    assert_eq!(d["cars"][1], Value::Null);
}

#[test]
fn legacy_gzip_vector_is_a_reset_status() {
    let args = r#"["H4sIAAAAAAAC/6tWKlKyKikqTa0FAG8w8vsKAAAA"]"#;
    let (result, out) = run(&profile(), "ReceiveMessage", args);
    assert_eq!(result.unwrap(), Normalized::Known);
    assert_eq!(out[0].kind, EventType::RedMistLegacyStatus);
    assert_eq!(data(&out[0]), json!({"isReset": true}));
}

#[test]
fn legacy_plain_status_uses_long_names() {
    let payload = json!({"e": 42, "n": "Spring", "es": {"f": 1, "ltg": 5},
        "cps": [{"n": "7", "ovp": 1}], "r": false})
    .to_string();
    let args = serde_json::to_string(&[payload]).unwrap();
    let (_, out) = run(&profile(), "ReceiveMessage", &args);
    let d = data(&out[0]);
    assert_eq!(d["eventStatus"], json!({"flag": 1, "lapsToGo": 5}));
    assert_eq!(d["carPositions"], json!([{"number": "7", "overallPosition": 1}]));
}

#[test]
fn legacy_patch_list_gives_car_events() {
    let inner = r#"{"t":"patch","patches":[{"n":"7","ovp":3},{"number":"9","ovp":4}]}"#;
    let args = serde_json::to_string(&[inner]).unwrap();
    let (_, out) = run(&profile(), "ReceiveMessage", &args);
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|e| e.kind == EventType::RedMistCarPatched));
    assert_eq!(data(&out[1]), json!({"number": "9", "overallPosition": 4}));
}

#[test]
fn legacy_bad_base64_and_bad_gzip_are_errors() {
    let (result, out) = run(&profile(), "ReceiveMessage", r#"["H4sI!!!"]"#);
    assert_eq!(result.unwrap_err().reason(), "base64");
    assert!(out.is_empty());
    let (result, _) = run(&profile(), "ReceiveMessage", r#"["H4sIAAAA"]"#);
    assert_eq!(result.unwrap_err().reason(), "gzip");
}

#[test]
fn a_gzip_bomb_is_refused_with_its_own_reason() {
    use std::io::Write;
    // 80 MiB of spaces gzip to about 80 KiB: past the 64 MiB inflate limit.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..80 {
        gz.write_all(&chunk).unwrap();
    }
    let bomb =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, gz.finish().unwrap());
    assert!(bomb.starts_with("H4sI") && bomb.len() < 1 << 20);
    let (result, out) = run(&profile(), "ReceiveMessage", &format!(r#"["{bomb}"]"#));
    assert_eq!(result.unwrap_err().reason(), "inflate_limit");
    assert!(out.is_empty());
}

#[test]
fn every_listed_target_is_one_the_profile_decodes() {
    for target in RedMist::TARGETS {
        let (result, _) = run(&profile(), target, "[5, 6, 7]");
        assert!(!matches!(result, Ok(Normalized::UnknownTarget)), "{target}");
    }
}

#[test]
fn unknown_target_passes_through_generically() {
    let (result, out) = run(&profile(), "ReceiveInCarVideoMetadata", r#"[{"a":1}]"#);
    assert_eq!(result.unwrap(), Normalized::UnknownTarget);
    assert_eq!(out[0].kind, EventType::GenericInvocation);
}

#[test]
fn bad_arguments_push_nothing() {
    let rm = profile();
    let cases = [
        ("ReceiveCarPatches", "[]", "argument_count"),
        ("ReceiveCarPatches", r#"[[{"number":"7"}], 1]"#, "argument_count"),
        ("ReceiveCarPatches", r#"[[{"number":"7"},{"overallPosition":1}]]"#, "argument_type"),
        ("ReceiveCarPatches", r#"[[{"number":"7","overallPosition":"x"}]]"#, "argument_type"),
        ("ReceiveReset", "[1]", "argument_count"),
        ("ReceiveSessionPatch", r#"["x"]"#, "argument_type"),
        ("ReceiveMessage", "[5]", "argument_type"),
        ("ReceiveControlLog", r#"[{"entries":[]}]"#, "argument_type"),
    ];
    for (target, args, reason) in cases {
        let (result, out) = run(&rm, target, args);
        assert_eq!(result.unwrap_err().reason(), reason, "{target} {args}");
        assert!(out.is_empty(), "{target} {args}");
    }
}

#[test]
fn subscriptions_have_exact_arity_and_null_code() {
    let rm = RedMist::from_config(&hub(json!({"event_ids": [42], "control_logs": true,
        "car_control_logs": ["7"], "in_car": ["12"]})));
    let subs = rm.subscriptions();
    let got: Vec<(&str, Value)> =
        subs.iter().map(|s| (s.method.as_str(), Value::from(s.arguments.clone()))).collect();
    assert_eq!(
        got,
        vec![
            ("SubscribeToEventV2", json!([42])),
            ("SubscribeToControlLogs", json!([42, null])),
            ("SubscribeToCarControlLogs", json!([42, "7", null])),
            ("SubscribeToInCarDriverEventV2", json!([42, "12", null])),
        ]
    );
    assert_eq!(subs[2].display, r#"SubscribeToCarControlLogs(42, "7", null)"#);
}

#[test]
fn access_code_is_sent_but_never_displayed() {
    let rm = RedMist::from_config(&hub(json!({"event_ids": [42], "control_logs": true,
        "in_car": ["12"], "access_code": "s3cret"})));
    let subs = rm.subscriptions();
    assert_eq!(subs[1].arguments, vec![json!(42), json!("s3cret")]);
    for sub in &subs {
        assert!(!sub.display.contains("s3cret"), "{}", sub.display);
    }
    assert_eq!(subs[2].display, r#"SubscribeToInCarDriverEventV2(42, "12", <redacted>)"#);
}

#[test]
fn snapshot_urls_default_under_hub_path() {
    let rm = RedMist::from_config(&hub(json!({"event_ids": [42, 43]})));
    let urls: Vec<String> = rm.snapshot_requests().iter().map(|r| r.url.to_string()).collect();
    let base = "https://api.redmist.racing/status/v2/Events/GetCurrentSessionStateJson";
    assert_eq!(urls, vec![format!("{base}?eventId=42"), format!("{base}?eventId=43")]);
}

#[test]
fn snapshot_normalizes_car_positions_to_long_names() {
    let rm = profile();
    let request = rm.snapshot_requests().remove(0);
    let body = br#"{"eventId":42,"eventName":"Spring","currentFlag":1,"classColors":{"GTO":"red"},
        "carPositions":[{"n":"7","ovp":1,"ltm":"00:01:31.2","csec":[]}],"unknownLater":1}"#;
    let mut out = Vec::new();
    rm.normalize_snapshot(&ctx(), &request, body, &mut out).unwrap();
    assert_eq!(out[0].kind, EventType::RedMistSessionSnapshot);
    assert_eq!((out[0].subject.as_str(), out[0].partition_key.as_str()), ("events/42", "42"));
    let cars = &data(&out[0])["carPositions"];
    let car = json!({"number": "7", "overallPosition": 1, "lastLapTime": "00:01:31.2",
        "completedSections": []});
    assert_eq!(cars, &json!([car]));
    for bad in [&b"not json"[..], br#"{"carPositions":[{"ovp":1}]}"#] {
        assert!(rm.normalize_snapshot(&ctx(), &request, bad, &mut Vec::new()).is_err());
    }
}

#[test]
fn strings_borrow_from_input_unless_escaped() {
    let car: super::car::CarPatch =
        serde_json::from_str(r#"{"number":"7","driverName":"A\"B","class":"GT"}"#).unwrap();
    assert!(matches!(car.class.unwrap().0, std::borrow::Cow::Borrowed(_)));
    assert_eq!(car.driver_name.unwrap().0, "A\"B");
}
