//! The sinks against real parts: NATS with JetStream on 127.0.0.1:4222 (each test on its own
//! uuid-named stream and subjects, deleted at the end), and a JSON-lines file in a temp dir.

#[path = "shared/publish.rs"]
mod publish;
mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::value::RawValue;
use signalr_bridge::config::{FileSinkConfig, NatsMode, NatsSinkConfig, SinkConfig, SinkKind};
use signalr_bridge::queue;
use signalr_bridge::sink::{run_publisher, PublisherReport, Sink, SinkError};
use signalr_bridge::status::AppStatus;
use signalr_bridge::telemetry::Metrics;
use tokio_util::sync::CancellationToken;

use publish::{publish_all, publish_counted};
use support::{data_n, event, proxied_sink, read_stream, wait_until, Proxy, Scope, NATS_URL};

#[tokio::test]
async fn jetstream_delivers_in_order_with_headers_and_envelope() {
    let scope = Scope::new().await;
    let sink = Sink::connect(&scope.config(NatsMode::Jetstream, true, 8)).await.unwrap();
    assert_eq!(sink.label(), "jetstream");
    let events: Vec<_> = (1..=50).map(|n| event(&scope.conn, n, "42/7")).collect();
    let report = publish_all(sink, events, 16).await;
    assert_eq!(report, PublisherReport { delivered: 50, undelivered: 0, lost: 0 });

    let messages = read_stream(&scope.js, &scope.stream, 50).await;
    assert_eq!(messages.len(), 50);
    for (n, msg) in (1..=50).zip(&messages) {
        let id = format!("{}:{n}", scope.conn);
        assert_eq!(
            msg.subject.as_str(),
            format!("{}.redmist.racing.redmist.car.patched.v1", scope.prefix)
        );
        let headers = msg.headers.as_ref().expect("headers");
        let header = |name: &str| headers.get(name).map(|v| v.as_str().to_owned());
        assert_eq!(header("Nats-Msg-Id"), Some(id.clone()));
        assert_eq!(header("ce-id"), Some(id.clone()));
        assert_eq!(header("ce-specversion").as_deref(), Some("1.0"));
        assert_eq!(header("ce-type").as_deref(), Some("racing.redmist.car.patched.v1"));
        assert_eq!(header("ce-source").as_deref(), Some("http://127.0.0.1/hub"));
        assert_eq!(header("Content-Type").as_deref(), Some("application/cloudevents+json"));
        let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
        assert_eq!(body["id"], id);
        assert_eq!(body["specversion"], "1.0");
        assert_eq!(body["partitionkey"], "42/7");
        assert_eq!(body["data"]["n"], n);
    }
    scope.delete().await;
}

#[tokio::test]
async fn jetstream_stores_a_repeated_event_id_once() {
    let scope = Scope::new().await;
    let sink = Sink::connect(&scope.config(NatsMode::Jetstream, true, 4)).await.unwrap();
    let first = event(&scope.conn, 1, "k");
    let events = vec![first.clone(), first, event(&scope.conn, 2, "k")];
    let report = publish_all(sink, events, 4).await;
    // Both copies were acknowledged (the second as a duplicate); the stream kept one.
    assert_eq!(report.delivered, 3);
    let info = scope.js.get_stream(&scope.stream).await.unwrap().get_info().await.unwrap();
    assert_eq!(info.state.messages, 2);
    let messages = read_stream(&scope.js, &scope.stream, 2).await;
    let ids: Vec<_> = messages
        .iter()
        .map(|m| m.headers.as_ref().unwrap().get("Nats-Msg-Id").unwrap().to_string())
        .collect();
    assert_eq!(ids, [format!("{}:1", scope.conn), format!("{}:2", scope.conn)]);
    scope.delete().await;
}

