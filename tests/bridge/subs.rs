//! Runtime subscriptions through the admin API, end to end against the simulators: a job added
//! at run time delivers its events, and keeps delivering after the hub forgets the connection and
//! after the bridge restarts (state file); a RedMist event is subscribed and unsubscribed on the
//! live connection; requests without the right token are refused.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use signalr_bridge::app::App;
use signalr_sim::classic::ClassicSimulator;

use crate::classic::{classic_sim, hpc_hubs_section};
use crate::support::*;

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "test-admin-token-0123456789";

/// An HPC hub with no configured job, the API on, and the state file under `dir`.
fn hpc_config(sim: &ClassicSimulator, dir: &Path, out: &Path) -> String {
    format!(
        "{hubs}admin:
  listen: '127.0.0.1:0'
  api: {{ enabled: true, token: {TOKEN}, state_file: '{state}' }}
shutdown: {{ grace_period_secs: 60 }}
sink: {{ kind: file, file: {{ path: '{out}' }} }}
",
        hubs = hpc_hubs_section(sim, "", "hpc-password"),
        state = dir.join("state").join("subscriptions.json").display(),
        out = out.display(),
    )
}

/// Shuts down within a deadline far below the 60 s grace period: nothing (the API included)
/// may keep a hub's queue sender alive, or the publisher would wait out the grace period.
async fn shut_down(app: App) {
    let report = tokio::time::timeout(Duration::from_secs(30), app.shutdown()).await;
    assert_eq!(report.expect("drained, not held until the grace period").undelivered, 0);
}

