//! Stateful reconnect end to end: the simulator sends a steady stream of car patches while its
//! connections are dropped several times; the bridge resumes the same connection each time, and
//! the JetStream stream afterwards holds every event exactly once, in order, with no gap
//! counted. A resume the server refuses falls back to a new connection: a gap, the
//! subscriptions invoked again and a fresh snapshot. A shutdown during a resume is a shutdown,
//! not a lost connection.

use std::time::Duration;

use signalr_bridge::app::App;
use signalr_sim::race::{Group, SimInvocation};
use signalr_sim::Simulator;

use super::WAIT;
use crate::support::*;

const CAR_PATCHED: &str = "racing.redmist.car.patched.v1";

/// A RedMist hub reached through negotiate, with stateful reconnect on. The simulator pings
/// every 15 s, so the server timeout is above that: only the drops end transports here.
fn stateful_hub(sim: &Simulator) -> String {
    format!(
        "hubs:
  - name: rm
    url: {url}
    stateful_reconnect: true
    profile: redmist
    redmist: {{ event_ids: [42] }}
    keepalive_interval_secs: 1
    server_timeout_secs: 40
    handshake_timeout_secs: 5
    reconnect: {{ initial_delay_ms: 300, max_delay_ms: 1000 }}
",
        url = sim.hub_url()
    )
}

/// A simulator, a JetStream stream named from `prefix`, and the bridge between them with the
/// stateful hub subscribed.
async fn ready_stateful(prefix: &str) -> (Simulator, String, App) {
    let sim = simulator(0, None).await;
    let stream = unique(prefix);
    let app = start(config(&format!("{}{}", stateful_hub(&sim), jetstream_sink(&stream)))).await;
    eventually(WAIT, "subscribed", || app.status.ready()).await;
    (sim, stream, app)
}

/// One car patch whose car number is `n`: one event with subject `events/42/cars/{n}`.
fn patch(n: usize) -> SimInvocation {
    SimInvocation {
        group: Group::Event(42),
        target: "ReceiveCarPatches",
        arguments: format!("[[{{\"number\":\"{n}\",\"overallPosition\":1}}]]"),
    }
}

fn subscribes(sim: &Simulator) -> usize {
    let calls = sim.control().invocations_received();
    calls.iter().filter(|(m, _)| m == "SubscribeToEventV2").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateful_resumes_after_drops_lose_and_duplicate_nothing() {
    const PATCHES: usize = 600;
    const DROPS: u64 = 3;
    let (sim, stream, app) = ready_stateful("IT_STATEFUL").await;

    let control = sim.control();
    let sender = tokio::spawn(async move {
        for n in 0..PATCHES {
            control.broadcast(patch(n)).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    // Drops spread over the stream, each once the bridge has published more since the last.
    let cars = || counter(&app, "events_enqueued_total", &[("type", CAR_PATCHED)]);
    for drop in 1..=DROPS {
        let target = drop * PATCHES as u64 / (DROPS + 1);
        eventually(WAIT, "patches before the drop", || cars() >= target).await;
        sim.control().drop_connections();
        eventually(WAIT, "resumed", || {
            counter(&app, "hub_resumes_total", &[("hub", "rm")]) >= drop
        })
        .await;
    }
    sender.await.unwrap();
    eventually(WAIT, "every patch bridged", || cars() >= PATCHES as u64).await;

    let js = jetstream().await;
    let published = counter(&app, "events_enqueued_total", &[]);
    let messages = stream_messages(&js, &stream, published, WAIT).await;
    let numbers: Vec<usize> = messages
        .iter()
        .filter(|(_, e)| e["type"] == CAR_PATCHED)
        .map(|(_, e)| e["data"]["number"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers, (0..PATCHES).collect::<Vec<_>>(), "each patch once, in order");
    // JetStream would hide a duplicate with the same id: the bridge must not even read one twice.
    assert_eq!(cars(), PATCHES as u64, "no replayed record became an event again");
    assert_eq!(messages.len() as u64, published);
    assert_eq!(counter(&app, "hub_gaps_total", &[("hub", "rm")]), 0, "a resume is no gap");
    assert_eq!(sim.control().stateful_resumes(), DROPS, "the simulator resumed each drop");
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "the same connection throughout");
    assert_eq!(subscribes(&sim), 1, "subscriptions are not invoked again on a resume");
    let snapshots =
        messages.iter().filter(|(_, e)| e["type"] == "racing.redmist.session.snapshot.v1");
    assert_eq!(snapshots.count(), 1, "no new snapshot on a resume");
    let connection = app.status.hubs[0].snapshot().connection.unwrap();
    for (id, event) in messages.iter().filter(|(_, e)| e["type"] == CAR_PATCHED) {
        assert!(id.starts_with(&format!("{connection}:")), "ids name the connection: {id}");
        assert_eq!(id, event["id"].as_str().unwrap());
    }
    assert_eq!(app.shutdown().await.undelivered, 0);
    delete_stream(&js, &stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_resume_falls_back_to_a_new_connection_with_a_gap() {
    let (sim, stream, app) = ready_stateful("IT_STATEFUL_REFUSED").await;
    let snapshots = || counter(&app, "snapshots_total", &[("outcome", "ok")]);
    eventually(WAIT, "first snapshot", || snapshots() == 1).await;
    assert_eq!(subscribes(&sim), 1);

    // A server restart: the connection is gone, the transport reconnect gets 404.
    sim.control().forget_connections();
    eventually(WAIT, "a new connection", || app.status.hubs[0].snapshot().connects == 2).await;
    eventually(WAIT, "subscribed again", || subscribes(&sim) == 2 && app.status.ready()).await;
    eventually(WAIT, "snapshot again", || snapshots() == 2).await;
    assert_eq!(counter(&app, "hub_gaps_total", &[("hub", "rm")]), 1, "a new connection is a gap");
    assert_eq!(counter(&app, "hub_resumes_total", &[("hub", "rm")]), 0);

    // The new connection is stateful too, and resumes.
    sim.control().broadcast(patch(1)).await;
    eventually(WAIT, "a patch", || {
        counter(&app, "events_enqueued_total", &[("type", CAR_PATCHED)]) == 1
    })
    .await;
    sim.control().drop_connections();
    eventually(WAIT, "resumed", || counter(&app, "hub_resumes_total", &[("hub", "rm")]) == 1).await;
    sim.control().broadcast(patch(2)).await;
    eventually(WAIT, "a patch after the resume", || {
        counter(&app, "events_enqueued_total", &[("type", CAR_PATCHED)]) == 2
    })
    .await;
    assert_eq!(counter(&app, "hub_gaps_total", &[("hub", "rm")]), 1);
    assert_eq!(app.shutdown().await.undelivered, 0);
    let js = jetstream().await;
    delete_stream(&js, &stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_during_a_resume_is_not_a_reconnect() {
    let (sim, stream, app) = ready_stateful("IT_STATEFUL_SHUTDOWN").await;
    let reconnects = || counter(&app, "reconnects_total", &[("hub", "rm")]);
    assert_eq!(reconnects(), 0);

    // The server goes away: its port refuses, so the bridge keeps trying to resume the
    // connection (for up to 10 s, every half second) ...
    drop(sim);
    eventually(WAIT, "the lost transport", || reconnects() == 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(counter(&app, "hub_resumes_total", &[("hub", "rm")]), 0, "still resuming");
    // ... when the bridge is told to stop.
    shut_down_while_resuming(app, "rm").await;
    delete_stream(&jetstream().await, &stream).await;
}