#[tokio::test]
async fn stream_is_created_then_updated_to_the_configured_subjects() {
    let scope = Scope::new().await;
    let mut config = scope.config(NatsMode::Jetstream, true, 4);
    Sink::connect(&config).await.unwrap();
    let info = scope.js.get_stream(&scope.stream).await.unwrap().get_info().await.unwrap();
    assert_eq!(info.config.subjects, [format!("{}.>", scope.prefix)]);
    assert_eq!(info.config.duplicate_window, Duration::from_secs(60));

    let extra = format!("{}-extra.>", scope.prefix);
    let stream = config.nats.as_mut().unwrap().stream.as_mut().unwrap();
    stream.subjects.push(extra.clone());
    Sink::connect(&config).await.unwrap();
    let info = scope.js.get_stream(&scope.stream).await.unwrap().get_info().await.unwrap();
    assert_eq!(info.config.subjects, [format!("{}.>", scope.prefix), extra]);
    scope.delete().await;
}

#[tokio::test]
async fn core_nats_delivers_to_a_subscriber() {
    let scope = Scope::new().await;
    let mut sub = scope.client.subscribe(format!("{}.>", scope.prefix)).await.unwrap();
    scope.client.flush().await.unwrap();
    let sink = Sink::connect(&scope.config(NatsMode::Core, false, 8)).await.unwrap();
    assert_eq!(sink.label(), "nats");
    let events: Vec<_> = (1..=20).map(|n| event(&scope.conn, n, "a.b")).collect();
    let report = publish_all(sink, events, 4).await;
    assert_eq!(report, PublisherReport { delivered: 20, undelivered: 0, lost: 0 });
    for n in 1..=20 {
        let msg = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.unwrap().unwrap();
        let id = format!("{}:{n}", scope.conn);
        assert_eq!(msg.headers.as_ref().unwrap().get("ce-id").unwrap().as_str(), id);
        let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
        assert_eq!(body["id"], id);
    }
    scope.delete().await;
}

#[tokio::test]
async fn backpressure_with_a_tiny_queue_loses_nothing() {
    let scope = Scope::new().await;
    let sink = Sink::connect(&scope.config(NatsMode::Jetstream, true, 2)).await.unwrap();
    let events: Vec<_> = (1..=300).map(|n| event(&scope.conn, n, "k")).collect();
    let report = publish_all(sink, events, 1).await;
    assert_eq!(report, PublisherReport { delivered: 300, undelivered: 0, lost: 0 });
    let messages = read_stream(&scope.js, &scope.stream, 300).await;
    let ns: Vec<u64> = messages.iter().map(data_n).collect();
    assert_eq!(ns, (1..=300).collect::<Vec<u64>>());
    scope.delete().await;
}

#[tokio::test]
async fn connect_to_a_dead_port_fails_naming_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("nats://127.0.0.1:{port}");
    let config = SinkConfig {
        kind: SinkKind::Nats,
        file: None,
        nats: Some(NatsSinkConfig { url: url.clone(), ..Default::default() }),
        kafka: None,
        max_in_flight: 4,
    };
    match Sink::connect(&config).await {
        Err(SinkError::Connect(message)) => assert!(message.contains(&url), "{message}"),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("connected to a dead port"),
    }
}

#[tokio::test]
async fn hard_stop_after_the_broker_went_away_claims_no_delivery() {
    let scope = Scope::new().await;
    let (proxy, sink) = proxied_sink(&scope).await;

    let (metrics, status, stop) =
        (Arc::new(Metrics::new()), Arc::new(AppStatus::default()), CancellationToken::new());
    let (tx, rx) = queue::channel(16, None);
    let publisher =
        tokio::spawn(run_publisher(sink, rx, metrics.clone(), status.clone(), stop.clone()));
    let published = || metrics.counter_value("events_published_total", &[("sink", "jetstream")]);
    tx.send(event(&scope.conn, 1, "k")).await.unwrap();
    wait_until(|| published() == 1).await;
    assert!(status.sink_connected());

    proxy.stop();
    wait_until(|| !status.sink_connected()).await;
    for n in 2..=6 {
        tx.send(event(&scope.conn, n, "k")).await.unwrap();
    }
    wait_until(|| metrics.counter_value("publish_failed_total", &[]) > 0).await;
    stop.cancel();
    let report = publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 1, undelivered: 5, lost: 5 });
    assert_eq!(published(), 1);
    assert_eq!(metrics.counter_value("undelivered_total", &[("sink", "jetstream")]), 5);
    let info = scope.js.get_stream(&scope.stream).await.unwrap().get_info().await.unwrap();
    assert_eq!(info.state.messages, 1);
    scope.delete().await;
}

