//! HPC REST reads for gap reconciliation against the classic simulator: `fetch_job` reads the
//! job's and its tasks' states as they advance (across task-list pages), tells wrong
//! credentials and unknown jobs apart, and its result drives the tracker to reconciled events.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use signalr_bridge::event::{EventType, WireId};
use signalr_bridge::profile::hpcpack::reconcile::{to_events, JobTracker, RestJob, RestTask};
use signalr_bridge::profile::hpcpack::rest::{JobQuery, ReconcileRequest};
use signalr_bridge::profile::MessageContext;
use signalr_bridge::signalr::rest::{fetch_job, list_jobs, ListError, RestError};
use signalr_sim::classic::{ClassicSimulator, ClassicSimulatorConfig};

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

async fn simulator() -> (ClassicSimulator, String) {
    let config = ClassicSimulatorConfig::default();
    let auth = basic(&config.user, &config.password);
    (ClassicSimulator::start(config).await.unwrap(), auth)
}

/// Reads `job` from the simulator's REST API.
async fn read(sim: &ClassicSimulator, job: i64, auth: Option<&str>) -> Result<RestJob, RestError> {
    let http = reqwest::Client::new();
    fetch_job(&http, &ReconcileRequest::new(&sim.base_url(), job), auth).await
}

fn states(job: &RestJob) -> (String, Vec<(i64, i64, String)>) {
    let tasks = job.tasks.iter().map(|t| (t.task_id, t.instance_id, t.state.clone())).collect();
    (job.state.clone(), tasks)
}

fn expected(job: &str, task: &str, count: i64) -> (String, Vec<(i64, i64, String)>) {
    (job.to_owned(), (1..=count).map(|id| (id, 0, task.to_owned())).collect())
}

#[tokio::test]
async fn fetch_job_follows_the_job_through_its_states() {
    let (sim, auth) = simulator().await;
    let control = sim.control();
    let job = control.submit_job_with_tasks(3);
    let current = || read(&sim, i64::from(job), Some(&auth));
    assert_eq!(current().await.unwrap().id, i64::from(job));
    assert_eq!(states(&current().await.unwrap()), expected("Submitted", "Submitted", 3));
    control.advance(job);
    control.advance(job);
    assert_eq!(states(&current().await.unwrap()), expected("Queued", "Queued", 3));
    control.advance(job);
    assert_eq!(states(&current().await.unwrap()), expected("Running", "Dispatching", 3));
    control.finish(job);
    assert_eq!(states(&current().await.unwrap()), expected("Finished", "Finished", 3));
}

#[tokio::test]
async fn fetch_job_reads_every_page_of_a_large_task_list() {
    let (sim, auth) = simulator().await;
    let job = sim.control().submit_job_with_tasks(205);
    let job = read(&sim, i64::from(job), Some(&auth)).await.unwrap();
    let ids: Vec<i64> = job.tasks.iter().map(|t| t.task_id).collect();
    assert_eq!(ids, (1..=205).collect::<Vec<i64>>());
}

#[tokio::test]
async fn fetch_job_tells_bad_credentials_and_unknown_jobs_apart() {
    let (sim, auth) = simulator().await;
    let job = i64::from(sim.control().submit_job());
    let wrong = basic("hpcadmin", "not-the-password");
    let denied = read(&sim, job, Some(&wrong)).await.unwrap_err();
    assert!(matches!(denied, RestError::Unauthorized), "{denied:?}");
    assert!(!format!("{denied} {denied:?}").contains(&wrong["Basic ".len()..]));
    let anonymous = read(&sim, job, None).await.unwrap_err();
    assert!(matches!(anonymous, RestError::Unauthorized), "{anonymous:?}");
    let missing = read(&sim, 9999, Some(&auth)).await.unwrap_err();
    assert!(matches!(missing, RestError::NotFound(9999)), "{missing:?}");
}

