//! Throughput of the hot path, frame -> records -> typed decode -> CloudEvents bytes, with a null
//! sink, against "the limit": a loop that only parses the same frames with serde_json (and, for
//! the MessagePack rows, with the MessagePack reader).
//!
//! Run: `cargo bench --bench pipeline` (prints a Markdown table; BENCHMARKS.md records it).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use signalr_bridge::config::{HpcPackConfig, HubConfig, RedMistConfig};
use signalr_bridge::event::WireId;
use signalr_bridge::profile::{MessageContext, Profile};
use signalr_bridge::signalr::classic;
use signalr_proto::core::{json, HubMessage};
use signalr_sim::race::{Race, SimInvocation};

#[path = "pipeline/msgpack.rs"]
mod msgpack;

/// The allocator the `signalr-bridge` binary ships with (src/main.rs), so the bridge rows
/// measure what runs in production; the limits run under it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `cargo bench` passes `--bench`; under `cargo test` the binary runs as a quick smoke check
/// (the same path and assertions, few frames, one run).
fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `count` frames rendered by `render` from the race model's `ReceiveCarPatches` invocations
/// (one record per frame), and the car patches they hold.
pub fn car_patches<T>(
    count: usize,
    mut render: impl FnMut(&SimInvocation) -> T,
) -> (Vec<T>, usize) {
    let mut race = Race::new(42, 24, 7);
    let mut frames = Vec::with_capacity(count);
    let mut cars = 0;
    while frames.len() < count {
        for inv in race.tick() {
            if inv.target == "ReceiveCarPatches" {
                let args: Vec<serde_json::Value> = serde_json::from_str(&inv.arguments).unwrap();
                cars += args[0].as_array().map_or(0, |a| a.len());
                frames.push(render(&inv));
            }
        }
    }
    (frames, cars)
}

/// `ReceiveCarPatches` frames as the simulator's race model writes them over JSON.
fn car_patch_frames(count: usize) -> (Vec<String>, usize) {
    car_patches(count, |inv| {
        format!(
            "{{\"type\":1,\"target\":\"ReceiveCarPatches\",\"arguments\":{}}}\u{1e}",
            inv.arguments
        )
    })
}

fn redmist_profile() -> Profile {
    let hub: HubConfig = serde_json::from_value(serde_json::json!({
        "name": "bench",
        "url": "http://127.0.0.1:5080/status/event-status",
        "profile": "redmist",
    }))
    .unwrap();
    let hub = HubConfig {
        redmist: Some(RedMistConfig { event_ids: vec![42], ..Default::default() }),
        ..hub
    };
    Profile::from_config(&hub)
}

/// The bridge's path; returns events produced.
fn bridge(frames: &[String], profile: &Profile) -> usize {
    let connection: Arc<str> = Arc::from("bench-connection");
    let (hub, source): (Arc<str>, Arc<str>) = (Arc::from("bench"), Arc::from("http://127.0.0.1/"));
    let mut pending = String::new();
    let mut events = Vec::with_capacity(64);
    let mut bytes = Vec::with_capacity(4096);
    let mut record_seq = 0u64;
    let mut produced = 0;
    for frame in frames {
        json::split_records(&mut pending, frame, |record| {
            record_seq += 1;
            if let Ok(HubMessage::Invocation { target, arguments, .. }) = json::parse_record(record)
            {
                let ctx = MessageContext {
                    hub: hub.clone(),
                    source: source.clone(),
                    wire: WireId { connection: connection.clone(), record: record_seq },
                    received: time::OffsetDateTime::now_utc(),
                };
                let _ = profile.normalize_args(&ctx, None, &target, arguments, &mut events);
            }
        });
        for event in events.drain(..) {
            bytes.clear();
            event.write_json(&mut bytes);
            black_box(&bytes);
            produced += 1;
        }
    }
    produced
}

fn limit_value(frames: &[String]) -> usize {
    for f in frames {
        black_box(serde_json::from_str::<serde_json::Value>(&f[..f.len() - 1]).unwrap());
    }
    frames.len()
}

fn limit_ignored(frames: &[String]) -> usize {
    for f in frames {
        black_box(serde_json::from_str::<serde::de::IgnoredAny>(&f[..f.len() - 1]).unwrap());
    }
    frames.len()
}

