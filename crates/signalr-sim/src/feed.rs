//! A benchmark feed: the race's `ReceiveCarPatches` records rendered once, up front, then sent
//! to every subscriber of the event group as fast as their queues take them, or at a fixed rate
//! of events a second. Each car patch carries a send stamp (nanoseconds since the feed's epoch,
//! 16 hex digits in the otherwise unused `lastLoopName` member) written into the pre-rendered
//! bytes just before the record is queued, so whoever reads the published events back can tell
//! how long each took from the hub to them, whatever carried it (the bridge, or a peer's glue).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use signalr_proto::core::HubProtocol;
use tokio::time::Instant;

use super::frame;
use super::race::{positional, Group, Race};
use super::state::{Outgoing, Shared};

/// The car member that carries the stamp (the race never sets it).
pub const STAMP_FIELD: &str = "lastLoopName";
/// Hex digits in a stamp.
pub const STAMP_LEN: usize = 16;
/// What stands for the stamp in a rendered record until it is sent.
const PLACEHOLDER: &str = "@@@@@@@@@@@@@@@@";

/// One pre-rendered record in both protocols, with where its stamps go.
struct Template {
    json: Vec<u8>,
    json_stamps: Vec<usize>,
    msgpack: Vec<u8>,
    msgpack_stamps: Vec<usize>,
    events: u64,
}

/// `ReceiveCarPatches` records rendered ahead of time, sent in a loop.
pub struct Feed {
    templates: Vec<Template>,
}

impl Feed {
    /// `records` car-patch records of a seeded race of `cars` cars in `event_id`.
    pub fn car_patches(event_id: i64, cars: u32, seed: u64, records: usize) -> Feed {
        let mut race = Race::new(event_id, cars, seed);
        let mut templates = Vec::with_capacity(records);
        while templates.len() < records {
            for invocation in race.tick() {
                if invocation.target != "ReceiveCarPatches" {
                    continue;
                }
                if let Some(template) = Template::render(invocation.target, &invocation.arguments) {
                    templates.push(template);
                }
            }
        }
        Feed { templates }
    }

    /// Records in one pass.
    pub fn records(&self) -> usize {
        self.templates.len()
    }

    /// Car patches (events) in one pass.
    pub fn events(&self) -> u64 {
        self.templates.iter().map(|t| t.events).sum()
    }

    /// Bytes of one pass over the JSON protocol.
    pub fn json_bytes(&self) -> usize {
        self.templates.iter().map(|t| t.json.len()).sum()
    }
}

impl Template {
    fn render(target: &str, arguments: &str) -> Option<Template> {
        let mut args: Vec<serde_json::Value> = serde_json::from_str(arguments).ok()?;
        let cars = args.first_mut()?.as_array_mut()?;
        for car in cars.iter_mut() {
            car.as_object_mut()?.insert(STAMP_FIELD.into(), PLACEHOLDER.into());
        }
        let events = cars.len() as u64;
        let arguments = serde_json::to_string(&args).ok()?;
        let json = frame::invocation_record(target, &arguments).into_bytes();
        let msgpack =
            frame::msgpack::invocation_record(target, &positional::arguments(target, &arguments)?);
        let find = |bytes: &[u8]| -> Vec<usize> {
            memchr::memmem::find_iter(bytes, PLACEHOLDER.as_bytes()).collect()
        };
        let (json_stamps, msgpack_stamps) = (find(&json), find(&msgpack));
        let whole = json_stamps.len() as u64 == events && msgpack_stamps.len() as u64 == events;
        whole.then_some(Template { json, json_stamps, msgpack, msgpack_stamps, events })
    }

    fn stamped(bytes: &[u8], at: &[usize], stamp: &[u8; STAMP_LEN]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for &offset in at {
            out[offset..offset + STAMP_LEN].copy_from_slice(stamp);
        }
        out
    }
}

/// How fast, and against which clock.
#[derive(Debug, Clone, Copy)]
pub struct FeedPlan {
    /// Car patches a second, over all subscribers' shared stream; 0: as fast as they read.
    pub events_per_sec: u64,
    /// Stamps count nanoseconds from here.
    pub epoch: std::time::Instant,
}

/// What a running feed has queued so far (every subscriber gets each record).
#[derive(Debug, Default)]
pub struct FeedStats {
    pub records: AtomicU64,
    pub events: AtomicU64,
}

