//! Stateful reconnect at the wire level: negotiate agrees only when asked, the server numbers
//! and acknowledges records, and a new transport with the same `id` gets the server's
//! `Sequence` (the first record not acknowledged) and the replay; a forgotten connection is
//! refused with 404.

use serde_json::Value;
use signalr_sim::race::Group;
use signalr_sim::{SimOptions, Simulator};
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::support::*;

async fn negotiate(sim: &Simulator, query: &str) -> Value {
    let url = format!("{}/negotiate?negotiateVersion=1{query}", sim.hub_url());
    reqwest::Client::new().post(url).send().await.unwrap().json().await.unwrap()
}

/// Connects with `id=token` and completes a version 2 JSON handshake.
async fn connect_stateful(sim: &Simulator, token: &str) -> Socket {
    let mut socket = connect(sim, &format!("id={token}")).await;
    send(&mut socket, "{\"protocol\":\"json\",\"version\":2}\u{1e}").await;
    assert_eq!(next_text(&mut socket).await, "{}\u{1e}");
    socket
}

#[tokio::test]
async fn negotiate_agrees_to_stateful_reconnect_only_when_asked() {
    let sim = start(SimOptions::default()).await;
    let asked = negotiate(&sim, "&useStatefulReconnect=true").await;
    assert_eq!(asked["useStatefulReconnect"], true, "{asked}");
    let plain = negotiate(&sim, "").await;
    assert!(plain.get("useStatefulReconnect").is_none(), "{plain}");
    let off = start(SimOptions { stateful_reconnect: false, ..SimOptions::default() }).await;
    let refused = negotiate(&off, "&useStatefulReconnect=true").await;
    assert!(refused.get("useStatefulReconnect").is_none(), "{refused}");
}

#[tokio::test]
async fn a_new_transport_gets_the_sequence_and_replay_of_what_was_not_acknowledged() {
    let sim = start(SimOptions::default()).await;
    let answer = negotiate(&sim, "&useStatefulReconnect=true").await;
    let token = answer["connectionToken"].as_str().unwrap().to_owned();
    let mut socket = connect_stateful(&sim, &token).await;
    subscribe(&mut socket).await; // the server's record 1
    assert_eq!(next_text(&mut socket).await, "{\"type\":8,\"sequenceId\":1}\u{1e}", "acked");
    send(&mut socket, "{\"type\":8,\"sequenceId\":1}\u{1e}").await;
    for marker in ["a", "b"] {
        sim.control().broadcast(patch(Group::Event(42), marker)).await; // records 2 and 3
        assert_eq!(next_text(&mut socket).await, patch_record(marker));
    }
    drop(socket);

    let mut socket = connect(&sim, &format!("id={token}")).await;
    // No handshake on a resumed transport: the Sequence names record 2, the first not acked.
    assert_eq!(next_text(&mut socket).await, "{\"type\":9,\"sequenceId\":2}\u{1e}");
    assert_eq!(next_text(&mut socket).await, patch_record("a"));
    assert_eq!(next_text(&mut socket).await, patch_record("b"));
    // Our invocation 1 was acknowledged, so we replay nothing and name record 2.
    send(&mut socket, "{\"type\":9,\"sequenceId\":2}\u{1e}{\"type\":8,\"sequenceId\":3}\u{1e}")
        .await;
    sim.control().broadcast(patch(Group::Event(42), "c")).await;
    assert_eq!(next_text(&mut socket).await, patch_record("c"), "the group is kept");
    let subscribes = sim.control().invocations_received();
    assert_eq!(subscribes.len(), 1, "the resume invoked nothing: {subscribes:?}");

    sim.control().forget_connections();
    sim.control().wait_for_connections(0).await;
    let url = ws_url(&sim, &format!("id={token}"));
    match tokio_tungstenite::connect_async(url).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("a forgotten connection must be refused, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_client_replay_is_not_handled_twice() {
    let sim = start(SimOptions::default()).await;
    let answer = negotiate(&sim, "&useStatefulReconnect=true").await;
    let token = answer["connectionToken"].as_str().unwrap().to_owned();
    let mut socket = connect_stateful(&sim, &token).await;
    subscribe(&mut socket).await;
    assert_eq!(next_text(&mut socket).await, "{\"type\":8,\"sequenceId\":1}\u{1e}");
    drop(socket);
    let mut socket = connect(&sim, &format!("id={token}")).await;
    // We never acknowledged the Completion (record 1): it comes again.
    assert_eq!(next_text(&mut socket).await, "{\"type\":9,\"sequenceId\":1}\u{1e}");
    assert_eq!(
        next_text(&mut socket).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":null}\u{1e}"
    );
    // As if the server's Ack had not reached us, we replay the subscription: it is skipped.
    let subscribe = "{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubscribeToEventV2\",\"arguments\":[42]}\u{1e}";
    send(&mut socket, &format!("{{\"type\":9,\"sequenceId\":1}}\u{1e}{subscribe}")).await;
    send(&mut socket, "{\"type\":6}\u{1e}").await;
    sim.control().broadcast(patch(Group::Event(42), "x")).await;
    assert_eq!(next_text(&mut socket).await, patch_record("x"), "no second Completion");
    assert_eq!(sim.control().invocations_received().len(), 1, "handled once");
}
