//! Discovery end to end against the simulators: an HPC job submitted after the bridge started is
//! found over REST, listened to and its events arrive, while a job the filters exclude is never
//! listened to, and an ended job is let go; a RedMist event in the live listing is subscribed and
//! unsubscribed once it is no longer live. The first scan shows on /status.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use signalr_bridge::app::App;
use signalr_sim::LiveEvent;

use crate::classic::classic_sim;
use crate::support::*;

const WAIT: Duration = Duration::from_secs(20);

fn file_sink(out: &Path) -> String {
    format!(
        "admin: {{ listen: '127.0.0.1:0' }}\nshutdown: {{ grace_period_secs: 5 }}\n\
         sink: {{ kind: file, file: {{ path: '{}' }} }}\n",
        out.display()
    )
}

async fn status(app: &App) -> Value {
    let url = format!("http://{}/status", app.admin_addr.unwrap());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The state of the first scan on `/status`.
async fn first_scan(app: &App, hub: &str) -> Option<String> {
    let status = status(app).await;
    let name = format!("discovery_first_scan:{hub}");
    let ops = status["operations"].as_array().cloned().unwrap_or_default();
    let op = ops.into_iter().find(|o| o["name"] == name.as_str())?;
    Some(op["state"].as_str()?.to_owned())
}

fn dynamic_ids(app: &App) -> Vec<String> {
    app.status.hubs[0].snapshot().dynamic.iter().map(|d| d.id.to_string()).collect()
}

fn count(out: &Path, needle: &str) -> usize {
    std::fs::read_to_string(out).unwrap_or_default().matches(needle).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_submitted_after_start_is_discovered_and_its_events_arrive() {
    let sim = classic_sim().await;
    let control = sim.control();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let yaml = format!(
        "hubs:
  - name: hpc
    url: {url}
    dialect: classic
    profile: hpc_pack
    hpc_pack: {{ job_ids: [], stop_listening_after_terminal_secs: 1 }}
    auth: {{ username: hpcadmin, password: hpc-password }}
    discovery: {{ interval_secs: 1, owners: [HPCADMIN], name_pattern: 'job-*' }}
    handshake_timeout_secs: 5
    reconnect: {{ initial_delay_ms: 300, max_delay_ms: 1000 }}
{sink}",
        url = sim.base_url(),
        sink = file_sink(&out),
    );
    let app = start(config(&yaml)).await;
    let scanned = || async { first_scan(&app, "hpc").await.as_deref() == Some("done") };
    let deadline = tokio::time::Instant::now() + WAIT;
    while !scanned().await {
        assert!(tokio::time::Instant::now() < deadline, "the first scan shows as done on /status");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dynamic_ids(&app).is_empty(), "nothing to discover yet");

    // Submitted after start; queued, so it is listed. A job named otherwise is filtered out.
    let job = control.submit_job();
    let other = control.submit_job();
    control.describe_job(other, "nightly-other", &["ComputeNodes"]);
    for id in [job, other] {
        control.advance(id);
        control.advance(id);
    }
    let listens = |id: u32| {
        let args = format!("[{id}]");
        control
            .invocations_received()
            .iter()
            .filter(|(_, m, a)| m == "BeginListen" && *a == args)
            .count()
    };
    eventually(WAIT, "BeginListen for the discovered job on both hubs", || listens(job) == 2).await;
    control.advance(job);
    let running = format!("\"subject\":\"jobs/{job}\"");
    eventually(WAIT, "the discovered job's events", || count(&out, &running) >= 1).await;
    control.finish(job);
    eventually(WAIT, "the job's Finished event", || {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains(&running) && l.contains("\"state\":\"Finished\""))
    })
    .await;
    // Ended and gone from the listing: let go after stop_listening_after_terminal_secs.
    let key = format!("job-{job}");
    eventually(WAIT, "the ended job let go", || !dynamic_ids(&app).contains(&key)).await;
    assert_eq!(listens(other), 0, "the filtered-out job is never listened to");
    let added = counter(
        &app,
        "subscription_changes_total",
        &[("action", "added"), ("origin", "discovery")],
    );
    assert_eq!(added, 1);
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_redmist_event_is_subscribed_and_unsubscribed_once_it_ends() {
    let sim = simulator(50, None).await;
    let control = sim.control();
    control.set_live_events(vec![
        LiveEvent::new(42, "Spring Sprint"),
        LiveEvent::new(77, "Endurance"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let discovery =
        "    discovery: { interval_secs: 1, name_pattern: 'spring*', organization_ids: [1] }\n";
    let hub = redmist_hub("rm", &sim, discovery)
        .replace("event_ids: [42], control_logs: true", "event_ids: []");
    let app = start(config(&format!("hubs:\n{hub}{}", file_sink(&out)))).await;

    let subscribed = |id: &str| {
        control.invocations_received().iter().any(|(m, a)| m == "SubscribeToEventV2" && a == id)
    };
    eventually(WAIT, "SubscribeToEventV2(42) for the live event", || subscribed("[42]")).await;
    eventually(WAIT, "car patches of the discovered event", || {
        count(&out, "racing.redmist.car.patched.v1") > 3
    })
    .await;
    assert!(!subscribed("[77]"), "the event the name pattern excludes is not subscribed");
    assert_eq!(first_scan(&app, "rm").await.as_deref(), Some("done"));

    control.set_live_events(vec![LiveEvent::new(77, "Endurance")]);
    let unsubscribed = || {
        control
            .invocations_received()
            .iter()
            .any(|(m, a)| m == "UnsubscribeFromEventV2" && a == "[42]")
    };
    eventually(WAIT, "UnsubscribeFromEventV2(42) once the event is no longer live", unsubscribed)
        .await;
    assert!(dynamic_ids(&app).is_empty());
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "on the same connection");
    assert_eq!(app.shutdown().await.undelivered, 0);
}