#[tokio::test]
async fn jetstream_outage_is_retried_in_order_without_duplicates() {
    let scope = Scope::new().await;
    let (proxy, sink) = proxied_sink(&scope).await;

    let metrics = Arc::new(Metrics::new());
    let status = Arc::new(AppStatus::default());
    let (tx, rx) = queue::channel(4, None);
    let stop = CancellationToken::new();
    let publisher = tokio::spawn(run_publisher(sink, rx, metrics.clone(), status.clone(), stop));
    for n in 1..=3 {
        tx.send(event(&scope.conn, n, "k")).await.unwrap();
    }
    let published = || metrics.counter_value("events_published_total", &[]);
    wait_until(|| published() == 3).await;

    proxy.stop();
    wait_until(|| !status.sink_connected()).await;
    for n in 4..=10 {
        tx.send(event(&scope.conn, n, "k")).await.unwrap();
    }
    wait_until(|| metrics.counter_value("publish_failed_total", &[]) > 0).await;
    let _back = Proxy::start_at(NATS_URL, proxy.addr).await;
    wait_until(|| status.sink_connected()).await;
    drop(tx);
    let report = publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 10, undelivered: 0, lost: 0 });

    let messages = read_stream(&scope.js, &scope.stream, 20).await;
    let ns: Vec<u64> = messages.iter().map(data_n).collect();
    assert_eq!(ns, (1..=10).collect::<Vec<u64>>());
    scope.delete().await;
}

