//! How the race model's state looks on the wire: the JSON hub protocol's patch shapes (long
//! camelCase names, as System.Text.Json writes generated patch classes) and the REST snapshot's
//! full models (short names, per upstream `JsonPropertyName`). Formatting only, no state.

use std::fmt::Write as _;

use serde::Serialize;

/// A lap completion: `CarPositionPatch` with the fields a lap changes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LapPatch<'a> {
    pub number: &'a str,
    pub last_lap_completed: i32,
    pub last_lap_time: String,
    pub total_time: String,
    pub overall_gap: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_lap: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pit_stop_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_lap_pitted: Option<i32>,
    pub lap_included_pit: bool,
}

/// A position change: only positions, so swapping back repeats an earlier patch exactly.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PositionPatch<'a> {
    pub number: &'a str,
    pub overall_position: i32,
    pub class_position: i32,
}

/// `SessionStatePatch` with the clock and flag fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionPatch<'a> {
    pub event_id: i64,
    pub session_id: i64,
    pub laps_to_go: i32,
    pub time_to_go: &'a str,
    pub running_race_time: &'a str,
    pub current_flag: i32,
}

/// `CarControlLogs` (short names: the model has `JsonPropertyName`s).
#[derive(Serialize)]
pub(super) struct ControlLog<'a> {
    pub cn: &'a str,
    pub entries: [ControlLogEntry<'a>; 1],
}

#[derive(Serialize)]
pub(super) struct ControlLogEntry<'a> {
    pub o: i64,
    pub t: String,
    pub cor: &'static str,
    pub c1: &'a str,
    pub c1h: bool,
    pub c2: &'a str,
    pub c2h: bool,
    pub n: &'static str,
    pub s: &'static str,
    pub a: &'static str,
    pub on: &'static str,
}

/// `InCarPayload` and its `CarStatus` list (short names).
#[derive(Serialize)]
pub(super) struct InCar<'a> {
    pub n: &'a str,
    pub p: String,
    pub o: String,
    pub f: i32,
    pub c: Vec<CarStatus<'a>>,
}

#[derive(Serialize)]
pub(super) struct CarStatus<'a> {
    pub n: &'a str,
    pub c: &'a str,
    pub t: String,
    pub l: String,
    pub gl: &'static str,
    pub g: String,
    pub ct: &'static str,
    pub d: String,
    pub id: u32,
    pub i: &'static str,
}

/// The REST `SessionState` (camelCase: the model has no `JsonPropertyName`s).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionState<'a> {
    pub event_id: i64,
    pub event_name: String,
    pub session_id: i64,
    pub session_name: &'static str,
    pub laps_to_go: i32,
    pub time_to_go: &'a str,
    pub local_time_of_day: &'static str,
    pub running_race_time: &'a str,
    pub is_practice_qualifying: bool,
    pub session_start_time: &'static str,
    pub local_time_zone_offset: f64,
    pub is_live: bool,
    pub event_entries: Vec<EventEntry<'a>>,
    pub car_positions: Vec<CarPosition<'a>>,
    pub current_flag: i32,
    pub flag_durations: [(); 0],
    pub is_simulation: bool,
}

#[derive(Serialize)]
pub(super) struct EventEntry<'a> {
    pub no: &'a str,
    pub nm: String,
    pub t: String,
    pub c: &'a str,
}

/// The full `CarPosition` with its short JSON names.
#[derive(Serialize)]
pub(super) struct CarPosition<'a> {
    pub eid: String,
    pub sid: String,
    pub n: &'a str,
    pub tp: u32,
    pub class: &'a str,
    pub bt: String,
    pub bl: i32,
    pub og: String,
    pub ttm: String,
    pub ltm: String,
    pub llp: i32,
    pub psc: i32,
    #[serde(rename = "lastLapPitted")]
    pub last_lap_pitted: Option<i32>,
    pub ovp: i32,
    pub clp: i32,
    pub osp: i32,
    pub flg: i32,
    pub ip: bool,
}

/// Milliseconds as RedMist writes durations: `HH:MM:SS.mmm`.
pub(super) fn clock(ms: u64) -> String {
    let mut out = String::with_capacity(12);
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let _ = write!(out, "{h:02}:{m:02}:{s:02}.{f:03}");
    out
}

/// The gap to the leader: seconds when on the same lap, whole laps when lapped.
pub(super) fn gap(laps_down: i32, ms: u64) -> String {
    match laps_down {
        0 => format!("{}.{:03}", ms / 1000, ms % 1000),
        1 => "1 lap".to_owned(),
        n => format!("{n} laps"),
    }
}
