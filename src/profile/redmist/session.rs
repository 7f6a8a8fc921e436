//! Session-level fields (`SessionState` / `SessionStatePatch`) and the small lists inside them,
//! decoded and written back with long camelCase names. Decoding only.
//!
//! `SessionState` has no short JSON names, so the hub patch and the REST snapshot spell its own
//! members alike; its nested `EventEntry`, `FlagDuration` and `CarPosition` do have short names,
//! which are mapped to the long ones here. Lists with no short names pass through as sent.

use serde::{Deserialize, Serialize};

use super::car::{CarPatch, Text};
use crate::profile::Nested;

/// A session patch, or a full session state from the snapshot endpoint. Fields follow the
/// upstream MessagePack key order (0 `eventId` ... 34 `hasTelemetrySource`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionFields<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub event_name: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<i64>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub session_name: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub laps_to_go: Option<i32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub time_to_go: Text<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub local_time_of_day: Text<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub running_race_time: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_practice_qualifying: Option<bool>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub session_start_time: Text<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub session_end_time: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_time_zone_offset: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_live: Option<bool>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub event_entries: Option<Vec<EventEntry<'a>>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub car_positions: Option<Vec<CarPatch<'a>>>,
    /// `Flags` as its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_flag: Option<i32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub flag_durations: Option<Vec<FlagDuration<'a>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_time_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_laps: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yellow_time_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yellow_laps: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_yellows: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_time_ms: Option<i64>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub average_race_speed: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_changes: Option<i32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<Nested<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub class_colors: Option<Nested<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub announcements: Option<Nested<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Text<'a>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub class_order: Option<Nested<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_simulation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_temp_deg_f: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_precipitation_perc: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_telemetry_source: Option<bool>,
}

/// An entrant (`EventEntry`: short names `no`, `nm`, `t`, `c`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventEntry<'a> {
    #[serde(borrow, alias = "no", default, skip_serializing_if = "Option::is_none")]
    pub number: Text<'a>,
    #[serde(borrow, alias = "nm", default, skip_serializing_if = "Option::is_none")]
    pub name: Text<'a>,
    #[serde(borrow, alias = "t", default, skip_serializing_if = "Option::is_none")]
    pub team: Text<'a>,
    #[serde(borrow, alias = "c", default, skip_serializing_if = "Option::is_none")]
    pub class: Text<'a>,
}

/// How long a flag was out (`FlagDuration`: short names `f`, `s`, `e`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FlagDuration<'a> {
    #[serde(alias = "f", default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<i32>,
    #[serde(borrow, alias = "s", default, skip_serializing_if = "Option::is_none")]
    pub start_time: Text<'a>,
    #[serde(borrow, alias = "e", default, skip_serializing_if = "Option::is_none")]
    pub end_time: Text<'a>,
}
