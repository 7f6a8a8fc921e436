//! End to end for the classic dialect: the bridge in-process against the classic simulator
//! (HPC Pack personality), publishing to a real file.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;
use signalr_bridge::app::App;
use signalr_sim::classic::{ClassicSimulator, ClassicSimulatorConfig};

use crate::support::*;

const WAIT: Duration = Duration::from_secs(20);
const JOB_TYPE: &str = "com.microsoft.hpcpack.job.state_changed.v1";

/// The YAML of one HPC Pack hub on `sim` following `job`, with short timers for tests.
pub fn hpc_hub(sim: &ClassicSimulator, job: u32, password: &str) -> String {
    hpc_hub_jobs(sim, &job.to_string(), password)
}

/// [`hpc_hub`] following every job in `jobs` (a YAML list body, e.g. `1, 2`).
fn hpc_hub_jobs(sim: &ClassicSimulator, job: &str, password: &str) -> String {
    format!(
        "{}admin: {{ listen: '127.0.0.1:0' }}\nshutdown: {{ grace_period_secs: 5 }}\n",
        hpc_hubs_section(sim, job, password)
    )
}

/// The `hubs:` section alone: one HPC Pack hub on `sim` following `jobs` (a YAML list body,
/// empty for none), with short timers for tests.
pub fn hpc_hubs_section(sim: &ClassicSimulator, jobs: &str, password: &str) -> String {
    format!(
        "hubs:
  - name: hpc
    url: {url}
    dialect: classic
    profile: hpc_pack
    hpc_pack: {{ job_ids: [{jobs}] }}
    auth: {{ username: hpcadmin, password: '{password}' }}
    handshake_timeout_secs: 5
    reconnect: {{ initial_delay_ms: 300, max_delay_ms: 1000 }}
",
        url = sim.base_url()
    )
}

async fn hpc_bridge(
    sim: &ClassicSimulator,
    job: u32,
    dir: &std::path::Path,
    password: &str,
) -> (App, std::path::PathBuf) {
    let out = dir.join("events.jsonl");
    let sink = format!("sink: {{ kind: file, file: {{ path: '{}' }} }}\n", out.display());
    (start(config(&(hpc_hub(sim, job, password) + &sink))).await, out)
}

pub async fn classic_sim() -> ClassicSimulator {
    ClassicSimulator::start(ClassicSimulatorConfig::default())
        .await
        .expect("classic simulator starts")
}

