//! Event contracts: every event type has a JSON Schema and a golden event; goldens validate
//! against their schemas and equal what the normalizer makes of their recorded input today, so
//! neither can drift silently. Regenerate goldens with `UPDATE_GOLDENS=1 cargo test --test
//! contracts -- --test-threads=1` and review the diff.
//!
//! A recorded input is either a Core invocation (`target`, `arguments`), a REST snapshot
//! (`snapshot`), or a whole classic frame (`frame`), decoded by the classic codec with ids from
//! its cursor and positions; the golden is the first event of its type, as for the others.

use std::path::PathBuf;

use serde_json::{json, value::RawValue, Value};
use signalr_bridge::config::HubConfig;
use signalr_bridge::event::Event;
use signalr_bridge::event::{EventType, WireId};
use signalr_bridge::profile::{MessageContext, Profile};
use signalr_bridge::signalr::classic;
use signalr_proto::classic::frame;
use signalr_proto::core::{msgpack, HubMessage};
use signalr_sim::race::positional;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(kind: EventType) -> Value {
    read_json(root().join(format!("schemas/{}.json", kind.as_str())))
}

fn golden_path(kind: EventType) -> PathBuf {
    root().join(format!("tests/fixtures/events/{}.json", kind.as_str()))
}

fn validator(kind: EventType) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema(kind))
        .unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()))
}

/// The hub a type's input is recorded from.
fn hub_for(kind: EventType) -> HubConfig {
    let hub = if kind.as_str().starts_with("com.microsoft.hpcpack.") {
        json!({
            "name": "hpc-head",
            "url": "https://hpc-head.example/hpc",
            "dialect": "classic",
            "profile": "hpc_pack",
            "hpc_pack": {"job_ids": [17]},
        })
    } else {
        json!({
            "name": "redmist-live",
            "url": "https://api.redmist.racing/status/event-status",
            "profile": "redmist",
            "redmist": {"event_ids": [42]},
        })
    };
    serde_json::from_value(hub).unwrap()
}

/// The event the normalizer makes of the type's recorded input, with fixed identity and time.
fn regenerate(kind: EventType) -> Value {
    let input = read_json(root().join(format!("tests/fixtures/inputs/{}.json", kind.as_str())));
    let (profile, ctx) = profile_and_context(kind);
    let mut out = Vec::new();
    if let Some(body) = input.get("snapshot") {
        let request = profile.snapshot_requests().remove(0);
        let body = body.to_string();
        profile.normalize_snapshot(&ctx, &request, body.as_bytes(), &mut out).unwrap();
    } else if let Some(text) = input.get("frame") {
        classic_frame(&profile, &ctx, &text.to_string(), &mut out);
    } else {
        let target = input["target"].as_str().unwrap();
        let arguments = RawValue::from_string(input["arguments"].to_string()).unwrap();
        profile.normalize(&ctx, target, &arguments, &mut out).unwrap();
    }
    let event = out.iter().find(|e| e.kind == kind).expect("input yields an event of its type");
    serde_json::from_slice(&event.to_json()).unwrap()
}

/// The type's profile and a fixed identity and time for its events.
fn profile_and_context(kind: EventType) -> (Profile, MessageContext) {
    let hub = hub_for(kind);
    let ctx = MessageContext {
        hub: hub.name.as_str().into(),
        source: hub.url.as_str().trim_end_matches('/').into(),
        wire: WireId { connection: "Hq3vZ0cG8pQ2".into(), record: 1042 },
        received: time::macros::datetime!(2026-05-01 15:18:48.25 UTC),
    };
    (Profile::from_config(&hub), ctx)
}

/// The same recorded Core invocation sent as RedMist would under the MessagePack protocol
/// (positional arrays, timestamps as extensions), as a framed-then-decoded record; `None` for
/// inputs that are not Core invocations.
fn regenerate_from_messagepack(kind: EventType) -> Option<Value> {
    let input = read_json(root().join(format!("tests/fixtures/inputs/{}.json", kind.as_str())));
    let target = input.get("target")?.as_str()?;
    let arguments = positional::arguments(target, &input["arguments"].to_string())?;
    let body = msgpack::server_invocation(target, &arguments);
    let HubMessage::Invocation { arguments, .. } = msgpack::parse_record(&body).unwrap() else {
        panic!("not an invocation")
    };
    let (profile, ctx) = profile_and_context(kind);
    let mut out = Vec::new();
    profile.normalize_args(&ctx, None, target, arguments, &mut out).unwrap();
    let event = out.iter().find(|e| e.kind == kind).expect("input yields an event of its type");
    Some(serde_json::from_slice(&event.to_json()).unwrap())
}

/// Every invocation of a classic envelope, identified by the envelope's cursor and position.
fn classic_frame(profile: &Profile, ctx: &MessageContext, text: &str, out: &mut Vec<Event>) {
    let frame::Frame::Envelope(envelope) = frame::parse_frame(text).unwrap() else {
        panic!("recorded classic input is not an envelope")
    };
    let cursor = envelope.cursor.as_deref().expect("recorded envelope has a cursor");
    for (position, item) in envelope.messages.iter().flatten().enumerate() {
        let frame::Item::Invocation { hub, method, arguments, .. } = item else { continue };
        let ctx = MessageContext { wire: classic::wire_id(cursor, position), ..ctx.clone() };
        profile.normalize_in_hub(&ctx, Some(hub), method, arguments, out).unwrap();
    }
}