fn admin(app: &App) -> String {
    format!("http://{}", app.admin_addr.expect("admin server on"))
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.expect("admin server answers");
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn post(app: &App, body: Value) -> (u16, Value) {
    let url = format!("{}/subscriptions", admin(app));
    let (status, _, body) =
        call(reqwest::Method::POST, url, Some(TOKEN), Some(body.to_string())).await;
    (status, body)
}

fn events(path: &Path) -> Vec<Value> {
    crate::lines(path)
}

fn job_states(path: &Path, job: u32) -> Vec<String> {
    events(path)
        .into_iter()
        .filter(|e| e["subject"] == format!("jobs/{job}") && e["data"]["reconciled"] == false)
        .map(|e| e["data"]["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn job_reached(path: &Path, job: u32, state: &str) {
    eventually(WAIT, &format!("job {job} {state} in {}", path.display()), || {
        job_states(path, job).iter().any(|s| s == state)
    })
    .await;
}

fn listens(sim: &ClassicSimulator, job: u32) -> usize {
    let args = format!("[{job}]");
    let calls = sim.control().invocations_received();
    calls.iter().filter(|(_, m, a)| m == "BeginListen" && *a == args).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_job_delivers_events_across_a_forgotten_connection_and_a_restart() {
    let sim = classic_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("events.jsonl");
    let app = start(config(&hpc_config(&sim, dir.path(), &out))).await;
    eventually(WAIT, "ready with nothing to listen to", || app.status.ready()).await;

    // The job moved on before it was added: that arrives as a reconciled change, read over REST.
    let job = sim.control().submit_job();
    sim.control().advance(job);
    let (status, body) = post(&app, json!({ "hub": "hpc", "job_id": job })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], format!("job-{job}"));
    let state = dir.path().join("state/subscriptions.json");
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["hubs"]["hpc"], json!([{ "kind": "hpc_job", "job_id": job }]), "persisted");
    eventually(WAIT, "BeginListen on both hubs", || listens(&sim, job) == 2).await;
    eventually(WAIT, "the state the job had when it was added", || {
        events(&out).iter().any(|e| {
            e["subject"] == format!("jobs/{job}")
                && e["data"]["reconciled"] == true
                && e["data"]["state"] == "Validating"
                && e["data"]["previousState"].is_null()
        })
    })
    .await;
    sim.control().advance(job);
    job_reached(&out, job, "Queued").await;
    assert_eq!(post(&app, json!({ "hub": "hpc", "job_id": job })).await.0, 200, "idempotent");

    // The server forgets the connection: the new one listens to the job again.
    sim.control().forget_connections();
    sim.control().drop_connections();
    eventually(WAIT, "BeginListen again after the new connection", || listens(&sim, job) == 4)
        .await;
    sim.control().advance(job);
    job_reached(&out, job, "Running").await;
    shut_down(app).await;

    // A new process with the same config restores the job from the state file.
    let out2 = dir.path().join("events-2.jsonl");
    let app = start(config(&hpc_config(&sim, dir.path(), &out2))).await;
    eventually(WAIT, "BeginListen after the restart", || listens(&sim, job) == 6).await;
    sim.control().finish(job);
    job_reached(&out2, job, "Finished").await;
    let url = format!("{}/subscriptions/hpc", admin(&app));
    let (status, _, listed) = call(reqwest::Method::GET, url, Some(TOKEN), None).await;
    assert_eq!(status, 200);
    let dynamic = &listed["dynamic"][0];
    assert_eq!(
        (dynamic["kind"].as_str(), dynamic["job_id"].as_u64()),
        (Some("hpc_job"), Some(job.into()))
    );
    assert_eq!(
        (dynamic["origin"].as_str(), dynamic["last_result"].as_str()),
        (Some("api"), Some("ok"))
    );
    let status_page: Value =
        reqwest::get(format!("{}/status", admin(&app))).await.unwrap().json().await.unwrap();
    assert_eq!(status_page["hubs"][0]["dynamic"][0]["subscription"], format!("job {job}"));

    // Removed: gone from the state file, and not listened to again on the next connection.
    let url = format!("{}/subscriptions/hpc/job-{job}", admin(&app));
    assert_eq!(call(reqwest::Method::DELETE, url.clone(), Some(TOKEN), None).await.0, 200);
    assert_eq!(call(reqwest::Method::DELETE, url, Some(TOKEN), None).await.0, 404);
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["hubs"], json!({}), "{saved}");
    sim.control().forget_connections();
    sim.control().drop_connections();
    eventually(WAIT, "a third connection", || app.status.hubs[0].snapshot().connects >= 2).await;
    eventually(WAIT, "subscribed again", || app.status.ready()).await;
    assert_eq!(listens(&sim, job), 6, "a removed job is not listened to again");
    shut_down(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_missing_or_wrong_tokens_and_bad_input() {
    let sim = classic_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let app = start(config(&hpc_config(&sim, dir.path(), &out))).await;
    let url = format!("{}/subscriptions", admin(&app));
    let body = Some(json!({ "hub": "hpc", "job_id": 1 }).to_string());

    let (status, headers, _) = call(reqwest::Method::GET, url.clone(), None, None).await;
    assert_eq!(status, 401);
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    let (status, headers, _) =
        call(reqwest::Method::POST, url.clone(), Some("wrong-token"), body.clone()).await;
    assert_eq!(status, 401);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let refused = |reason| counter(&app, "admin_requests_refused_total", &[("reason", reason)]);
    assert_eq!(refused("unauthorized"), 2);
    assert!(app.status.hubs[0].snapshot().dynamic.is_empty(), "nothing was added");

    let bad = |text: &str| call(reqwest::Method::POST, url.clone(), Some(TOKEN), Some(text.into()));
    assert_eq!(bad("{not json").await.0, 400);
    assert_eq!(bad(r#"{"hub":"hpc","job_id":1,"extra":true}"#).await.0, 400);
    assert_eq!(bad(r#"{"hub":"nope","job_id":1}"#).await.0, 404);
    let (status, _, body) = bad(r#"{"hub":"hpc","event_id":42}"#).await;
    assert_eq!(status, 422);
    assert!(body["error"].as_str().unwrap().contains("job_id"), "{body}");
    assert_eq!(bad(r#"{"hub":"hpc","job_id":-3}"#).await.0, 422);
    assert_eq!(bad(r#"{"hub":"hpc","method":"BeginListen","arguments":[1]}"#).await.0, 422);
    assert_eq!(refused("bad_request"), 2);
    assert_eq!(refused("unknown_hub"), 1);
    assert_eq!(refused("wrong_kind"), 3);
    let logs_free_of_token = !format!("{:?}", app.status.hubs[0].snapshot()).contains(TOKEN);
    assert!(logs_free_of_token);
    shut_down(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redmist_event_added_then_removed_is_unsubscribed_on_the_live_connection() {
    let sim = simulator(50, None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let hub =
        redmist_hub("rm", &sim, "").replace("event_ids: [42], control_logs: true", "event_ids: []");
    let yaml = format!(
        "hubs:\n{hub}admin:\n  listen: '127.0.0.1:0'\n  api: {{ enabled: true, token: {TOKEN} }}\n\
         shutdown: {{ grace_period_secs: 5 }}\nsink: {{ kind: file, file: {{ path: '{}' }} }}\n",
        out.display()
    );
    let app = start(config(&yaml)).await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    let (status, body) = post(&app, json!({ "hub": "rm", "event_id": 42 })).await;
    assert_eq!(status, 201, "{body}");
    let patches = || {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .matches("racing.redmist.car.patched.v1")
            .count()
    };
    eventually(WAIT, "car patches of the added event", || patches() > 5).await;
    let snapshot = std::fs::read_to_string(&out).unwrap();
    assert!(snapshot.contains("racing.redmist.session.snapshot.v1"), "a snapshot for the event");

    let url = format!("{}/subscriptions/rm/event-42", admin(&app));
    assert_eq!(call(reqwest::Method::DELETE, url, Some(TOKEN), None).await.0, 200);
    let unsubscribed = || {
        sim.control()
            .invocations_received()
            .iter()
            .any(|(m, a)| m == "UnsubscribeFromEventV2" && a == "[42]")
    };
    eventually(WAIT, "UnsubscribeFromEventV2(42) on the live connection", unsubscribed).await;
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "on the same connection");
    assert_eq!(app.shutdown().await.undelivered, 0);
}
