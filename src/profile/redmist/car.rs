//! One car's fields, decoded from either JSON spelling RedMist uses and written back out with
//! the long camelCase names only. Decoding only: routing and events live in the parent module.
//!
//! The hub's `CarPositionPatch` is generated without `JsonPropertyName`, so the JSON hub protocol
//! sends long camelCase names (`overallPosition`); the full `CarPosition` in REST snapshots and
//! legacy payloads uses short names (`ovp`). Every field accepts both, so one car looks the same
//! downstream whatever path it came by. `None` (absent or `null`) means "unchanged" and is not
//! written. Strings borrow from the input where they hold no escapes.

use std::borrow::Cow;

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::profile::Nested;

/// A string that borrows from the input unless it holds escapes. (A bare `Option<Cow<str>>`
/// would always allocate: serde only borrows a `Cow` it sees directly.)
#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub(super) struct Str<'a>(#[serde(borrow)] pub Cow<'a, str>);

pub(super) type Text<'a> = Option<Str<'a>>;

/// A car position or car position patch (same members; in a patch everything but `number` is
/// optional, and in practice the full model is treated the same way).
///
/// Fields are declared in the order of the upstream MessagePack keys (0 `eventId` ... 67
/// `signalBars`), so a positional array decodes into the same struct.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CarPatch<'a> {
    #[serde(borrow, alias = "eid", default, skip_serializing_if = "Option::is_none")]
    pub event_id: Text<'a>,
    #[serde(borrow, alias = "sid", default, skip_serializing_if = "Option::is_none")]
    pub session_id: Text<'a>,
    #[serde(borrow, alias = "n")]
    pub number: Cow<'a, str>,
    #[serde(alias = "tp", default, skip_serializing_if = "Option::is_none")]
    pub transponder_id: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub class: Text<'a>,
    #[serde(borrow, alias = "bt", default, skip_serializing_if = "Option::is_none")]
    pub best_time: Text<'a>,
    #[serde(alias = "bl", default, skip_serializing_if = "Option::is_none")]
    pub best_lap: Option<i32>,
    #[serde(alias = "ibt", default, skip_serializing_if = "Option::is_none")]
    pub is_best_time: Option<bool>,
    #[serde(alias = "btc", default, skip_serializing_if = "Option::is_none")]
    pub is_best_time_class: Option<bool>,
    #[serde(borrow, alias = "cg", default, skip_serializing_if = "Option::is_none")]
    pub in_class_gap: Text<'a>,
    #[serde(borrow, alias = "cd", default, skip_serializing_if = "Option::is_none")]
    pub in_class_difference: Text<'a>,
    #[serde(borrow, alias = "og", default, skip_serializing_if = "Option::is_none")]
    pub overall_gap: Text<'a>,
    #[serde(borrow, alias = "od", default, skip_serializing_if = "Option::is_none")]
    pub overall_difference: Text<'a>,
    #[serde(borrow, alias = "ttm", default, skip_serializing_if = "Option::is_none")]
    pub total_time: Text<'a>,
    #[serde(borrow, alias = "ltm", default, skip_serializing_if = "Option::is_none")]
    pub last_lap_time: Text<'a>,
    #[serde(alias = "llp", default, skip_serializing_if = "Option::is_none")]
    pub last_lap_completed: Option<i32>,
    #[serde(alias = "psc", default, skip_serializing_if = "Option::is_none")]
    pub pit_stop_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lap_pitted: Option<i32>,
    #[serde(alias = "llo", default, skip_serializing_if = "Option::is_none")]
    pub laps_led_overall: Option<i32>,
    #[serde(alias = "llic", default, skip_serializing_if = "Option::is_none")]
    pub laps_led_in_class: Option<i32>,
    #[serde(alias = "ovp", default, skip_serializing_if = "Option::is_none")]
    pub overall_position: Option<i32>,
    #[serde(alias = "clp", default, skip_serializing_if = "Option::is_none")]
    pub class_position: Option<i32>,
    #[serde(alias = "osp", default, skip_serializing_if = "Option::is_none")]
    pub overall_starting_position: Option<i32>,
    #[serde(alias = "opg", default, skip_serializing_if = "Option::is_none")]
    pub overall_positions_gained: Option<i32>,
    #[serde(alias = "icsp", default, skip_serializing_if = "Option::is_none")]
    pub in_class_starting_position: Option<i32>,
    #[serde(alias = "cpg", default, skip_serializing_if = "Option::is_none")]
    pub in_class_positions_gained: Option<i32>,
    #[serde(alias = "ompg", default, skip_serializing_if = "Option::is_none")]
    pub is_overall_most_positions_gained: Option<bool>,
    #[serde(alias = "cmpg", default, skip_serializing_if = "Option::is_none")]
    pub is_class_most_positions_gained: Option<bool>,
    // "Penality" is the upstream spelling; keeping it keeps the name predictable.
    #[serde(alias = "pl", default, skip_serializing_if = "Option::is_none")]
    pub penality_laps: Option<i32>,
    #[serde(alias = "pw", default, skip_serializing_if = "Option::is_none")]
    pub penality_warnings: Option<i32>,
    #[serde(alias = "bf", default, skip_serializing_if = "Option::is_none")]
    pub black_flags: Option<i32>,
    #[serde(alias = "enp", default, skip_serializing_if = "Option::is_none")]
    pub is_entered_pit: Option<bool>,
    #[serde(alias = "psf", default, skip_serializing_if = "Option::is_none")]
    pub is_pit_start_finish: Option<bool>,
    #[serde(alias = "exp", default, skip_serializing_if = "Option::is_none")]
    pub is_exited_pit: Option<bool>,
    #[serde(alias = "ip", default, skip_serializing_if = "Option::is_none")]
    pub is_in_pit: Option<bool>,
    #[serde(alias = "lip", default, skip_serializing_if = "Option::is_none")]
    pub lap_included_pit: Option<bool>,
    #[serde(borrow, alias = "ln", default, skip_serializing_if = "Option::is_none")]
    pub last_loop_name: Text<'a>,
    #[serde(alias = "st", default, skip_serializing_if = "Option::is_none")]
    pub is_stale: Option<bool>,
    /// `Flags` as its number (0 unknown, 1 green, 2 yellow, 3 red, ...).
    #[serde(alias = "flg", default, skip_serializing_if = "Option::is_none")]
    pub track_flag: Option<i32>,
    #[serde(alias = "lflg", default, skip_serializing_if = "Option::is_none")]
    pub local_flag: Option<i32>,
    #[serde(alias = "lhlf", default, skip_serializing_if = "Option::is_none")]
    pub lap_had_local_flag: Option<bool>,
    /// Nested list whose members carry no short names; passed through as sent.
    #[serde(borrow, alias = "csec", default, skip_serializing_if = "Option::is_none")]
    pub completed_sections: Option<Nested<'a>>,
    #[serde(alias = "plt", default, skip_serializing_if = "Option::is_none")]
    pub projected_lap_time_ms: Option<i32>,
    /// A .NET `TimeOnly`, kept as the string the server wrote (see [`TimeOfDay`]).
    #[serde(borrow, alias = "lstt", default, skip_serializing_if = "Option::is_none")]
    pub lap_start_time: Option<TimeOfDay<'a>>,
    #[serde(borrow, alias = "dn", default, skip_serializing_if = "Option::is_none")]
    pub driver_name: Text<'a>,
    #[serde(borrow, alias = "did", default, skip_serializing_if = "Option::is_none")]
    pub driver_id: Text<'a>,
    #[serde(borrow, alias = "vid", default, skip_serializing_if = "Option::is_none")]
    pub in_car_video: Option<Nested<'a>>,
    #[serde(alias = "lat", default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(alias = "lon", default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(borrow, alias = "mcs", default, skip_serializing_if = "Option::is_none")]
    pub current_status: Text<'a>,
    #[serde(alias = "iw", default, skip_serializing_if = "Option::is_none")]
    pub impact_warning: Option<bool>,
    #[serde(alias = "faic", default, skip_serializing_if = "Option::is_none")]
    pub in_class_fastest_average_pace: Option<bool>,
    #[serde(alias = "temp", default, skip_serializing_if = "Option::is_none")]
    pub track_temp_deg_f: Option<i32>,
    #[serde(alias = "precip", default, skip_serializing_if = "Option::is_none")]
    pub track_precipitation_perc: Option<i32>,
    #[serde(alias = "spd", default, skip_serializing_if = "Option::is_none")]
    pub speed_mph: Option<i32>,
    #[serde(borrow, alias = "pet", default, skip_serializing_if = "Option::is_none")]
    pub pit_entry_time: Text<'a>,
    #[serde(alias = "pdm", default, skip_serializing_if = "Option::is_none")]
    pub pit_duration_ms: Option<i32>,
    #[serde(alias = "sv", default, skip_serializing_if = "Option::is_none")]
    pub speed_violation: Option<bool>,
    #[serde(alias = "pse", default, skip_serializing_if = "Option::is_none")]
    pub pit_speed_enforced: Option<bool>,
    #[serde(alias = "fz", default, skip_serializing_if = "Option::is_none")]
    pub flagging_zone: Option<i32>,
    #[serde(borrow, alias = "ds", default, skip_serializing_if = "Option::is_none")]
    pub driver_source: Text<'a>,
    #[serde(alias = "hg", default, skip_serializing_if = "Option::is_none")]
    pub has_gps: Option<bool>,
    #[serde(borrow, alias = "cgft", default, skip_serializing_if = "Option::is_none")]
    pub in_class_gap_by_fast_time: Text<'a>,
    #[serde(borrow, alias = "cdft", default, skip_serializing_if = "Option::is_none")]
    pub in_class_difference_by_fast_time: Text<'a>,
    #[serde(borrow, alias = "ogft", default, skip_serializing_if = "Option::is_none")]
    pub overall_gap_by_fast_time: Text<'a>,
    #[serde(borrow, alias = "odft", default, skip_serializing_if = "Option::is_none")]
    pub overall_difference_by_fast_time: Text<'a>,
    #[serde(alias = "lapposp", default, skip_serializing_if = "Option::is_none")]
    pub lap_position_percent: Option<i32>,
    #[serde(alias = "sb", default, skip_serializing_if = "Option::is_none")]
    pub signal_bars: Option<i32>,
}