/// A classic simulator with one submitted job, and the bridge on it, ready.
struct Hpc {
    sim: ClassicSimulator,
    job: u32,
    app: App,
    out: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn ready_hpc(tasks: u32) -> Hpc {
    let sim = classic_sim().await;
    let job = sim.control().submit_job_with_tasks(tasks);
    let dir = tempfile::tempdir().unwrap();
    let (app, out) = hpc_bridge(&sim, job, dir.path(), "hpc-password").await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    Hpc { sim, job, app, out, _dir: dir }
}

fn begin_listens(sim: &ClassicSimulator) -> usize {
    sim.control().invocations_received().iter().filter(|(_, m, _)| m == "BeginListen").count()
}

fn events(path: &std::path::Path) -> Vec<Value> {
    crate::lines(path)
}

fn job_states(events: &[Value]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .filter(|e| e["type"] == JOB_TYPE)
        .map(|e| {
            let d = &e["data"];
            (
                d["previousState"].as_str().unwrap_or("").to_string(),
                d["state"].as_str().unwrap().to_string(),
                d["reconciled"] == true,
            )
        })
        .collect()
}

async fn job_reached(path: &std::path::Path, state: &str) {
    eventually(WAIT, state, || job_states(&events(path)).iter().any(|(_, s, _)| s == state)).await;
}

/// Each live transition starts where the previous one ended: no gap, no repeat.
fn assert_chain(states: &[(String, String, bool)]) {
    for pair in states.windows(2) {
        assert_eq!(pair[1].0, pair[0].1, "transitions chain without gaps: {states:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_lifecycle_arrives_in_order() {
    let Hpc { sim, job, app, out, _dir } = ready_hpc(2).await;
    sim.control().finish(job);
    job_reached(&out, "Finished").await;
    let all = events(&out);
    let states = job_states(&all);
    assert_chain(&states);
    assert_eq!(states.last().unwrap().1, "Finished");
    let last = all.iter().rfind(|e| e["type"] == JOB_TYPE).unwrap();
    assert_eq!(last["data"]["terminal"], true);
    assert_eq!(last["subject"], format!("jobs/{job}"));
    assert_eq!(last["partitionkey"], job.to_string());
    let tasks: Vec<&Value> =
        all.iter().filter(|e| e["type"] == "com.microsoft.hpcpack.task.state_changed.v1").collect();
    assert!(
        tasks
            .iter()
            .any(|t| t["subject"] == format!("jobs/{job}/tasks/2")
                && t["data"]["state"] == "Finished")
    );
    let ids: HashSet<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "ids are unique");
    assert_eq!(begin_listens(&sim), 2, "BeginListen on both hubs");
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transport_is_resumed_and_the_gap_replayed() {
    let Hpc { sim, job, app, out, _dir } = ready_hpc(2).await;
    sim.control().advance(job);
    job_reached(&out, "Validating").await;
    // Events made while the socket is gone are buffered by the server and replayed.
    sim.control().drop_connections();
    sim.control().advance(job);
    sim.control().advance(job);
    eventually(WAIT, "resumed", || {
        counter(&app, "reconnects_total", &[("reason", "transport")]) >= 1
    })
    .await;
    sim.control().finish(job);
    job_reached(&out, "Finished").await;
    let states = job_states(&events(&out));
    assert_chain(&states);
    let names: Vec<&str> = states.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        ["Validating", "Queued", "Running", "Finished"],
        "each transition exactly once"
    );
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "resumed, not a new connection");
    assert_eq!(counter(&app, "hub_gaps_total", &[]), 0, "a replayed resume leaves no gap");
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_connection_restarts_listens_again_and_reconciles() {
    let Hpc { sim, job, app, out, _dir } = ready_hpc(2).await;
    sim.control().advance(job);
    job_reached(&out, "Validating").await;
    // The server forgets the connection; what happens next is never replayed.
    sim.control().forget_connections();
    sim.control().drop_connections();
    sim.control().finish(job);
    eventually(WAIT, "a reconciled Finished", || {
        job_states(&events(&out)).iter().any(|(_, s, r)| s == "Finished" && *r)
    })
    .await;
    let all = events(&out);
    let fin =
        all.iter().find(|e| e["type"] == JOB_TYPE && e["data"]["state"] == "Finished").unwrap();
    assert_eq!(fin["data"]["previousState"], "Validating", "from the last state seen");
    assert_eq!(fin["data"]["terminal"], true);
    assert_eq!(begin_listens(&sim), 4, "BeginListen again on both hubs");
    assert_eq!(app.status.hubs[0].snapshot().connects, 2);
    assert_eq!(counter(&app, "hub_gaps_total", &[]), 1, "a new connection is a gap");
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_clear_error_retried_with_backoff() {
    let sim = classic_sim().await;
    let job = sim.control().submit_job();
    let dir = tempfile::tempdir().unwrap();
    let (app, _out) = hpc_bridge(&sim, job, dir.path(), "not-the-password").await;
    eventually(WAIT, "two refused attempts", || {
        counter(&app, "reconnects_total", &[("reason", "auth")]) >= 2
    })
    .await;
    let error = app.status.hubs[0].snapshot().last_error.unwrap_or_default();
    assert!(error.contains("credentials"), "{error}");
    assert!(!error.contains("not-the-password"));
    assert!(!app.status.ready());
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_and_unknown_states_are_counted_and_the_session_lives_on() {
    let Hpc { sim, job, app, out, _dir } = ready_hpc(1).await;
    sim.control().inject_raw("{not json".into());
    sim.control().inject_raw(r#"{"C":"x-1","M":[{"H":"JobEventHub","M":"JobStateChange","A":["seven","Running","Queued"]}]}"#.into());
    let odd = format!(
        r#"{{"C":"x-2","M":[{{"H":"JobEventHub","M":"JobStateChange","A":[{job},"Teleporting","Queued"]}}]}}"#
    );
    sim.control().inject_raw(odd);
    eventually(WAIT, "counted", || {
        counter(&app, "decode_errors_total", &[("reason", "json")]) >= 1
            && counter(&app, "decode_errors_total", &[("hub", "hpc")]) >= 2
            && counter(&app, "unknown_states_total", &[]) >= 1
    })
    .await;
    sim.control().finish(job);
    job_reached(&out, "Finished").await;
    assert!(
        job_states(&events(&out)).iter().any(|(_, s, _)| s == "Teleporting"),
        "unknown states are kept"
    );
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "the session survived");
    assert_eq!(app.shutdown().await.undelivered, 0);
}

/// Each task's transitions, by subject, in arrival order.
fn task_chains(events: &[Value]) -> std::collections::HashMap<String, Vec<(String, String)>> {
    let mut chains = std::collections::HashMap::<String, Vec<(String, String)>>::new();
    for e in events.iter().filter(|e| e["type"] == "com.microsoft.hpcpack.task.state_changed.v1") {
        let d = &e["data"];
        let step = (
            d["previousState"].as_str().unwrap_or("").to_owned(),
            d["state"].as_str().unwrap().to_owned(),
        );
        chains.entry(e["subject"].as_str().unwrap().to_owned()).or_default().push(step);
    }
    chains
}

/// `SIGNALR_BRIDGE_LONG_TESTS=1`: drops every 5 s for about three minutes over six jobs.
fn long() -> bool {
    std::env::var_os("SIGNALR_BRIDGE_LONG_TESTS").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_dropped_at_every_step_is_resumed_each_time_and_loses_nothing() {
    let (job_count, every) = if long() { (6, Duration::from_secs(5)) } else { (1, Duration::ZERO) };
    let sim = classic_sim().await;
    let jobs: Vec<u32> = (0..job_count).map(|_| sim.control().submit_job_with_tasks(4)).collect();
    let list = jobs.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let sink = format!("sink: {{ kind: file, file: {{ path: '{}' }} }}\n", out.display());
    let app = start(config(&(hpc_hub_jobs(&sim, &list, "hpc-password") + &sink))).await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    let opened = || sim.control().transports_opened();
    let mut drops = 0;
    for &job in &jobs {
        loop {
            // The socket goes, and the job moves on while the bridge is away; the bridge must
            // open a new transport (a /reconnect resume, as the connection count shows below).
            tokio::time::sleep(every).await;
            let before = opened();
            sim.control().drop_connections();
            let moved = sim.control().advance(job);
            drops += 1;
            eventually(WAIT, "a resumed transport after a drop", || opened() > before).await;
            if !moved {
                break;
            }
        }
    }
    eventually(WAIT, "every job finished", || {
        let all = events(&out);
        jobs.iter().all(|j| {
            all.iter()
                .any(|e| e["subject"] == format!("jobs/{j}") && e["data"]["state"] == "Finished")
        })
    })
    .await;
    let all = events(&out);
    for &job in &jobs {
        let of_job: Vec<Value> =
            all.iter().filter(|e| e["partitionkey"] == *job.to_string()).cloned().collect();
        let states = job_states(&of_job);
        assert_chain(&states);
        assert!(states.iter().all(|(_, _, reconciled)| !reconciled), "replayed, not reconciled");
        let chains = task_chains(&of_job);
        assert_eq!(chains.len(), 4, "every task of job {job} seen: {chains:?}");
        for (task, steps) in &chains {
            for pair in steps.windows(2) {
                assert_eq!(
                    pair[1].0, pair[0].1,
                    "{task} chains without gaps or repeats: {steps:?}"
                );
            }
            assert_eq!(steps.last().unwrap().1, "Finished", "{task}");
        }
    }
    let ids: HashSet<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "nothing published twice");
    assert!(drops >= 4 * job_count, "{drops} drops");
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "one connection throughout");
    assert_eq!(counter(&app, "hub_gaps_total", &[]), 0);
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_during_a_resume_is_not_a_reconnect() {
    let Hpc { sim, app, _dir, .. } = ready_hpc(1).await;
    let reconnects = || counter(&app, "reconnects_total", &[("hub", "hpc")]);
    assert_eq!(reconnects(), 0);
    // The head node goes away: its port refuses, so the bridge keeps trying `/reconnect`
    // (until the server's DisconnectTimeout) ...
    drop(sim);
    eventually(WAIT, "the lost transport", || reconnects() == 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // ... when the bridge is told to stop.
    shut_down_while_resuming(app, "hpc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_password_file_is_reported_as_such_not_as_a_refusal() {
    let sim = classic_sim().await;
    let job = sim.control().submit_job();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("hpc-password");
    let hub = hpc_hub(&sim, job, "x").replace(
        "auth: { username: hpcadmin, password: 'x' }",
        &format!("auth: {{ username: hpcadmin, password_file: '{}' }}", missing.display()),
    );
    let sink =
        format!("sink: {{ kind: file, file: {{ path: '{}' }} }}\n", dir.path().join("e").display());
    let app = start(config(&(hub + &sink))).await;
    let unreadable = [("hub", "hpc"), ("reason", "credentials_file")];
    eventually(WAIT, "two failed attempts", || counter(&app, "reconnects_total", &unreadable) >= 2)
        .await;
    assert_eq!(counter(&app, "reconnects_total", &[("reason", "auth")]), 0, "not a refusal");
    let error = app.status.hubs[0].snapshot().last_error.unwrap_or_default();
    assert!(error.contains("cannot read auth.password_file"), "{error}");
    assert!(error.contains("fix:"), "{error}");
    assert_eq!(app.shutdown().await.undelivered, 0);
}
