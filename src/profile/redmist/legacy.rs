//! The legacy V1 `ReceiveMessage(string)`: the string is JSON, or base64 of gzipped JSON (it
//! then starts `H4sI`, the base64 of the gzip magic). It holds either a full status (`Payload`,
//! short names) or a car patch list `{"t":"patch","patches":[...]}`. Upstream no longer sends
//! it; it is kept for old and self-hosted deployments.
//!
//! A full status with `r: true` (reset) is published as a status and does not trigger a
//! snapshot refresh: the payload itself is the new full state.

use std::borrow::Cow;
use std::io::Read;

use base64::Engine as _;
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};

use super::car::{CarPatch, Str, Text};
use super::session::{EventEntry, FlagDuration};
use super::{to_raw, DecodeError, MessageContext, RedMist};
use crate::event::{Event, EventType};
use crate::profile::ArgumentError;

/// Inflated payloads beyond this are refused: a hub frame is at most 1 MB, and a small gzip
/// stream can inflate to gigabytes.
const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Which legacy message this is; everything else in it is skipped on this pass.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    t: Option<Str<'a>>,
}

/// `{"t":"patch","patches":[...]}`, optionally naming its event.
#[derive(Deserialize)]
struct PatchList<'a> {
    #[serde(alias = "e", alias = "eventId", default)]
    event: Option<i64>,
    #[serde(borrow)]
    patches: Vec<CarPatch<'a>>,
}

/// The V1 `Payload`, written with long camelCase names.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyStatus<'a> {
    #[serde(alias = "e", default, skip_serializing_if = "Option::is_none")]
    event_id: Option<i64>,
    #[serde(borrow, alias = "n", default, skip_serializing_if = "Option::is_none")]
    event_name: Text<'a>,
    #[serde(borrow, alias = "es", default, skip_serializing_if = "Option::is_none")]
    event_status: Option<EventStatus<'a>>,
    #[serde(borrow, alias = "ee", default, skip_serializing_if = "Option::is_none")]
    event_entries: Option<Vec<EventEntry<'a>>>,
    #[serde(borrow, alias = "eeu", default, skip_serializing_if = "Option::is_none")]
    event_entry_updates: Option<Vec<EventEntry<'a>>>,
    #[serde(borrow, alias = "cps", default, skip_serializing_if = "Option::is_none")]
    car_positions: Option<Vec<CarPatch<'a>>>,
    #[serde(borrow, alias = "cpu", default, skip_serializing_if = "Option::is_none")]
    car_position_updates: Option<Vec<CarPatch<'a>>>,
    #[serde(borrow, alias = "fd", default, skip_serializing_if = "Option::is_none")]
    flag_durations: Option<Vec<FlagDuration<'a>>>,
    #[serde(alias = "r", default, skip_serializing_if = "Option::is_none")]
    is_reset: Option<bool>,
}

/// The V1 `EventStatus` (short names `eid`, `f`, `ltg`, `ttg`, `tt`, `rt`, `pq`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventStatus<'a> {
    #[serde(borrow, alias = "eid", default, skip_serializing_if = "Option::is_none")]
    event_id: Text<'a>,
    #[serde(alias = "f", default, skip_serializing_if = "Option::is_none")]
    flag: Option<i32>,
    #[serde(alias = "ltg", default, skip_serializing_if = "Option::is_none")]
    laps_to_go: Option<i32>,
    #[serde(borrow, alias = "ttg", default, skip_serializing_if = "Option::is_none")]
    time_to_go: Text<'a>,
    #[serde(borrow, alias = "tt", default, skip_serializing_if = "Option::is_none")]
    local_time_of_day: Text<'a>,
    #[serde(borrow, alias = "rt", default, skip_serializing_if = "Option::is_none")]
    running_race_time: Text<'a>,
    #[serde(alias = "pq", default, skip_serializing_if = "Option::is_none")]
    is_practice_qualifying: Option<bool>,
}

/// Decodes one `ReceiveMessage` string and pushes its events (all or nothing).
pub(super) fn normalize(
    rm: &RedMist,
    ctx: &MessageContext,
    target: &str,
    text: &str,
    out: &mut Vec<Event>,
) -> Result<(), DecodeError> {
    let json = inflate(target, text)?;
    let json = json.as_ref();
    let bad = |source| ArgumentError::Json { target: target.to_owned(), index: 0, source };
    let probe: Probe = serde_json::from_str(json).map_err(bad)?;
    if probe.t.is_some_and(|t| t.0 == "patch") {
        let list: PatchList = serde_json::from_str(json).map_err(bad)?;
        let event = list.event.map(|e| e.to_string());
        return rm.push_cars(ctx, target, &list.patches, event.as_deref(), out);
    }
    let status: LegacyStatus = serde_json::from_str(json).map_err(bad)?;
    let event = rm.event_key(status.event_id.map(|e| Cow::Owned(e.to_string())));
    let data = to_raw(target, &status)?;
    let kind = EventType::RedMistLegacyStatus;
    out.push(ctx.event(0, kind, format!("events/{event}"), event.into_owned(), data));
    Ok(())
}

/// The JSON text: as given, or base64-decoded and gunzipped when it starts `H4sI`.
fn inflate<'a>(target: &str, text: &'a str) -> Result<Cow<'a, str>, DecodeError> {
    if !text.starts_with("H4sI") {
        return Ok(Cow::Borrowed(text));
    }
    let gz = base64::engine::general_purpose::STANDARD
        .decode(text.trim_end())
        .map_err(|_| DecodeError::Base64 { target: target.to_owned() })?;
    let mut json = String::new();
    let gzip = |source| DecodeError::Gzip { target: target.to_owned(), source };
    GzDecoder::new(gz.as_slice())
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_string(&mut json)
        .map_err(gzip)?;
    if json.len() as u64 > MAX_INFLATED_BYTES {
        return Err(DecodeError::Inflated { target: target.to_owned(), limit: MAX_INFLATED_BYTES });
    }
    Ok(Cow::Owned(json))
}