/// HPC Pack frames as a classic server writes them: one envelope per frame with its cursor, job
/// transitions on JobEventHub and (three times as many) task transitions on TaskEventHub.
fn hpc_frames(count: usize) -> Vec<String> {
    const JOB: [&str; 6] =
        ["Configuring", "Submitted", "Validating", "Queued", "Running", "Finished"];
    const TASK: [&str; 6] =
        ["Submitted", "Queued", "Dispatching", "Running", "Finishing", "Finished"];
    (0..count)
        .map(|n| {
            let job = 1000 + n / 20;
            let step = n % 5;
            let item = if n % 4 == 0 {
                format!(r#"{{"H":"JobEventHub","M":"JobStateChange","A":[{job},"{}","{}"]}}"#, JOB[step + 1], JOB[step])
            } else {
                let task = 1 + n % 8;
                format!(r#"{{"H":"TaskEventHub","M":"TaskStateChange","A":[{job},{task},0,"{}","{}"]}}"#, TASK[step + 1], TASK[step])
            };
            format!(r#"{{"C":"d-7F2E11C0-B,{n}|C,1","M":[{item}]}}"#)
        })
        .collect()
}

fn hpc_profile() -> Profile {
    let hub: HubConfig = serde_json::from_value(serde_json::json!({
        "name": "bench", "url": "https://head/hpc", "dialect": "classic", "profile": "hpc_pack",
    }))
    .unwrap();
    let hpc: HpcPackConfig =
        serde_json::from_value(serde_json::json!({"job_ids": [1000]})).unwrap();
    Profile::from_config(&HubConfig { hpc_pack: Some(hpc), ..hub })
}

/// The classic path: frame -> envelope -> typed decode per item -> bytes.
fn bridge_hpc(frames: &[String], profile: &Profile) -> usize {
    let (hub, source): (Arc<str>, Arc<str>) = (Arc::from("bench"), Arc::from("https://head/hpc"));
    let mut events = Vec::with_capacity(8);
    let mut bytes = Vec::with_capacity(1024);
    let mut produced = 0;
    for frame in frames {
        let Ok(signalr_proto::classic::frame::Frame::Envelope(env)) =
            signalr_proto::classic::frame::parse_frame(frame)
        else {
            continue;
        };
        let cursor = env.cursor.as_deref().unwrap_or_default();
        for (position, item) in env.messages.iter().flatten().enumerate() {
            if let signalr_proto::classic::frame::Item::Invocation {
                hub: h,
                method,
                arguments,
                ..
            } = item
            {
                let ctx = MessageContext {
                    hub: hub.clone(),
                    source: source.clone(),
                    wire: classic::wire_id(cursor, position),
                    received: time::OffsetDateTime::now_utc(),
                };
                let _ = profile.normalize_in_hub(&ctx, Some(h), method, arguments, &mut events);
            }
        }
        for event in events.drain(..) {
            bytes.clear();
            event.write_json(&mut bytes);
            black_box(&bytes);
            produced += 1;
        }
    }
    produced
}

/// A named limit loop over frames; returns frames parsed.
type Limit = (&'static str, fn(&[String]) -> usize);

/// Median, min and max of items per second over `runs` runs.
fn measure(runs: usize, mut run: impl FnMut() -> usize) -> (f64, f64, f64, usize) {
    run(); // warm-up
    let mut rates = Vec::new();
    let mut items = 0;
    for _ in 0..runs {
        let start = Instant::now();
        items = run();
        let secs = start.elapsed().max(Duration::from_nanos(1)).as_secs_f64();
        rates.push(items as f64 / secs);
    }
    rates.sort_by(f64::total_cmp);
    (rates[runs / 2], rates[0], rates[runs - 1], items)
}

fn main() {
    let (frame_count, runs) = if full_run() { (20_000, 5) } else { (500, 1) };
    let (frames, cars) = car_patch_frames(frame_count);
    let bytes: usize = frames.iter().map(String::len).sum();
    let profile = redmist_profile();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## RedMist ReceiveCarPatches (ASP.NET Core JSON)\n");
    println!("RedMist ReceiveCarPatches: {} frames, {cars} car patches, {bytes} bytes; 1 thread of {cpus}; median of {runs} runs (min-max)\n", frames.len());
    println!("| path | frames/s | events/s | MB/s |");
    println!("|---|---|---|---|");
    let per_frame = cars as f64 / frames.len() as f64;
    let mb = bytes as f64 / frames.len() as f64 / 1e6;
    let (med, lo, hi, produced) = measure(runs, || bridge(&frames, &profile));
    assert_eq!(produced, cars, "one event per car patch");
    let fps = |ev: f64| ev / per_frame;
    println!(
        "| bridge: frame -> event -> bytes (null sink) | {:.0} | {:.0} ({:.0}-{:.0}) | {:.1} |",
        fps(med),
        med,
        lo,
        hi,
        fps(med) * mb
    );
    let bridge_fps = fps(med);
    if std::env::var_os("BENCH_BRIDGE_ONLY").is_some() {
        return; // for profiling the bridge path alone
    }
    let limits: [Limit; 2] = [
        ("limit: serde_json -> IgnoredAny (parse only)", limit_ignored),
        ("limit: serde_json -> Value", limit_value),
    ];
    for (name, f) in limits {
        let (med, lo, hi, _) = measure(runs, || f(&frames));
        println!(
            "| {name} | {med:.0} ({lo:.0}-{hi:.0}) | {:.0} | {:.1} | ",
            med * per_frame,
            med * mb
        );
        println!("|  bridge / this limit (frames) | {:.2} | | |", bridge_fps / med);
    }
    msgpack_rows(frame_count, runs, cars, bridge_fps, &profile);
    hpc_table(frame_count, runs, limits);
}

/// A named MessagePack limit loop over frames.
type MsgPackLimit = (&'static str, fn(&[Vec<u8>]) -> usize);

/// The same car patches over the MessagePack hub protocol, in the same table.
fn msgpack_rows(frame_count: usize, runs: usize, cars: usize, json_fps: f64, profile: &Profile) {
    let (frames, mp_cars) = msgpack::car_patch_frames(frame_count);
    assert_eq!(mp_cars, cars, "the same race");
    let per_frame = cars as f64 / frames.len() as f64;
    let mb = frames.iter().map(Vec::len).sum::<usize>() as f64 / frames.len() as f64 / 1e6;
    let (med, lo, hi, produced) = measure(runs, || msgpack::bridge(&frames, profile));
    assert_eq!(produced, cars, "one event per car patch");
    let fps = med / per_frame;
    println!(
        "| MessagePack bridge: frame -> event -> bytes | {fps:.0} | {med:.0} ({lo:.0}-{hi:.0}) | {:.1} |",
        fps * mb
    );
    println!("|  MessagePack bridge / JSON bridge (frames) | {:.2} | | |", fps / json_fps);
    let limits: [MsgPackLimit; 2] = [
        ("limit: MessagePack -> skip (parse only)", msgpack::limit_skip),
        ("limit: MessagePack -> serde_json::Value", msgpack::limit_value),
    ];
    for (name, f) in limits {
        let (lmed, llo, lhi, _) = measure(runs, || f(&frames));
        println!(
            "| {name} | {lmed:.0} ({llo:.0}-{lhi:.0}) | {:.0} | {:.1} |",
            lmed * per_frame,
            lmed * mb
        );
        println!("|  MessagePack bridge / this limit (frames) | {:.2} | | |", fps / lmed);
    }
}

fn hpc_table(frame_count: usize, runs: usize, limits: [Limit; 2]) {
    let frames = hpc_frames(frame_count);
    let bytes: usize = frames.iter().map(String::len).sum();
    let profile = hpc_profile();
    println!("\n## HPC Pack job and task state changes (classic SignalR)\n");
    println!(
        "{} frames, one event each, {bytes} bytes; 1 thread; median of {runs} runs (min-max)\n",
        frames.len()
    );
    println!("| path | events/s | MB/s |");
    println!("|---|---|---|");
    let mb = bytes as f64 / frames.len() as f64 / 1e6;
    let (med, lo, hi, produced) = measure(runs, || bridge_hpc(&frames, &profile));
    assert_eq!(produced, frames.len(), "one event per frame");
    println!(
        "| bridge: frame -> event -> bytes (null sink) | {med:.0} ({lo:.0}-{hi:.0}) | {:.1} |",
        med * mb
    );
    for (name, f) in limits {
        // The limit loops strip a trailing separator; classic frames have none, so add one.
        let framed: Vec<String> = frames.iter().map(|f| format!("{f}\u{1e}")).collect();
        let (lmed, llo, lhi, _) = measure(runs, || f(&framed));
        println!("| {name} | {lmed:.0} ({llo:.0}-{lhi:.0}) | {:.1} |", lmed * mb);
        println!("|  bridge / this limit | {:.2} | |", med / lmed);
    }
}
