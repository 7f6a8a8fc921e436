//! Handshake, record framing, hub errors, pings, Close, drops, silence, groups, backpressure.

use std::time::Duration;

use signalr_sim::race::Group;
use signalr_sim::SimOptions;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

async fn expect_clean_close(socket: &mut Socket) {
    match next_message(socket).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn handshake_refuses_an_unknown_protocol_with_spec_text_and_closes() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect(&sim, "").await;
    send(&mut socket, "{\"protocol\":\"bson\",\"version\":1}\u{1e}").await;
    assert_eq!(
        next_text(&mut socket).await,
        "{\"error\":\"Requested protocol 'bson' is not available.\"}\u{1e}"
    );
    expect_clean_close(&mut socket).await;
    assert_eq!(sim.control().connection_count(), 0);
}

#[tokio::test]
async fn handshake_without_separator_is_canceled_after_timeout() {
    let options =
        SimOptions { handshake_timeout: Duration::from_millis(200), ..SimOptions::default() };
    let sim = start(options).await;
    let mut socket = connect(&sim, "").await;
    send(&mut socket, "{\"protocol\":\"json\",\"version\":1}").await;
    assert_eq!(next_text(&mut socket).await, "{\"error\":\"Handshake was canceled.\"}\u{1e}");
    expect_clean_close(&mut socket).await;
}

#[tokio::test]
async fn handshake_glued_to_a_record_split_across_frames_is_served() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect(&sim, "").await;
    send(
        &mut socket,
        "{\"protocol\":\"json\",\"version\":1}\u{1e}{\"type\":99}\u{1e}{\"type\":1,\"invocationId\":\"0\",\"target\":\"SubscribeTo",
    )
    .await;
    assert_eq!(next_text(&mut socket).await, "{}\u{1e}");
    send(&mut socket, "EventV2\",\"arguments\":[42]}\u{1e}{\"type\":6}\u{1e}").await;
    assert_eq!(
        next_text(&mut socket).await,
        "{\"type\":3,\"invocationId\":\"0\",\"result\":null}\u{1e}"
    );
    let log = sim.control().invocations_received();
    assert_eq!(log, vec![("SubscribeToEventV2".to_string(), "[42]".to_string())]);
}

#[tokio::test]
async fn hub_errors_come_back_as_completions_and_non_blocking_calls_get_none() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    // No invocationId: a failure must not be answered; the next answer is for id "2".
    send(&mut socket, "{\"type\":1,\"target\":\"SubscribeToEventV2\",\"arguments\":[]}\u{1e}")
        .await;
    send(
        &mut socket,
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"SubscribeToEventV2\",\"arguments\":[\"42\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        next_text(&mut socket).await,
        "{\"type\":3,\"invocationId\":\"2\",\"error\":\"Failed to invoke 'SubscribeToEventV2' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.\"}\u{1e}"
    );
    assert_eq!(sim.control().invocations_received().len(), 2);
}

#[tokio::test]
async fn malformed_record_closes_with_error() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    send(&mut socket, "{\"type\":1,\"target\":\"X\"}\u{1e}").await;
    assert_eq!(
        next_text(&mut socket).await,
        "{\"type\":7,\"error\":\"Connection closed with an error.\"}\u{1e}"
    );
    expect_clean_close(&mut socket).await;
}

#[tokio::test]
async fn server_pings_when_idle() {
    let options = SimOptions { keep_alive: Duration::from_millis(50), ..SimOptions::default() };
    let sim = start(options).await;
    let mut socket = connect_ready(&sim).await;
    assert_eq!(next_text(&mut socket).await, "{\"type\":6}\u{1e}");
}

#[tokio::test]
async fn close_sends_close_record_then_normal_close() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    sim.control().wait_for_connections(1).await;
    sim.control().close(false);
    assert_eq!(next_text(&mut socket).await, "{\"type\":7}\u{1e}");
    expect_clean_close(&mut socket).await;
    sim.control().wait_for_connections(0).await;
}

#[tokio::test]
async fn drop_connections_ends_socket_without_close_frame() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    sim.control().wait_for_connections(1).await;
    sim.control().drop_connections();
    match next_message(&mut socket).await {
        None | Some(Err(_)) => {}
        other => panic!("expected an abrupt end, got {other:?}"),
    }
    sim.control().wait_for_connections(0).await;
}

#[tokio::test]
async fn inject_raw_sends_exact_text_frame() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    sim.control().wait_for_connections(1).await;
    sim.control().inject_raw("{\"type\":1,\"target\":".into());
    assert_eq!(next_text(&mut socket).await, "{\"type\":1,\"target\":");
}

#[tokio::test]
async fn broadcasts_reach_only_the_subscribed_group() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    subscribe(&mut socket).await;
    let control = sim.control();
    control.broadcast(patch(Group::Event(43), "other")).await;
    control.broadcast(patch(Group::Event(42), "mine")).await;
    assert_eq!(next_text(&mut socket).await, patch_record("mine"));
}

#[tokio::test]
async fn nothing_is_sent_while_silent() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect_ready(&sim).await;
    subscribe(&mut socket).await;
    let control = sim.control();
    control.go_silent(Duration::from_secs(3600));
    control.broadcast(patch(Group::Event(42), "during")).await;
    control.inject_raw("queued while silent".into());
    control.go_silent(Duration::ZERO);
    control.broadcast(patch(Group::Event(42), "after")).await;
    // The raw frame waited for the silence to end; the broadcast during silence was dropped.
    let mut got = vec![next_text(&mut socket).await, next_text(&mut socket).await];
    got.sort();
    assert_eq!(got, vec!["queued while silent".to_string(), patch_record("after")]);
}

#[tokio::test]
async fn slow_reader_is_dropped_instead_of_growing_memory() {
    let options = SimOptions {
        queue_capacity: 2,
        slow_client_timeout: Duration::from_millis(300),
        ..SimOptions::default()
    };
    let sim = start(options).await;
    let mut socket = connect_ready(&sim).await;
    subscribe(&mut socket).await;
    let control = sim.control();
    let big = "x".repeat(1 << 20);
    // 64 MiB cannot all sit in socket buffers plus a 2-record queue: sends must back up.
    for _ in 0..64 {
        control.broadcast(patch(Group::Event(42), &big)).await;
        if control.connection_count() == 0 {
            break;
        }
    }
    control.wait_for_connections(0).await;
    drop(socket);
}
