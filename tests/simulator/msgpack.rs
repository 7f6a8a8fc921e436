//! The simulator under the MessagePack hub protocol at the wire level: binary handshake answer,
//! records split across frames and several per frame, Completions, positional RedMist payloads,
//! Ping, and Close, read back with the bridge's own codec.

use futures_util::SinkExt;
use serde_json::{json, Value};
use signalr_proto::core::{msgpack, Argument, Arguments, HubMessage};
use signalr_sim::race::Group;
use signalr_sim::SimOptions;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Vector 24: framed client Invocation id "0" SubscribeToEventV2(123), here with event 42.
fn subscribe_42() -> Vec<u8> {
    msgpack::invocation(0, "SubscribeToEventV2", &[json!(42)])
}

async fn next_binary(socket: &mut Socket) -> Vec<u8> {
    match next_message(socket).await {
        Some(Ok(Message::Binary(data))) => data.to_vec(),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

/// Every record body in the next binary frame.
async fn next_records(socket: &mut Socket) -> Vec<Vec<u8>> {
    let mut pending = Vec::new();
    let mut out = Vec::new();
    msgpack::split_records(&mut pending, &next_binary(socket).await, |b| out.push(b.to_vec()))
        .unwrap();
    assert!(pending.is_empty(), "a frame ends on a record boundary");
    out
}

#[tokio::test]
async fn messagepack_session_subscribes_receives_positional_patches_and_closes() {
    let sim = start(SimOptions::default()).await;
    let mut socket = connect(&sim, "").await;
    // The handshake (text, as the JS client sends it) glued to the first half of a record.
    let invocation = subscribe_42();
    let (head, tail) = invocation.split_at(9);
    let mut first = msgpack::handshake_request(1).into_bytes();
    first.extend_from_slice(head);
    socket.send(Message::binary(first)).await.unwrap();
    assert_eq!(next_binary(&mut socket).await, b"{}\x1e");
    // The rest of it, plus a Ping, in one frame.
    let mut second = tail.to_vec();
    second.extend_from_slice(msgpack::PING);
    socket.send(Message::binary(second)).await.unwrap();
    let records = next_records(&mut socket).await;
    let completion = msgpack::parse_record(&records[0]).unwrap();
    let expected = HubMessage::Completion {
        invocation_id: "0".into(),
        result: Ok(Some(Argument::MsgPack(&[0xc0][..]))),
    };
    assert_eq!(completion, expected);
    assert_eq!(
        sim.control().invocations_received(),
        [("SubscribeToEventV2".into(), "[42]".into())]
    );

    let patch = r#"[[{"number":"7","overallPosition":3,"lastLapTime":"00:01:02.345"}]]"#;
    let invocation = signalr_sim::race::SimInvocation {
        group: Group::Event(42),
        target: "ReceiveCarPatches",
        arguments: patch.to_string(),
    };
    sim.control().broadcast(invocation).await;
    let records = next_records(&mut socket).await;
    let HubMessage::Invocation { invocation_id, target, arguments: Arguments::MsgPack(arguments) } =
        msgpack::parse_record(&records[0]).unwrap()
    else {
        panic!("not an invocation")
    };
    assert_eq!((invocation_id, target), (None, "ReceiveCarPatches".into()));
    let cars = msgpack::to_json(arguments.raw()).unwrap();
    let car = cars[0][0].as_array().expect("a car is a positional array");
    assert_eq!(car.len(), 68);
    assert_eq!((&car[2], &car[20], &car[14]), (&json!("7"), &json!(3), &json!("00:01:02.345")));
    assert!(car.iter().filter(|v| **v != Value::Null).count() == 3, "nil elsewhere: {car:?}");

    sim.control().close_with_error("Simulated shutdown.", true);
    let records = next_records(&mut socket).await;
    let close = msgpack::parse_record(&records[0]).unwrap();
    let expected =
        HubMessage::Close { error: Some("Simulated shutdown.".into()), allow_reconnect: true };
    assert_eq!(close, expected);
}

#[tokio::test]
async fn messagepack_hub_errors_and_pings_are_binary() {
    let options =
        SimOptions { keep_alive: std::time::Duration::from_millis(50), ..SimOptions::default() };
    let sim = start(options).await;
    let mut socket = connect(&sim, "").await;
    send(&mut socket, &msgpack::handshake_request(1)).await;
    assert_eq!(next_binary(&mut socket).await, b"{}\x1e");
    // SubscribeToControlLogs takes two arguments.
    let wrong = msgpack::invocation(5, "SubscribeToControlLogs", &[json!(42)]);
    socket.send(Message::binary(wrong)).await.unwrap();
    let mut saw_error = false;
    for _ in 0..10 {
        for record in next_records(&mut socket).await {
            match msgpack::parse_record(&record).unwrap() {
                HubMessage::Ping => {}
                HubMessage::Completion { invocation_id, result: Err(error) }
                    if invocation_id == "5" =>
                {
                    assert!(error.contains("expects 2"), "{error}");
                    saw_error = true;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        if saw_error {
            break;
        }
    }
    assert!(saw_error);
    // The keep-alive Ping follows, in its binary form.
    let records = next_records(&mut socket).await;
    assert_eq!(msgpack::parse_record(&records[0]).unwrap(), HubMessage::Ping);
}
