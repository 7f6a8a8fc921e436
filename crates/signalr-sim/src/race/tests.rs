//! Unit tests of the race model: determinism and shapes. The round trip through the bridge's
//! RedMist profile is the bridge's test (`tests/simulator/race.rs`).

use std::collections::HashSet;

use serde_json::Value;

use super::{Group, Race};

fn outputs(race: &mut Race, ticks: usize) -> Vec<(Group, &'static str, String)> {
    (0..ticks).flat_map(|_| race.tick()).map(|i| (i.group, i.target, i.arguments)).collect()
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
