//! Helpers: start a simulator with short clocks, open raw sockets, read records.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_sim::race::{Group, SimInvocation};
use signalr_sim::SimulatorConfig;
use signalr_sim::{SimOptions, Simulator};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const RS: char = '\u{1e}';

pub fn config() -> SimulatorConfig {
    SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 0,
        cars: 3,
        event_id: 42,
        required_token: None,
    }
}

pub async fn start(options: SimOptions) -> Simulator {
    Simulator::start_with(config(), options).await.unwrap()
}

pub fn ws_url(sim: &Simulator, query: &str) -> String {
    let mut url = sim.hub_url();
    url.set_scheme("ws").unwrap();
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    url.to_string()
}

pub async fn connect(sim: &Simulator, query: &str) -> Socket {
    tokio_tungstenite::connect_async(ws_url(sim, query)).await.unwrap().0
}

/// Connects without negotiation and completes the JSON handshake.
pub async fn connect_ready(sim: &Simulator) -> Socket {
    let mut socket = connect(sim, "").await;
    send(&mut socket, "{\"protocol\":\"json\",\"version\":1}\u{1e}").await;
    assert_eq!(next_text(&mut socket).await, "{}\u{1e}");
    socket
}

pub async fn send(socket: &mut Socket, text: &str) {
    socket.send(Message::text(text)).await.unwrap();
}

/// The next text frame; panics on anything else. Bounded so a silent server fails the test.
pub async fn next_text(socket: &mut Socket) -> String {
    match next_message(socket).await {
        Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

pub async fn next_message(
    socket: &mut Socket,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    tokio::time::timeout(Duration::from_secs(20), socket.next()).await.expect("a frame in 20 s")
}

/// Subscribes to event 42 and waits for the Completion.
pub async fn subscribe(socket: &mut Socket) {
    send(
        socket,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubscribeToEventV2\",\"arguments\":[42]}\u{1e}",
    )
    .await;
    assert_eq!(
        next_text(socket).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":null}\u{1e}"
    );
}

pub fn patch(group: Group, marker: &str) -> SimInvocation {
    SimInvocation {
        group,
        target: "ReceiveCarPatches",
        arguments: format!("[[{{\"number\":\"{marker}\"}}]]"),
    }
}

pub fn patch_record(marker: &str) -> String {
    format!(
        "{{\"type\":1,\"target\":\"ReceiveCarPatches\",\"arguments\":[[{{\"number\":\"{marker}\"}}]]}}{RS}"
    )
}
