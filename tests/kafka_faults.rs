//! The Kafka sink under broker faults, on librdkafka's mock cluster (in-process brokers whose
//! outages, leader moves and request errors the test controls): the publisher keeps every event,
//! in order per key, while readiness tells the truth. Volumes stay far below the mock's limit
//! (it silently drops message sets past 5 MiB or 100,000 per partition).

#[path = "shared/kafka.rs"]
mod kafka;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::message::{Message, OwnedMessage};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use serde_json::value::RawValue;
use signalr_bridge::config::{KafkaSinkConfig, SinkConfig, SinkKind};
use signalr_bridge::event::{Event, EventType, WireId};
use signalr_bridge::queue;
use signalr_bridge::sink::{run_publisher, PublisherReport, Sink};
use signalr_bridge::status::AppStatus;
use signalr_bridge::telemetry::Metrics;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "jobs";
const PARTITIONS: i32 = 3;
const KEYS: u64 = 5;

type Mock = MockCluster<'static, DefaultProducerContext>;

fn event(n: u64) -> Event {
    let key = format!("job-{}", n % KEYS);
    Event {
        id: WireId { connection: "mock".into(), record: n }.event_id(0),
        source: "http://127.0.0.1/hub".into(),
        hub: "hpc".into(),
        kind: EventType::HpcJobStateChanged,
        subject: format!("jobs/{key}"),
        time: time::OffsetDateTime::now_utc(),
        partition_key: key,
        data: RawValue::from_string(format!(r#"{{"n":{n}}}"#)).unwrap(),
    }
}

/// A cluster of `brokers` with the test topic, and the bridge's sink config pointing at it.
fn cluster(brokers: i32) -> (Mock, SinkConfig) {
    let mock = MockCluster::new(brokers).unwrap();
    mock.create_topic(TOPIC, PARTITIONS, brokers).unwrap();
    let kafka: KafkaSinkConfig = serde_json::from_value(serde_json::json!({
        "brokers": mock.bootstrap_servers(),
        "topic_template": TOPIC,
        // Quick reconnects so the test does not sit in librdkafka's default 10 s backoff.
        "properties": { "reconnect.backoff.max.ms": "500", "retry.backoff.max.ms": "500" },
    }))
    .unwrap();
    let sink = SinkConfig {
        kind: SinkKind::Kafka,
        file: None,
        nats: None,
        kafka: Some(kafka),
        max_in_flight: 64,
    };
    (mock, sink)
}

/// A publisher fed through a queue the test holds.
struct Running {
    tx: queue::QueueTx,
    status: Arc<AppStatus>,
    task: JoinHandle<PublisherReport>,
}

async fn start(config: &SinkConfig) -> Running {
    let sink = Sink::connect(config).await.expect("sink connects to the mock cluster");
    let (tx, rx) = queue::channel(256, None);
    let status = Arc::new(AppStatus::default());
    let metrics = Arc::new(Metrics::new());
    let task =
        tokio::spawn(run_publisher(sink, rx, metrics, status.clone(), CancellationToken::new()));
    Running { tx, status, task }
}

impl Running {
    async fn send(&self, range: std::ops::RangeInclusive<u64>) {
        for n in range {
            self.tx.send(event(n)).await.expect("publisher alive");
        }
    }

    async fn wait_ready(&self, want: bool) {
        let give_up = Instant::now() + Duration::from_secs(30);
        while self.status.sink_connected() != want {
            assert!(Instant::now() < give_up, "readiness never became {want}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn finish(self) -> PublisherReport {
        drop(self.tx);
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("publisher drains once the brokers are back")
            .unwrap()
    }
}

fn consume(mock: &Mock, count: usize) -> Vec<OwnedMessage> {
    kafka::consume_from(&mock.bootstrap_servers(), TOPIC, PARTITIONS, count)
}

/// Every event 1..=count exactly once, each key in one partition, in send order per key.
fn check_all_once_in_order(messages: &[OwnedMessage], count: u64) {
    let mut per_key: HashMap<Vec<u8>, Vec<u64>> = HashMap::new();
    let mut partition: HashMap<Vec<u8>, i32> = HashMap::new();
    for m in messages {
        let key = m.key().unwrap().to_vec();
        assert_eq!(*partition.entry(key.clone()).or_insert(m.partition()), m.partition());
        let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        per_key.entry(key).or_default().push(v["data"]["n"].as_u64().unwrap());
    }
    let mut want: HashMap<Vec<u8>, Vec<u64>> = HashMap::new();
    for n in 1..=count {
        want.entry(format!("job-{}", n % KEYS).into_bytes()).or_default().push(n);
    }
    assert_eq!(messages.len() as u64, count, "every event exactly once");
    assert_eq!(per_key, want, "in send order per key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_then_back_loses_nothing_and_readiness_follows() {
    let (mock, config) = cluster(1);
    let bridge = start(&config).await;
    bridge.send(1..=100).await;
    bridge.wait_ready(true).await;

    mock.broker_down(1).unwrap();
    bridge.send(101..=300).await;
    bridge.wait_ready(false).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!bridge.status.sink_connected(), "still not ready while the broker is down");

    mock.broker_up(1).unwrap();
    bridge.wait_ready(true).await;
    bridge.send(301..=400).await;
    let report = bridge.finish().await;
    assert_eq!(report, PublisherReport { delivered: 400, undelivered: 0, lost: 0 });
    check_all_once_in_order(&consume(&mock, 400), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_moves_and_request_errors_keep_order_per_key() {
    let (mock, config) = cluster(3);
    let bridge = start(&config).await;
    bridge.send(1..=200).await;
    for p in 0..PARTITIONS {
        mock.partition_leader(TOPIC, p, Some(1 + (p + 1) % 3)).unwrap();
    }
    // Retriable errors on the next produce requests: librdkafka retries them in order.
    let errors = [
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
    ];
    mock.request_errors(RDKafkaApiKey::Produce, &errors);
    bridge.send(201..=600).await;
    for p in 0..PARTITIONS {
        mock.partition_leader(TOPIC, p, Some(1 + (p + 2) % 3)).unwrap();
    }
    bridge.send(601..=800).await;
    let report = bridge.finish().await;
    assert_eq!(report, PublisherReport { delivered: 800, undelivered: 0, lost: 0 });
    check_all_once_in_order(&consume(&mock, 800), 800);
}
