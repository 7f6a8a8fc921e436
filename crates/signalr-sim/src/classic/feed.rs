//! A benchmark feed for the classic simulator: HPC Pack `JobStateChange` / `TaskStateChange`
//! messages of a seeded scheduler, one persistent-response envelope (`M` frame) per scheduler
//! step as the real server writes them, rendered once and sent in a loop to every connection
//! that listens to a job, as fast as their transports take them or at a fixed rate.
//!
//! Every frame gets a cursor of its own (`C`), since clients derive event ids from it. The
//! frames bypass groups and the replay buffer: the feed is for throughput and latency, not for
//! reconnect tests. The send stamp goes into the cursor, which is opaque to clients
//! (`d-<prefix>-B,<frame>|C,<stamp>`), not into the messages: every argument of a state change
//! is either a key consumers track state by (job, task, instance) or a state name, and a stamp
//! there would change what is measured. A consumer that keeps the cursor in its event ids, as
//! the bridge does, carries the stamp to the broker ([`read_stamp`]); a client that hides the
//! cursor (node-signalr) cannot.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::hpc::{HpcEvent, HpcModel};
use super::session::Out;
use super::state::Shared;
use super::{wire, JOB_HUB, TASK_HUB};
use crate::feed::{FeedPlan, FeedStats};

/// Digits of a stamp: a leading 1, then nanoseconds since the feed's epoch in 15 digits.
pub const STAMP_LEN: usize = 16;
const STAMP_BASE: u64 = 1_000_000_000_000_000;

/// The `M` items of one scheduler step.
struct Template {
    items: String,
    events: u64,
}

/// Scheduler steps rendered ahead of time, sent in a loop.
pub struct HpcFeed {
    templates: Vec<Template>,
}

impl HpcFeed {
    /// `frames` steps of a seeded scheduler running jobs of `tasks_per_job` tasks.
    pub fn jobs(seed: u64, tasks_per_job: u32, frames: usize) -> HpcFeed {
        let mut model = HpcModel::new(seed, "feed");
        let mut templates = Vec::with_capacity(frames);
        while templates.len() < frames {
            let events = model.tick(tasks_per_job);
            if !events.is_empty() {
                templates.push(Template::render(&events));
            }
        }
        HpcFeed { templates }
    }

    /// Frames in one pass.
    pub fn frames(&self) -> usize {
        self.templates.len()
    }

    /// Hub messages (events) in one pass.
    pub fn events(&self) -> u64 {
        self.templates.iter().map(|t| t.events).sum()
    }
}

impl Template {
    fn render(events: &[HpcEvent]) -> Template {
        let items: Vec<String> = events
            .iter()
            .map(|event| match event {
                HpcEvent::Job { job, state, previous } => {
                    let args = format!(r#"[{job},"{state}","{previous}"]"#);
                    wire::invocation_item(JOB_HUB, "JobStateChange", &args)
                }
                HpcEvent::Task { job, task, instance, state, previous } => {
                    let args = format!(r#"[{job},{task},{instance},"{state}","{previous}"]"#);
                    wire::invocation_item(TASK_HUB, "TaskStateChange", &args)
                }
            })
            .collect();
        Template { items: items.join(","), events: events.len() as u64 }
    }

    /// The whole frame with cursor `cursor`.
    fn frame(&self, cursor: &str) -> String {
        let mut out = String::with_capacity(self.items.len() + cursor.len() + 16);
        out.push_str(r#"{"C":""#);
        out.push_str(cursor);
        out.push_str(r#"","M":["#);
        out.push_str(&self.items);
        out.push_str("]}");
        out
    }
}

fn encode_stamp(nanos: u64) -> String {
    format!("{:016}", STAMP_BASE + nanos % STAMP_BASE)
}

/// The stamp in one published HPC event's id (`d-<prefix>-B,<frame>|C,<stamp>:<position>`), as
/// nanoseconds since the feed's epoch; `None` for ids without one.
pub fn read_stamp(event: &[u8]) -> Option<u64> {
    let key = b"\"id\":\"d-";
    let start = memchr::memmem::find(event, key)? + key.len();
    let id = &event[start..start + memchr::memchr(b'"', &event[start..])?];
    let at = memchr::memmem::find(id, b"|C,")? + 3;
    let digits = id.get(at..at + STAMP_LEN)?;
    let end_ok = id.get(at + STAMP_LEN).is_none_or(|b| !b.is_ascii_digit());
    if !end_ok || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    value.checked_sub(STAMP_BASE)
}

/// Sends the feed until cancelled.
pub(super) async fn run(
    shared: Arc<Shared>,
    feed: Arc<HpcFeed>,
    plan: FeedPlan,
    stats: Arc<FeedStats>,
) {
    let start = Instant::now();
    let mut live = shared.watch_live();
    let mut targets = shared.feed_senders();
    let mut sent_events: u64 = 0;
    for (n, template) in feed.templates.iter().cycle().enumerate() {
        if plan.events_per_sec > 0 {
            let due =
                start + Duration::from_secs_f64(sent_events as f64 / plan.events_per_sec as f64);
            if due > Instant::now() + Duration::from_micros(500) {
                tokio::time::sleep_until(due).await;
            }
        }
        while targets.is_empty() || live.has_changed().unwrap_or(false) {
            live.borrow_and_update();
            targets = shared.feed_senders();
            if targets.is_empty() {
                // Nobody listening yet (or a transport is being replaced): look again shortly.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let stamp = encode_stamp(plan.epoch.elapsed().as_nanos() as u64);
        let cursor = format!("d-{}-B,{}|C,{stamp}", shared.prefix, n + 1);
        let frame: Arc<str> = template.frame(&cursor).into();
        for tx in &targets {
            // Waits for room: a fast feed is held back by its slowest reader, not dropped.
            if tx.send(Out::Frame(frame.clone())).await.is_err() {
                targets = Vec::new();
                break;
            }
        }
        sent_events += template.events;
        stats.records.fetch_add(1, Ordering::Relaxed);
        stats.events.fetch_add(template.events, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_and_carry_the_stamp_in_their_cursor() {
        let feed = HpcFeed::jobs(7, 2, 200);
        assert_eq!(feed.frames(), 200);
        for t in &feed.templates {
            let cursor = format!("d-AB-B,1|C,{}", encode_stamp(0xabc));
            let value: serde_json::Value = serde_json::from_str(&t.frame(&cursor)).unwrap();
            assert_eq!(value["M"].as_array().unwrap().len() as u64, t.events);
            let id = format!(r#"{{"id":"{}:2","x":1}}"#, value["C"].as_str().unwrap());
            assert_eq!(read_stamp(id.as_bytes()), Some(0xabc));
        }
    }

    #[test]
    fn stamps_round_trip_through_an_event_id() {
        for nanos in [0, 1, 123_456_789, STAMP_BASE - 1] {
            let event = format!(r#"{{"id":"d-AB-B,7|C,{}:0","x":1}}"#, encode_stamp(nanos));
            assert_eq!(read_stamp(event.as_bytes()), Some(nanos));
        }
        assert_eq!(read_stamp(br#"{"id":"d-AB-B,7|C,1:0"}"#), None);
        assert_eq!(read_stamp(br#"{"id":"abc:1:0","instanceId":1000000000000001}"#), None);
    }
}
