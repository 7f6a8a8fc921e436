use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;
use crate::event::WireId;

fn ctx(record: u64) -> MessageContext {
    MessageContext {
        hub: "hpc".into(),
        source: "https://head/hpc".into(),
        wire: WireId { connection: "conn-2".into(), record },
        received: time::OffsetDateTime::UNIX_EPOCH,
    }
}

fn job_event(job: i64, state: &str, previous: &str) -> Event {
    let t = Transition {
        job,
        task: None,
        state,
        previous: Some(previous),
        terminal: JobState::parse(state).is_terminal(),
        reconciled: false,
    };
    t.event(&ctx(1), 0).unwrap()
}

fn task_event(job: i64, task: i64, instance: i64, state: &str) -> Event {
    let t = Transition {
        job,
        task: Some((task, instance)),
        state,
        previous: Some("Submitted"),
        terminal: false,
        reconciled: false,
    };
    t.event(&ctx(1), 0).unwrap()
}

fn rest(state: &str, tasks: &[(i64, i64, &str)]) -> RestJob {
    let tasks = tasks
        .iter()
        .map(|&(task_id, instance_id, state)| RestTask {
            task_id,
            instance_id,
            state: state.to_owned(),
        })
        .collect();
    RestJob { id: 17, state: state.to_owned(), tasks }
}

fn change(task: Option<(i64, i64)>, state: &str, previous: Option<&str>) -> Change {
    Change { job_id: 17, task, state: state.to_owned(), previous: previous.map(str::to_owned) }
}

/// A tracker that saw job 17 Running with task 1 Running.
fn running(now: Instant) -> JobTracker {
    let mut tracker = JobTracker::new(Duration::from_secs(300));
    tracker.observe(&job_event(17, "Running", "Queued"), now);
    tracker.observe(&task_event(17, 1, 0, "Running"), now);
    tracker
}

#[test]
fn diff_is_empty_when_rest_equals_last_seen() {
    let now = Instant::now();
    let tracker = running(now);
    // State names compare as the scheduler does: ignoring case.
    assert_eq!(tracker.diff(17, &rest("running", &[(1, 0, "RUNNING")]), now), []);
}

#[test]
fn diff_reports_job_change_first_while_running() {
    let now = Instant::now();
    let mut tracker = JobTracker::new(Duration::from_secs(300));
    tracker.observe(&job_event(17, "Queued", "Validating"), now);
    tracker.observe(&task_event(17, 1, 0, "Queued"), now);
    let changes = tracker.diff(17, &rest("Running", &[(1, 0, "Running")]), now);
    assert_eq!(
        changes,
        [change(None, "Running", Some("Queued")), change(Some((1, 0)), "Running", Some("Queued"))]
    );
}

#[test]
fn diff_reports_ended_job_after_its_tasks() {
    let now = Instant::now();
    let tracker = running(now);
    let changes = tracker.diff(17, &rest("Finished", &[(1, 0, "Finished")]), now);
    assert_eq!(
        changes,
        [
            change(Some((1, 0)), "Finished", Some("Running")),
            change(None, "Finished", Some("Running"))
        ]
    );
}

#[test]
fn diff_reports_unseen_task_and_job_from_null() {
    let now = Instant::now();
    let tracker = running(now);
    let changes = tracker.diff(17, &rest("Running", &[(1, 0, "Running"), (2, 3, "queued")]), now);
    assert_eq!(changes, [change(Some((2, 3)), "Queued", None)]);
    let fresh = JobTracker::new(Duration::from_secs(300));
    assert_eq!(fresh.diff(17, &rest("Queued", &[]), now), [change(None, "Queued", None)]);
}

#[test]
fn observed_reconciled_events_are_not_reported_again() {
    let now = Instant::now();
    let mut tracker = running(now);
    let after = rest("Finished", &[(1, 0, "Finished"), (2, 0, "Finished")]);
    let events = to_events(&ctx(9), &tracker.diff(17, &after, now));
    assert_eq!(events.len(), 3);
    for event in &events {
        tracker.observe(event, now);
    }
    assert_eq!(tracker.diff(17, &after, now), []);
}

