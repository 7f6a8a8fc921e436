//! Unit tests of the race model: determinism, shapes, and a round trip through the RedMist
//! profile that the bridge runs against the simulator.

use std::collections::HashSet;

use serde_json::{json, value::RawValue, Value};

use super::{Group, Race};
use crate::config::HubConfig;
use crate::event::{EventType, WireId};
use crate::profile::{MessageContext, Normalized, Profile};

fn outputs(race: &mut Race, ticks: usize) -> Vec<(Group, &'static str, String)> {
    (0..ticks).flat_map(|_| race.tick()).map(|i| (i.group, i.target, i.arguments)).collect()
}

fn profile() -> Profile {
    let hub: HubConfig = serde_json::from_value(json!({
        "name": "sim", "url": "http://127.0.0.1:1/status/event-status",
        "profile": "redmist", "redmist": {"event_ids": [7]},
    }))
    .unwrap();
    Profile::from_config(&hub)
}

fn ctx(record: u64) -> MessageContext {
    MessageContext {
        hub: "sim".into(),
        source: "urn:sim".into(),
        wire: WireId { connection: "c".into(), record },
        received: time::OffsetDateTime::UNIX_EPOCH,
    }
}

#[test]
fn tick_is_deterministic_for_a_seed() {
    let a = outputs(&mut Race::new(7, 20, 99), 500);
    let b = outputs(&mut Race::new(7, 20, 99), 500);
    let c = outputs(&mut Race::new(7, 20, 100), 500);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn tick_emits_every_kind_to_its_group() {
    let all = outputs(&mut Race::new(7, 12, 1), 1_000);
    let kinds: HashSet<(&str, std::mem::Discriminant<Group>)> =
        all.iter().map(|(g, t, _)| (*t, std::mem::discriminant(g))).collect();
    for (target, group) in [
        ("ReceiveCarPatches", Group::Event(7)),
        ("ReceiveSessionPatch", Group::Event(7)),
        ("ReceiveControlLog", Group::ControlLogs(7)),
        ("ReceiveControlLog", Group::CarControlLogs(7, String::new())),
        ("ReceiveInCarUpdateV2", Group::InCar(7, String::new())),
    ] {
        assert!(kinds.contains(&(target, std::mem::discriminant(&group))), "{target}");
    }
}

#[test]
fn swap_back_restores_the_previous_positions() {
    let all = outputs(&mut Race::new(7, 10, 3), 2_000);
    let swaps: Vec<Value> = all
        .iter()
        .filter(|(_, t, a)| *t == "ReceiveCarPatches" && a.contains("overallPosition"))
        .map(|(_, _, a)| serde_json::from_str::<Value>(a).unwrap()[0].clone())
        .collect();
    // A swap back names the same two cars with their positions exchanged again.
    let undone = swaps.windows(2).filter(|w| {
        w[0][0]["number"] == w[1][1]["number"]
            && w[0][1]["number"] == w[1][0]["number"]
            && w[0][0]["overallPosition"] == w[1][0]["overallPosition"]
    });
    assert!(undone.count() > 10);
    let distinct: HashSet<String> = swaps.iter().map(Value::to_string).collect();
    assert!(distinct.len() < swaps.len(), "identical patch content recurs");
}

#[test]
fn car_patches_use_long_camel_case_names() {
    let all = outputs(&mut Race::new(7, 5, 5), 50);
    let (_, _, args) = all.iter().find(|(_, t, _)| *t == "ReceiveCarPatches").unwrap();
    let args: Value = serde_json::from_str(args).unwrap();
    let car = &args[0][0];
    assert!(car["number"].is_string());
    assert!(car.get("n").is_none());
}

#[test]
fn round_trip_through_profile_decodes_everything() {
    let profile = profile();
    let mut race = Race::new(7, 15, 11);
    let mut all = outputs(&mut race, 1_500);
    all.extend(race.reset().into_iter().map(|i| (i.group, i.target, i.arguments)));
    let mut seen = HashSet::new();
    for (record, (_, target, args)) in all.iter().enumerate() {
        let args = RawValue::from_string(args.clone()).unwrap();
        let mut out = Vec::new();
        let result = profile.normalize(&ctx(record as u64 + 1), target, &args, &mut out);
        let result = result.unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_ne!(result, Normalized::UnknownTarget);
        seen.extend(out.iter().map(|e| e.kind));
    }
    for kind in [
        EventType::RedMistCarPatched,
        EventType::RedMistSessionPatched,
        EventType::RedMistControlLog,
        EventType::RedMistInCarUpdated,
        EventType::RedMistReset,
    ] {
        assert!(seen.contains(&kind), "{kind:?}");
    }
}

#[test]
fn snapshot_round_trips_with_short_names_normalized() {
    let mut race = Race::new(7, 6, 2);
    outputs(&mut race, 200);
    assert!(race.snapshot_json(8).is_none());
    let body = race.snapshot_json(7).unwrap();
    let raw: Value = serde_json::from_str(&body).unwrap();
    assert!(raw["carPositions"][0]["n"].is_string(), "REST uses short names");
    let profile = profile();
    let request = profile.snapshot_requests().remove(0);
    let mut out = Vec::new();
    profile.normalize_snapshot(&ctx(1), &request, body.as_bytes(), &mut out).unwrap();
    let data: Value = serde_json::from_str(out[0].data.get()).unwrap();
    let cars = data["carPositions"].as_array().unwrap();
    assert_eq!(cars.len(), 6);
    let positions: Vec<i64> = cars.iter().map(|c| c["overallPosition"].as_i64().unwrap()).collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(data["eventId"], 7);
}

#[test]
fn reset_starts_a_new_session() {
    let mut race = Race::new(7, 4, 1);
    outputs(&mut race, 100);
    let out = race.reset();
    assert_eq!((out[0].target, out[0].arguments.as_str()), ("ReceiveReset", "[]"));
    let state: Value = serde_json::from_str(&race.snapshot_json(7).unwrap()).unwrap();
    assert_eq!(state["sessionId"], 2);
    assert!(state["carPositions"].as_array().unwrap().iter().all(|c| c["llp"] == 0));
}

#[test]
fn zero_or_one_car_does_not_panic() {
    for cars in [0, 1] {
        let mut race = Race::new(7, cars, 1);
        outputs(&mut race, 300);
        race.reset();
        assert!(race.snapshot_json(7).is_some());
    }
}