#[tokio::test]
async fn fetched_job_reconciles_into_events_once() {
    let (sim, auth) = simulator().await;
    let control = sim.control();
    let job = control.submit_job_with_tasks(2);
    control.finish(job);
    let rest = read(&sim, i64::from(job), Some(&auth)).await.unwrap();
    assert_eq!(
        rest.tasks[1],
        RestTask { task_id: 2, instance_id: 0, state: "Finished".to_owned() }
    );
    let now = Instant::now();
    let mut tracker = JobTracker::new(Duration::from_secs(300));
    let ctx = MessageContext {
        hub: "hpc".into(),
        source: sim.base_url().as_str().into(),
        wire: WireId { connection: "reconcile".into(), record: 1 },
        received: time::OffsetDateTime::now_utc(),
    };
    let events = to_events(&ctx, &tracker.diff(i64::from(job), &rest, now));
    let kinds: Vec<EventType> = events.iter().map(|e| e.kind).collect();
    use EventType::{HpcJobStateChanged as Job, HpcTaskStateChanged as Task};
    assert_eq!(kinds, [Task, Task, Job]);
    for event in &events {
        tracker.observe(event, now);
    }
    assert!(tracker.diff(i64::from(job), &rest, now).is_empty());
    let later = now + Duration::from_secs(300);
    assert!(tracker.jobs_to_listen(&[i64::from(job)], later).is_empty());
}

/// The simulator answers in the real server's shape: dotted `TaskId`, 10 rows by default.
#[tokio::test]
async fn simulator_task_list_has_the_real_shape() {
    let (sim, auth) = simulator().await;
    let job = sim.control().submit_job_with_tasks(12);
    let url = format!("{}/jobs/{job}/tasks?properties=TaskId,JobTaskId", sim.base_url());
    let http = reqwest::Client::new();
    let first = http.get(&url).header("Authorization", &auth).send().await.unwrap();
    let next = first.headers()["x-ms-continuation-queryId"].to_str().unwrap().to_owned();
    let rows: serde_json::Value = first.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 10);
    assert_eq!(
        rows[0],
        serde_json::json!({"Properties": [{"Name": "TaskId", "Value": format!("{job}.1")},
                                          {"Name": "JobTaskId", "Value": "1"}]})
    );
    let url = format!("{url}&queryId={next}");
    let last = http.get(&url).header("Authorization", &auth).send().await.unwrap();
    assert!(last.headers().get("x-ms-continuation-queryId").is_none());
    let rows: serde_json::Value = last.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn list_jobs_reads_every_page_and_applies_state_and_node_group_filters() {
    let (sim, auth) = simulator().await;
    let control = sim.control();
    let jobs: Vec<u32> = (0..7).map(|_| control.submit_job_with_tasks(1)).collect();
    for &job in &jobs[..5] {
        control.advance(job);
        control.advance(job);
    }
    control.describe_job(jobs[4], "gpu-job", &["GPUNodes"]);
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let mut pages = Vec::new();
    let query = JobQuery { state: "Queued", node_group: None, rows_per_read: 2 };
    let queued =
        list_jobs(&http, &base, query, Some(&auth), |rows| pages.push(rows)).await.unwrap();
    let ids: Vec<i64> = queued.iter().map(|j| j.id).collect();
    assert_eq!(ids, jobs[..5].iter().map(|&j| i64::from(j)).collect::<Vec<_>>());
    assert_eq!(pages, [2, 2, 1], "followed x-ms-continuation-queryId across pages");
    assert!(queued.iter().all(|j| j.state == "Queued" && j.owner == "hpcadmin"));
    assert_eq!(queued[4].name, "gpu-job");

    let query = JobQuery { state: "Queued", node_group: Some("GPUNodes"), rows_per_read: 100 };
    let gpu = list_jobs(&http, &base, query, Some(&auth), |_| {}).await.unwrap();
    assert_eq!(gpu.iter().map(|j| j.id).collect::<Vec<_>>(), [i64::from(jobs[4])]);
    let query = JobQuery { state: "Submitted", node_group: None, rows_per_read: 100 };
    assert_eq!(list_jobs(&http, &base, query, Some(&auth), |_| {}).await.unwrap().len(), 2);
    let wrong = basic("hpcadmin", "nope");
    let refused = list_jobs(&http, &base, query, Some(&wrong), |_| {}).await;
    assert!(matches!(refused, Err(ListError::Unauthorized)), "{refused:?}");
}
