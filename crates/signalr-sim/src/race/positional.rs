//! How RedMist's payloads look under the MessagePack hub protocol. Its models are .NET
//! `[MessagePackObject]` types with `[Key(n)]`, so each one is a positional array indexed by key
//! (nil in slots without a value) and `DateTime`s are timestamp extensions. This converts the JSON
//! shapes the race builds (either spelling, long camelCase or short) into those bytes; lists and
//! maps of types without keys go out as MessagePack maps (the server's contractless resolver).
//! Formatting only; pure.

use serde_json::{Map, Value};

use signalr_proto::core::msgpack;

/// `CarPosition` / `CarPositionPatch` keys 0-67 (protocols.md §5.4): (C# name, short JSON name).
pub const CAR_POSITION_KEYS: [(&str, &str); 68] = [
    ("eventId", "eid"),
    ("sessionId", "sid"),
    ("number", "n"),
    ("transponderId", "tp"),
    ("class", "class"),
    ("bestTime", "bt"),
    ("bestLap", "bl"),
    ("isBestTime", "ibt"),
    ("isBestTimeClass", "btc"),
    ("inClassGap", "cg"),
    ("inClassDifference", "cd"),
    ("overallGap", "og"),
    ("overallDifference", "od"),
    ("totalTime", "ttm"),
    ("lastLapTime", "ltm"),
    ("lastLapCompleted", "llp"),
    ("pitStopCount", "psc"),
    ("lastLapPitted", "lastLapPitted"),
    ("lapsLedOverall", "llo"),
    ("lapsLedInClass", "llic"),
    ("overallPosition", "ovp"),
    ("classPosition", "clp"),
    ("overallStartingPosition", "osp"),
    ("overallPositionsGained", "opg"),
    ("inClassStartingPosition", "icsp"),
    ("inClassPositionsGained", "cpg"),
    ("isOverallMostPositionsGained", "ompg"),
    ("isClassMostPositionsGained", "cmpg"),
    ("penalityLaps", "pl"),
    ("penalityWarnings", "pw"),
    ("blackFlags", "bf"),
    ("isEnteredPit", "enp"),
    ("isPitStartFinish", "psf"),
    ("isExitedPit", "exp"),
    ("isInPit", "ip"),
    ("lapIncludedPit", "lip"),
    ("lastLoopName", "ln"),
    ("isStale", "st"),
    ("trackFlag", "flg"),
    ("localFlag", "lflg"),
    ("lapHadLocalFlag", "lhlf"),
    ("completedSections", "csec"),
    ("projectedLapTimeMs", "plt"),
    ("lapStartTime", "lstt"),
    ("driverName", "dn"),
    ("driverId", "did"),
    ("inCarVideo", "vid"),
    ("latitude", "lat"),
    ("longitude", "lon"),
    ("currentStatus", "mcs"),
    ("impactWarning", "iw"),
    ("inClassFastestAveragePace", "faic"),
    ("trackTempDegF", "temp"),
    ("trackPrecipitationPerc", "precip"),
    ("speedMph", "spd"),
    ("pitEntryTime", "pet"),
    ("pitDurationMs", "pdm"),
    ("speedViolation", "sv"),
    ("pitSpeedEnforced", "pse"),
    ("flaggingZone", "fz"),
    ("driverSource", "ds"),
    ("hasGps", "hg"),
    ("inClassGapByFastTime", "cgft"),
    ("inClassDifferenceByFastTime", "cdft"),
    ("overallGapByFastTime", "ogft"),
    ("overallDifferenceByFastTime", "odft"),
    ("lapPositionPercent", "lapposp"),
    ("signalBars", "sb"),
];

/// `SessionState` / `SessionStatePatch` keys 0-34 (no short names).
pub const SESSION_STATE_KEYS: [&str; 35] = [
    "eventId",
    "eventName",
    "sessionId",
    "sessionName",
    "lapsToGo",
    "timeToGo",
    "localTimeOfDay",
    "runningRaceTime",
    "isPracticeQualifying",
    "sessionStartTime",
    "sessionEndTime",
    "localTimeZoneOffset",
    "isLive",
    "eventEntries",
    "carPositions",
    "currentFlag",
    "flagDurations",
    "greenTimeMs",
    "greenLaps",
    "yellowTimeMs",
    "yellowLaps",
    "numberOfYellows",
    "redTimeMs",
    "averageRaceSpeed",
    "leadChanges",
    "sections",
    "classColors",
    "announcements",
    "lastUpdated",
    "classOrder",
    "isSimulation",
    "isArchived",
    "trackTempDegF",
    "trackPrecipitationPerc",
    "hasTelemetrySource",
];

/// The nested keyed types, each by its short JSON names in key order.
const EVENT_ENTRY_KEYS: [&str; 4] = ["no", "nm", "t", "c"];
const FLAG_DURATION_KEYS: [&str; 3] = ["f", "s", "e"];
const CONTROL_LOG_KEYS: [&str; 2] = ["cn", "entries"];
const CONTROL_LOG_ENTRY_KEYS: [&str; 11] =
    ["o", "t", "cor", "c1", "c1h", "c2", "c2h", "n", "s", "a", "on"];
const IN_CAR_KEYS: [&str; 5] = ["n", "p", "o", "f", "c"];
const CAR_STATUS_KEYS: [&str; 10] = ["n", "c", "t", "l", "gl", "g", "ct", "d", "id", "i"];

