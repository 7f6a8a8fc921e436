//! Test fixtures for the sink tests: events, a per-test NATS scope (unique stream and
//! subjects), reading a stream back through a consumer, and a TCP proxy that can vanish.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use async_nats::Message;
use futures_util::StreamExt;
use serde_json::value::RawValue;
use signalr_bridge::config::{NatsMode, NatsSinkConfig, NatsStreamConfig, SinkConfig, SinkKind};
use signalr_bridge::event::{Event, EventType, WireId};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub const NATS_URL: &str = "127.0.0.1:4222";

/// The `n`-th record of connection `conn` as a car patch with data `{"n": n}`.
pub fn event(conn: &str, n: u64, key: &str) -> Event {
    Event {
        id: WireId { connection: conn.into(), record: n }.event_id(0),
        source: "http://127.0.0.1/hub".into(),
        hub: "redmist".into(),
        kind: EventType::RedMistCarPatched,
        subject: format!("cars/{n}"),
        time: time::OffsetDateTime::now_utc(),
        partition_key: key.into(),
        data: RawValue::from_string(format!(r#"{{"n":{n}}}"#)).unwrap(),
    }
}

/// One test's corner of the shared server.
pub struct Scope {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    /// The stream's name.
    pub stream: String,
    /// Subject prefix owned by this test; the stream captures `<prefix>.>`.
    pub prefix: String,
    /// A connection id for event ids, unique per test.
    pub conn: String,
}

impl Scope {
    pub async fn new() -> Scope {
        let client = async_nats::connect(NATS_URL).await.expect("NATS on 127.0.0.1:4222");
        let id = uuid::Uuid::new_v4().simple().to_string();
        Scope {
            js: jetstream::new(client.clone()),
            client,
            stream: format!("T_{id}"),
            prefix: format!("test.{id}"),
            conn: format!("conn-{id}"),
        }
    }

    /// A sink config for this scope; with `stream`, the sink creates the stream at connect.
    pub fn config(&self, mode: NatsMode, stream: bool, max_in_flight: usize) -> SinkConfig {
        let stream = stream.then(|| NatsStreamConfig {
            name: self.stream.clone(),
            subjects: vec![format!("{}.>", self.prefix)],
            duplicate_window_secs: 60,
            max_bytes: 0,
        });
        let nats = NatsSinkConfig {
            url: format!("nats://{NATS_URL}"),
            mode,
            subject_template: format!("{}.{{hub}}.{{type}}", self.prefix),
            stream,
            ..Default::default()
        };
        SinkConfig {
            kind: SinkKind::Nats,
            file: None,
            nats: Some(nats),
            kafka: None,
            max_in_flight,
        }
    }

    /// Deletes the stream if the test made one.
    pub async fn delete(self) {
        let _ = self.js.delete_stream(&self.stream).await;
    }
}

/// Reads up to `count` messages from the start of `stream` with an ephemeral pull consumer.
pub async fn read_stream(js: &jetstream::Context, stream: &str, count: usize) -> Vec<Message> {
    let stream = js.get_stream(stream).await.unwrap();
    let consumer = stream.create_consumer(pull::Config::default()).await.unwrap();
    let mut out = Vec::new();
    while out.len() < count {
        let mut batch = consumer
            .batch()
            .max_messages(count - out.len())
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .unwrap();
        let before = out.len();
        while let Some(msg) = batch.next().await {
            let msg = msg.unwrap();
            msg.ack().await.unwrap();
            out.push(msg.message);
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// Polls `done` until it holds; fails the test after 30 s so a bug cannot hang the suite.
pub async fn wait_until(mut done: impl FnMut() -> bool) {
    let polled = async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), polled).await.expect("condition within 30 s");
}

/// A TCP proxy to a real server that can be made to vanish (listener and connections gone).
pub struct Proxy {
    pub addr: SocketAddr,
    stop: CancellationToken,
}

impl Proxy {
    pub async fn start(upstream: &'static str) -> Proxy {
        Proxy::start_at(upstream, "127.0.0.1:0".parse().unwrap()).await
    }

    /// Listens on `addr` (to come back on the port a stopped proxy had).
    pub async fn start_at(upstream: &'static str, addr: SocketAddr) -> Proxy {
        // A stopped proxy's listener closes when its task next runs: retry the port briefly.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("proxy cannot listen on {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = token.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((mut inbound, _)) = accepted else { return };
                let token = token.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        () = token.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    }
                });
            }
        });
        Proxy { addr, stop }
    }

    /// Closes the listener and every proxied connection.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

/// A JetStream sink on `scope`'s stream (created first, directly) reached through a proxy the
/// test can stop; acks time out after 1 s so an outage shows quickly.
pub async fn proxied_sink(scope: &Scope) -> (Proxy, signalr_bridge::sink::Sink) {
    use signalr_bridge::sink::Sink;
    Sink::connect(&scope.config(NatsMode::Jetstream, true, 4)).await.unwrap();
    let proxy = Proxy::start(NATS_URL).await;
    let mut config = scope.config(NatsMode::Jetstream, false, 4);
    config.nats.as_mut().unwrap().url = format!("nats://{}", proxy.addr);
    config.nats.as_mut().unwrap().ack_timeout_secs = 1;
    let sink = Sink::connect(&config).await.unwrap();
    (proxy, sink)
}

/// The `n` an [`event`] carries, read back from a stored message.
pub fn data_n(msg: &Message) -> u64 {
    let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
    body["data"]["n"].as_u64().unwrap()
}