/// The stamp in one published event's bytes (the first one found), as nanoseconds since the
/// feed's epoch.
pub fn read_stamp(event: &[u8]) -> Option<u64> {
    let key = b"\"lastLoopName\":\"";
    let start = memchr::memmem::find(event, key)? + key.len();
    let hex = std::str::from_utf8(event.get(start..start + STAMP_LEN)?).ok()?;
    u64::from_str_radix(hex, 16).ok()
}

fn encode_stamp(nanos: u64) -> [u8; STAMP_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; STAMP_LEN];
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = HEX[((nanos >> (4 * (STAMP_LEN - 1 - i))) & 0xf) as usize];
    }
    out
}

/// Sends the feed to the event group until cancelled.
pub(super) async fn run(
    shared: Arc<Shared>,
    feed: Arc<Feed>,
    plan: FeedPlan,
    stats: Arc<FeedStats>,
) {
    let group = Group::Event(shared.config.event_id);
    let start = Instant::now();
    let mut connections = shared.watch_connection_count();
    let mut targets = shared.members(&group);
    let mut sent_events: u64 = 0;
    for template in feed.templates.iter().cycle() {
        if shared.cancel.is_cancelled() {
            return;
        }
        if plan.events_per_sec > 0 {
            let due =
                start + Duration::from_secs_f64(sent_events as f64 / plan.events_per_sec as f64);
            if due > Instant::now() + Duration::from_micros(500) {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = shared.cancel.cancelled() => return,
                }
            }
        }
        if connections.has_changed().unwrap_or(false) {
            connections.borrow_and_update();
            targets = shared.members(&group);
        }
        let stamp = encode_stamp(plan.epoch.elapsed().as_nanos() as u64);
        let msgpack = targets
            .iter()
            .any(|c| c.protocol == HubProtocol::MessagePack)
            .then(|| Template::stamped(&template.msgpack, &template.msgpack_stamps, &stamp).into());
        let needs_json = targets.iter().any(|c| c.protocol == HubProtocol::Json);
        let json = if needs_json {
            let bytes = Template::stamped(&template.json, &template.json_stamps, &stamp);
            String::from_utf8(bytes).unwrap_or_default().into()
        } else {
            "".into()
        };
        shared.send_to(&targets, Outgoing::new(json, msgpack), "ReceiveCarPatches").await;
        sent_events += template.events;
        stats.records.fetch_add(1, Ordering::Relaxed);
        stats.events.fetch_add(template.events, Ordering::Relaxed);
        if targets.is_empty() {
            // Nobody subscribed yet: wait for someone rather than spin.
            tokio::select! {
                _ = connections.changed() => {}
                _ = shared.cancel.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_car_patch_gets_a_stamp_in_both_protocols() {
        let feed = Feed::car_patches(42, 12, 3, 50);
        assert_eq!(feed.records(), 50);
        assert!(feed.events() >= 50);
        for t in &feed.templates {
            let json = Template::stamped(&t.json, &t.json_stamps, &encode_stamp(0xabc));
            let text = std::str::from_utf8(&json).unwrap();
            assert!(!text.contains('@'), "{text}");
            assert_eq!(read_stamp(&json), Some(0xabc));
            let record = &text[..text.len() - 1];
            let value: serde_json::Value = serde_json::from_str(record).unwrap();
            assert_eq!(value["arguments"][0].as_array().unwrap().len() as u64, t.events);
            let mp = Template::stamped(&t.msgpack, &t.msgpack_stamps, &encode_stamp(0xabc));
            assert_eq!(
                memchr::memmem::find_iter(&mp, b"0000000000000abc").count() as u64,
                t.events
            );
        }
    }

    #[test]
    fn stamps_round_trip() {
        for nanos in [0, 1, 0xdead_beef, u64::MAX] {
            let event = format!("{{\"x\":1,\"lastLoopName\":\"{}\"}}", {
                String::from_utf8(encode_stamp(nanos).to_vec()).unwrap()
            });
            assert_eq!(read_stamp(event.as_bytes()), Some(nanos));
        }
        assert_eq!(read_stamp(b"{\"lastLoopName\":\"12\"}"), None);
        assert_eq!(read_stamp(b"{}"), None);
    }
}