/// A .NET `TimeOnly`. System.Text.Json writes it as text (`15:17:15.1410000`), kept as sent;
/// MessagePack-CSharp's standard formatter writes its ticks (100 ns since midnight, an integer),
/// which become the same text, so both protocols give the same field. (The integer form is that
/// library's documented default; RedMist's live encoding is unverified, protocols.md §8.)
#[derive(Debug, Serialize, PartialEq)]
#[serde(transparent)]
pub(super) struct TimeOfDay<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for TimeOfDay<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;
        impl<'de> Visitor<'de> for TimeVisitor {
            type Value = TimeOfDay<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a time of day as text or as ticks")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TimeOfDay(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TimeOfDay(Cow::Owned(v.to_owned())))
            }

            fn visit_u64<E: de::Error>(self, ticks: u64) -> Result<Self::Value, E> {
                const TICKS_PER_DAY: u64 = 864_000_000_000;
                if ticks >= TICKS_PER_DAY {
                    return Err(E::custom(format!("{ticks} ticks is not a time of day")));
                }
                let secs = ticks / 10_000_000;
                let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
                let text = format!("{h:02}:{m:02}:{s:02}.{:07}", ticks % 10_000_000);
                Ok(TimeOfDay(Cow::Owned(text)))
            }

            fn visit_i64<E: de::Error>(self, ticks: i64) -> Result<Self::Value, E> {
                let ticks = u64::try_from(ticks).map_err(|_| E::custom("negative time of day"))?;
                self.visit_u64(ticks)
            }
        }
        deserializer.deserialize_any(TimeVisitor)
    }
}