/// Members that are .NET `DateTime`s, per type: written as timestamp extensions.
const SESSION_DATE_TIMES: &[&str] = &["sessionStartTime", "sessionEndTime", "lastUpdated"];
const FLAG_DURATION_DATE_TIMES: &[&str] = &["s", "e"];
const CONTROL_LOG_ENTRY_DATE_TIMES: &[&str] = &["t"];

/// The MessagePack arguments array for one of the race's invocations, from its JSON arguments.
/// `None` when the JSON is not what the race builds.
pub fn arguments(target: &str, json_arguments: &str) -> Option<Vec<u8>> {
    let args: Vec<Value> = serde_json::from_str(json_arguments).ok()?;
    let converted: Vec<Value> = match target {
        "ReceiveCarPatches" => args.iter().map(|a| list(a, car)).collect(),
        "ReceiveSessionPatch" => args.iter().map(session).collect(),
        "ReceiveControlLog" => args.iter().map(control_log).collect(),
        "ReceiveInCarUpdateV2" => args.iter().map(in_car).collect(),
        _ => args,
    };
    let mut out = Vec::new();
    write(&mut out, &Value::Array(converted));
    Some(out)
}

/// A positional array is marked for the writer as `{"$keys": [items...]}`; see [`write`].
fn positional(
    object: &Value,
    keys: impl Iterator<Item = (&'static str, &'static str)>,
    date_times: &[&str],
) -> Value {
    let Value::Object(map) = object else { return object.clone() };
    let items = keys.map(|(long, short)| {
        let item = map.get(long).or_else(|| map.get(short)).cloned().unwrap_or(Value::Null);
        match item {
            Value::String(text) if date_times.contains(&long) => date_time(text),
            other => other,
        }
    });
    let mut marked = Map::new();
    marked.insert(POSITIONAL.into(), Value::Array(items.collect()));
    Value::Object(marked)
}

const POSITIONAL: &str = "$positional";
const TIMESTAMP: &str = "$timestamp";

fn short(keys: &'static [&'static str]) -> impl Iterator<Item = (&'static str, &'static str)> {
    keys.iter().map(|&k| (k, k))
}

/// How one nested item is converted.
type Convert = fn(&Value) -> Value;

fn list(value: &Value, each: Convert) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(each).collect()),
        other => other.clone(),
    }
}

fn car(value: &Value) -> Value {
    positional(value, CAR_POSITION_KEYS.into_iter(), &[])
}

fn session(value: &Value) -> Value {
    let mut value = value.clone();
    if let Value::Object(map) = &mut value {
        let nested: [(&str, Convert); 3] = [
            ("eventEntries", |v| positional(v, short(&EVENT_ENTRY_KEYS), &[])),
            ("carPositions", car),
            ("flagDurations", |v| {
                positional(v, short(&FLAG_DURATION_KEYS), FLAG_DURATION_DATE_TIMES)
            }),
        ];
        for (name, each) in nested {
            if let Some(item) = map.get_mut(name) {
                *item = list(item, each);
            }
        }
    }
    positional(&value, short(&SESSION_STATE_KEYS), SESSION_DATE_TIMES)
}

fn control_log(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(entries) = value.get_mut("entries") {
        *entries = list(entries, |e| {
            positional(e, short(&CONTROL_LOG_ENTRY_KEYS), CONTROL_LOG_ENTRY_DATE_TIMES)
        });
    }
    positional(&value, short(&CONTROL_LOG_KEYS), &[])
}

fn in_car(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(cars) = value.get_mut("c") {
        *cars = list(cars, |c| match c {
            Value::Null => Value::Null,
            car => positional(car, short(&CAR_STATUS_KEYS), &[]),
        });
    }
    positional(&value, short(&IN_CAR_KEYS), &[])
}

/// A `DateTime` the race wrote as RFC 3339 text; kept as text if it does not parse.
fn date_time(text: String) -> Value {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(&text, &Rfc3339) {
        Ok(t) => {
            let mut marked = Map::new();
            marked.insert(TIMESTAMP.into(), Value::from(t.unix_timestamp()));
            Value::Object(marked)
        }
        Err(_) => Value::String(text),
    }
}

/// Writes a converted value: the marker objects become arrays and timestamp extensions, the
/// rest is plain JSON-to-MessagePack.
fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key(POSITIONAL) => {
            let items = map[POSITIONAL].as_array().map(Vec::as_slice).unwrap_or_default();
            write_array(out, items);
        }
        Value::Object(map) if map.len() == 1 && map.contains_key(TIMESTAMP) => {
            let secs = map[TIMESTAMP].as_i64().unwrap_or_default();
            // timestamp 32 (fixext 4, type -1) covers 1970-2106; the race's dates fit.
            out.extend_from_slice(&[0xd6, 0xff]);
            out.extend_from_slice(&u32::try_from(secs).unwrap_or_default().to_be_bytes());
        }
        Value::Array(items) => write_array(out, items),
        other => out.extend_from_slice(&msgpack::json_value(other)),
    }
}

fn write_array(out: &mut Vec<u8>, items: &[Value]) {
    let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
    match len {
        0..=15 => out.push(0x90 | len as u8),
        16..=0xffff => {
            out.push(0xdc);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0xdd);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    items.iter().for_each(|item| write(out, item));
}