#[test]
fn jobs_to_listen_drops_jobs_ended_longer_than_configured() {
    let start = Instant::now();
    let mut tracker = JobTracker::new(Duration::from_secs(300));
    tracker.observe(&job_event(17, "Running", "Queued"), start);
    tracker.observe(&job_event(18, "Finished", "Running"), start);
    let later = start + Duration::from_secs(120);
    // A second terminal event does not restart the clock.
    tracker.observe(&job_event(18, "Finished", "Finishing"), later);
    tracker.observe(&job_event(19, "Failed", "Running"), later);
    let configured = [17, 18, 19, 20];
    assert_eq!(tracker.jobs_to_listen(&configured, start + Duration::from_secs(299)), configured);
    let expired = start + Duration::from_secs(300);
    assert_eq!(tracker.jobs_to_listen(&configured, expired), [17, 19, 20]);
    // A job no longer listened to is not reconciled either.
    assert_eq!(tracker.diff(18, &rest("Running", &[]), expired), []);
    // A requeue seen before the time is up keeps the job listened.
    tracker.observe(&job_event(19, "Queued", "Failed"), later + Duration::from_secs(10));
    assert_eq!(tracker.jobs_to_listen(&configured, later + Duration::from_secs(600)), [17, 19, 20]);
}

fn validator(kind: EventType) -> jsonschema::Validator {
    let path = format!("{}/schemas/{}.json", env!("CARGO_MANIFEST_DIR"), kind.as_str());
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

#[test]
fn to_events_match_live_shape_and_validate() {
    let changes =
        [change(Some((2, 0)), "Finished", None), change(None, "Finished", Some("Running"))];
    let events = to_events(&ctx(9), &changes);
    let task = &events[0];
    assert_eq!(task.kind, EventType::HpcTaskStateChanged);
    assert_eq!((task.id.as_str(), task.subject.as_str()), ("conn-2:9", "jobs/17/tasks/2"));
    assert_eq!(task.partition_key, "17");
    let data: Value = serde_json::from_str(task.data.get()).unwrap();
    assert_eq!(
        data,
        json!({"jobId": 17, "taskId": 2, "instanceId": 0, "state": "Finished",
               "previousState": null, "terminal": true, "reconciled": true})
    );
    let job = &events[1];
    assert_eq!((job.id.as_str(), job.subject.as_str()), ("conn-2:9:1", "jobs/17"));
    let data: Value = serde_json::from_str(job.data.get()).unwrap();
    assert_eq!(data["previousState"], "Running");
    assert_eq!(data["reconciled"], true);
    for event in &events {
        let envelope: Value = serde_json::from_slice(&event.to_json()).unwrap();
        let validator = validator(event.kind);
        let errors: Vec<String> = validator.iter_errors(&envelope).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", event.kind.as_str());
    }
}

#[test]
fn profile_tracker_uses_configured_stop_time_and_subscribes_listed_jobs() {
    let hub: crate::config::HubConfig = serde_json::from_value(json!({
        "name": "hpc", "url": "https://head/hpc", "dialect": "classic", "profile": "hpc_pack",
        "hpc_pack": {"job_ids": [17, 18], "stop_listening_after_terminal_secs": 5},
    }))
    .unwrap();
    let hpc = super::super::HpcPack::from_config(&hub);
    let start = Instant::now();
    let mut tracker = hpc.tracker();
    tracker.observe(&job_event(17, "Canceled", "Running"), start);
    let listened = tracker.jobs_to_listen(hpc.job_ids(), start + Duration::from_secs(5));
    assert_eq!(listened, [18]);
    let shown: Vec<String> =
        hpc.subscriptions_for(&listened).into_iter().map(|s| s.display).collect();
    assert_eq!(shown, ["JobEventHub.BeginListen(18)", "TaskEventHub.BeginListen(18)"]);
}
