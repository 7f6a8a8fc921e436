//! The HPC Pack profile: `JobStateChange` and `TaskStateChange` (and anything else a classic
//! hub may send) from either hub, or from the Core path that names no hub.
//!
//! Input: `hub\ntarget\narguments`; an empty hub line is the Core path. Invariants: no panic;
//! on error nothing is added to the output and the error has a metric reason; a known change is
//! one event under `jobs/{id}` (or `jobs/{id}/tasks/{task}`) keyed by the job id, with
//! `terminal` only on a terminal state; an unknown target is one generic event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use signalr_bridge::profile::{Normalized, Profile};
use signalr_bridge_fuzz::{check_events, context, earlier_event, hub_config};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(3, '\n');
    let (Some(hub), Some(target), Some(arguments)) = (lines.next(), lines.next(), lines.next())
    else {
        return;
    };
    let Ok(arguments) = RawValue::from_string(arguments.to_owned()) else { return };
    let hub = (!hub.is_empty()).then_some(hub);
    let profile = Profile::from_config(&hub_config(serde_json::json!({
        "name": "hpc", "url": "https://head/hpc", "dialect": "classic", "profile": "hpc_pack",
        "hpc_pack": { "job_ids": [17] },
    })));
    let ctx = context();
    let mut out = vec![earlier_event(&ctx)];
    match profile.normalize_in_hub(&ctx, hub, target, &arguments, &mut out) {
        Ok(outcome) => {
            assert_eq!(out.len(), 2, "one event per invocation");
            let event = &out[1];
            if outcome == Normalized::UnknownTarget {
                assert!(event.subject.starts_with("targets/"), "{}", event.subject);
            } else {
                let data: serde_json::Value = serde_json::from_str(event.data.get()).unwrap();
                let job = data["jobId"].as_i64().expect("a job id");
                assert_eq!(event.partition_key, job.to_string());
                match data.get("taskId") {
                    Some(task) => assert_eq!(event.subject, format!("jobs/{job}/tasks/{task}")),
                    None => assert_eq!(event.subject, format!("jobs/{job}")),
                }
                let terminal =
                    matches!(data["state"].as_str(), Some("Finished" | "Failed" | "Canceled"));
                assert_eq!(data["terminal"], terminal, "{data}");
            }
        }
        Err(error) => {
            assert!(!error.reason().is_empty());
            assert_eq!(out.len(), 1, "nothing is kept from an invocation that fails: {error}");
        }
    }
    check_events(&out[1..]);
});