#[tokio::test]
async fn jetstream_drops_an_event_too_large_for_nats_and_keeps_the_rest_in_order() {
    let scope = Scope::new().await;
    let sink = Sink::connect(&scope.config(NatsMode::Jetstream, true, 8)).await.unwrap();
    let mut events: Vec<_> = (1..=5).map(|n| event(&scope.conn, n, "k")).collect();
    let pad = "x".repeat(scope.client.server_info().max_payload);
    events[2].data = RawValue::from_string(format!(r#"{{"n":3,"pad":"{pad}"}}"#)).unwrap();
    let metrics = Arc::new(Metrics::new());
    let report = publish_counted(sink, events, 8, metrics.clone()).await;
    assert_eq!(report, PublisherReport { delivered: 4, undelivered: 0, lost: 0 });
    let failed = |reason| metrics.counter_value("publish_failed_total", &[("reason", reason)]);
    assert_eq!(failed("too_large"), 1);
    // The event after it names the one before it as its predecessor: nothing is refused.
    assert_eq!(metrics.counter_value("publish_failed_total", &[]), 1);
    let messages = read_stream(&scope.js, &scope.stream, 10).await;
    assert_eq!(messages.iter().map(data_n).collect::<Vec<_>>(), [1, 2, 4, 5]);
    scope.delete().await;
}

#[tokio::test]
async fn jetstream_drops_an_event_over_the_streams_max_message_size_and_keeps_the_rest() {
    let scope = Scope::new().await;
    let stream = async_nats::jetstream::stream::Config {
        name: scope.stream.clone(),
        subjects: vec![format!("{}.>", scope.prefix)],
        max_message_size: 4096,
        ..Default::default()
    };
    scope.js.create_stream(stream).await.unwrap();
    let sink = Sink::connect(&scope.config(NatsMode::Jetstream, true, 8)).await.unwrap();
    let mut events: Vec<_> = (1..=5).map(|n| event(&scope.conn, n, "k")).collect();
    let pad = "x".repeat(8192); // under the server's max payload, over the stream's limit
    events[2].data = RawValue::from_string(format!(r#"{{"n":3,"pad":"{pad}"}}"#)).unwrap();
    let metrics = Arc::new(Metrics::new());
    let publishing = publish_counted(sink, events, 8, metrics.clone());
    let report = tokio::time::timeout(Duration::from_secs(30), publishing)
        .await
        .expect("the refused event is dropped, not retried for ever");
    assert_eq!(report, PublisherReport { delivered: 4, undelivered: 0, lost: 0 });
    let failed = |reason| metrics.counter_value("publish_failed_total", &[("reason", reason)]);
    assert_eq!(failed("too_large"), 1);
    let messages = read_stream(&scope.js, &scope.stream, 10).await;
    assert_eq!(messages.iter().map(data_n).collect::<Vec<_>>(), [1, 2, 4, 5]);
    scope.delete().await;
}

/// A JetStream sink on `scope`'s subjects with no stream made for them; acks time out after 1 s.
async fn streamless_sink(scope: &Scope) -> Sink {
    let mut config = scope.config(NatsMode::Jetstream, false, 4);
    config.nats.as_mut().unwrap().ack_timeout_secs = 1;
    Sink::connect(&config).await.unwrap()
}

#[tokio::test]
async fn jetstream_without_a_stream_retries_until_one_captures_the_subject() {
    let scope = Scope::new().await;
    let sink = streamless_sink(&scope).await;
    let metrics = Arc::new(Metrics::new());
    let events: Vec<_> = (1..=3).map(|n| event(&scope.conn, n, "k")).collect();
    let publisher = tokio::spawn(publish_counted(sink, events, 4, metrics.clone()));
    let failed = |reason| metrics.counter_value("publish_failed_total", &[("reason", reason)]);
    wait_until(|| failed("no_stream") > 0).await;
    Sink::connect(&scope.config(NatsMode::Jetstream, true, 4)).await.unwrap();
    let report = publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 3, undelivered: 0, lost: 0 });
    assert_eq!(failed("ack_timeout"), 0);
    let messages = read_stream(&scope.js, &scope.stream, 10).await;
    assert_eq!(messages.iter().map(data_n).collect::<Vec<_>>(), [1, 2, 3]);
    scope.delete().await;
}

#[tokio::test]
async fn jetstream_ack_timeout_is_retried_until_a_stream_answers() {
    let scope = Scope::new().await;
    // A listener that never replies: the publishes have a responder, but no PubAck comes.
    let _silent = scope.client.subscribe(format!("{}.>", scope.prefix)).await.unwrap();
    scope.client.flush().await.unwrap();
    let sink = streamless_sink(&scope).await;
    let metrics = Arc::new(Metrics::new());
    let events: Vec<_> = (1..=3).map(|n| event(&scope.conn, n, "k")).collect();
    let publisher = tokio::spawn(publish_counted(sink, events, 4, metrics.clone()));
    let failed = |reason| metrics.counter_value("publish_failed_total", &[("reason", reason)]);
    wait_until(|| failed("ack_timeout") > 0).await;
    assert_eq!(failed("no_stream"), 0);
    Sink::connect(&scope.config(NatsMode::Jetstream, true, 4)).await.unwrap();
    let report = publisher.await.unwrap();
    assert_eq!(report, PublisherReport { delivered: 3, undelivered: 0, lost: 0 });
    let messages = read_stream(&scope.js, &scope.stream, 10).await;
    assert_eq!(messages.iter().map(data_n).collect::<Vec<_>>(), [1, 2, 3]);
    scope.delete().await;
}

#[tokio::test]
async fn file_sink_appends_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out").with_extension("jsonl");
    let config = SinkConfig {
        kind: SinkKind::File,
        file: Some(FileSinkConfig { path: path.clone(), fsync: true }),
        nats: None,
        kafka: None,
        max_in_flight: 3,
    };
    let sink = Sink::connect(&config).await.unwrap();
    assert_eq!(sink.label(), "file");
    let events: Vec<_> = (1..=10).map(|n| event("file-conn", n, "k")).collect();
    let report = publish_all(sink, events, 2).await;
    assert_eq!(report, PublisherReport { delivered: 10, undelivered: 0, lost: 0 });
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let want: Vec<String> = (1..=10).map(|n| format!("file-conn:{n}")).collect();
    assert_eq!(ids, want);
}