#[test]
fn every_type_has_a_schema_and_a_golden() {
    for kind in EventType::ALL {
        assert_eq!(schema(kind)["properties"]["type"]["const"], kind.as_str());
        assert_eq!(schema(kind)["$id"], kind.schema_uri());
        assert!(golden_path(kind).exists(), "no golden for {}", kind.as_str());
    }
}

#[test]
fn goldens_validate_against_their_schemas() {
    for kind in EventType::ALL {
        let golden = read_json(golden_path(kind));
        let errors: Vec<String> = validator(kind)
            .iter_errors(&golden)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", kind.as_str());
    }
}

#[test]
fn goldens_equal_what_their_inputs_normalize_to() {
    let update = std::env::var_os("UPDATE_GOLDENS").is_some();
    for kind in EventType::ALL {
        let fresh = regenerate(kind);
        if update {
            let text = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
            std::fs::write(golden_path(kind), text).unwrap();
        }
        assert_eq!(read_json(golden_path(kind)), fresh, "{} drifted", kind.as_str());
    }
}

#[test]
fn messagepack_inputs_normalize_to_the_same_goldens() {
    let mut checked = 0;
    for kind in EventType::ALL {
        let Some(fresh) = regenerate_from_messagepack(kind) else { continue };
        assert_eq!(read_json(golden_path(kind)), fresh, "{} differs", kind.as_str());
        checked += 1;
    }
    // Car and session patches, reset, control log, in-car, legacy and generic invocations.
    assert_eq!(checked, 7);
}

#[test]
fn golden_without_a_required_field_fails_validation() {
    for kind in EventType::ALL {
        let golden = read_json(golden_path(kind));
        let schema = schema(kind);
        // The car type's data is a `$ref` to its car definition.
        let data = match schema["properties"]["data"].get("$ref") {
            Some(_) => &schema["$defs"]["car"],
            None => &schema["properties"]["data"],
        };
        // Remove an identifying data field where the type has one, else the envelope's id.
        let mut broken = golden.clone();
        match data["required"].as_array().and_then(|r| r.first().cloned()) {
            Some(Value::String(field)) => {
                broken["data"].as_object_mut().unwrap().remove(&field).expect("golden has it");
            }
            _ => {
                broken.as_object_mut().unwrap().remove("id");
            }
        }
        assert!(validator(kind).is_valid(&golden));
        assert!(!validator(kind).is_valid(&broken), "{} accepted {broken}", kind.as_str());
    }
}

#[test]
fn schemas_reject_the_wrong_type_and_short_names_stay_out() {
    let car = read_json(golden_path(EventType::RedMistCarPatched));
    let mut wrong = car.clone();
    wrong["type"] = json!(EventType::RedMistSessionPatched.as_str());
    assert!(!validator(EventType::RedMistCarPatched).is_valid(&wrong));
    let mut mistyped = car.clone();
    mistyped["data"]["overallPosition"] = json!("3");
    assert!(!validator(EventType::RedMistCarPatched).is_valid(&mistyped));
    let snapshot = read_json(golden_path(EventType::RedMistSessionSnapshot));
    let first = &snapshot["data"]["carPositions"][0];
    assert!(first.get("n").is_none() && first["number"] == "7", "{first}");
}

#[test]
fn every_schema_is_complete_and_versioned() {
    let envelope = [
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "dataschema",
        "partitionkey",
        "data",
    ];
    for kind in EventType::ALL {
        let name = kind.as_str();
        let schema = schema(kind);
        let version = name.rsplit('.').next().unwrap();
        assert!(
            version.len() > 1 && version.starts_with('v') && version[1..].parse::<u32>().is_ok(),
            "{name}: the type does not end in a .vN version"
        );
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        assert_eq!(schema["title"], name);
        assert!(schema["description"].as_str().is_some_and(|d| d.len() > 20), "{name}");
        assert_eq!(schema["properties"]["dataschema"]["const"], schema["$id"], "{name}");
        let required: Vec<&str> =
            schema["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for attribute in envelope {
            assert!(required.contains(&attribute), "{name} does not require {attribute}");
            assert!(schema["properties"].get(attribute).is_some(), "{name}: no {attribute}");
        }
        let data = match schema["properties"]["data"].get("$ref") {
            Some(Value::String(pointer)) => {
                schema.pointer(pointer.trim_start_matches('#')).expect("$ref resolves").clone()
            }
            _ => schema["properties"]["data"].clone(),
        };
        assert!(data.get("type").is_some(), "{name}: data has no type");
    }
    // And no schema file is left without its type.
    let files = std::fs::read_dir(root().join("schemas")).unwrap().count();
    assert_eq!(files, EventType::ALL.len(), "a schema file has no EventType");
}
