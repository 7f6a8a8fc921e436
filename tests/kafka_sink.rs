//! The Kafka sink against a real broker: tansu on 127.0.0.1:9092 (started by `scripts/test`).
//! Each test owns uuid-named topics, created with the admin client, and reads them back with an
//! assigned (not group-subscribed) consumer: tansu answers group joins slowly.

use std::collections::{BTreeMap, HashMap};

use rdkafka::message::{Headers, Message, OwnedMessage};
use serde_json::value::RawValue;
use signalr_bridge::config::{KafkaMode, KafkaSinkConfig, SinkConfig, SinkKind};
use signalr_bridge::event::{Event, EventType, WireId};
use signalr_bridge::sink::{PublisherReport, Sink, SinkError};

#[path = "shared/kafka.rs"]
mod kafka;
#[path = "shared/publish.rs"]
mod publish;

use kafka::{consume, create_topics, BROKERS};
use publish::publish_all;

const PARTITIONS: i32 = 3;

/// Record `n` of connection `conn`, with data `{"n": n}`.
fn event(conn: &str, n: u64, key: &str, kind: EventType) -> Event {
    Event {
        id: WireId { connection: conn.into(), record: n }.event_id(0),
        source: "http://127.0.0.1/hub".into(),
        hub: "hpc".into(),
        kind,
        subject: format!("jobs/{key}"),
        time: time::OffsetDateTime::now_utc(),
        partition_key: key.into(),
        data: RawValue::from_string(format!(r#"{{"n":{n}}}"#)).unwrap(),
    }
}

fn kafka(template: &str, mode: KafkaMode) -> KafkaSinkConfig {
    let mut config: KafkaSinkConfig = serde_json::from_value(serde_json::json!({
        "brokers": BROKERS,
        "topic_template": template,
    }))
    .unwrap();
    config.mode = mode;
    config
}

fn sink_config(kafka: KafkaSinkConfig) -> SinkConfig {
    SinkConfig {
        kind: SinkKind::Kafka,
        file: None,
        nats: None,
        kafka: Some(kafka),
        max_in_flight: 16,
    }
}

/// A fresh name for this test's topics and connection ids.
fn unique() -> String {
    format!("t-{}", uuid::Uuid::new_v4().simple())
}

fn header(m: &OwnedMessage, name: &str) -> Option<String> {
    let headers = m.headers()?;
    let h = headers.iter().find(|h| h.key == name)?;
    Some(String::from_utf8(h.value?.to_vec()).unwrap())
}

fn key(m: &OwnedMessage) -> String {
    String::from_utf8(m.key().unwrap().to_vec()).unwrap()
}

/// Every event once, in order per key, each key in one partition: `n` read from the value.
fn check_order(messages: &[OwnedMessage], sent: &[Event], n_of: impl Fn(&OwnedMessage) -> u64) {
    assert_eq!(messages.len(), sent.len(), "every event once");
    let mut per_key: HashMap<String, Vec<u64>> = HashMap::new();
    let mut partition: HashMap<String, i32> = HashMap::new();
    for m in messages {
        let k = key(m);
        assert_eq!(*partition.entry(k.clone()).or_insert(m.partition()), m.partition(), "{k}");
        per_key.entry(k).or_default().push(n_of(m));
    }
    let mut want: HashMap<String, Vec<u64>> = HashMap::new();
    for (n, e) in (1..).zip(sent) {
        want.entry(e.partition_key.clone()).or_default().push(n);
    }
    assert_eq!(per_key, want);
}

fn keyed_events(conn: &str, count: u64, kind: EventType) -> Vec<Event> {
    (1..=count).map(|n| event(conn, n, &format!("job-{}", n % 4), kind)).collect()
}

#[tokio::test]
async fn structured_mode_delivers_every_event_once_in_order_per_key() {
    let name = unique();
    create_topics(&[&name], PARTITIONS).await;
    let sink = Sink::connect(&sink_config(kafka(&name, KafkaMode::Structured))).await.unwrap();
    assert_eq!(sink.label(), "kafka");
    let events = keyed_events(&name, 80, EventType::HpcJobStateChanged);
    let report = publish_all(sink, events.clone(), 8).await;
    assert_eq!(report, PublisherReport { delivered: 80, undelivered: 0, lost: 0 });

    let messages = consume(&name, PARTITIONS, 80);
    let body = |m: &OwnedMessage| -> serde_json::Value {
        serde_json::from_slice(m.payload().unwrap()).unwrap()
    };
    check_order(&messages, &events, |m| body(m)["data"]["n"].as_u64().unwrap());
    for m in &messages {
        let v = body(m);
        let n = v["data"]["n"].as_u64().unwrap();
        assert_eq!(v["id"], format!("{name}:{n}"));
        assert_eq!(v["specversion"], "1.0");
        assert_eq!(v["type"], "com.microsoft.hpcpack.job.state_changed.v1");
        assert_eq!(v["partitionkey"], key(m));
        assert_eq!(header(m, "content-type").as_deref(), Some("application/cloudevents+json"));
    }
}

#[tokio::test]
async fn binary_mode_round_trips_data_and_ce_headers() {
    let name = unique();
    create_topics(&[&name], PARTITIONS).await;
    let sink = Sink::connect(&sink_config(kafka(&name, KafkaMode::Binary))).await.unwrap();
    let events = keyed_events(&name, 20, EventType::HpcTaskStateChanged);
    let report = publish_all(sink, events.clone(), 8).await;
    assert_eq!(report, PublisherReport { delivered: 20, undelivered: 0, lost: 0 });

    let messages = consume(&name, PARTITIONS, 20);
    let n_of = |m: &OwnedMessage| {
        let data: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        data["n"].as_u64().unwrap()
    };
    check_order(&messages, &events, n_of);
    for m in &messages {
        let sent = &events[n_of(m) as usize - 1];
        assert_eq!(m.payload().unwrap(), sent.data.get().as_bytes());
        assert_eq!(header(m, "ce_id"), Some(sent.id.clone()));
        assert_eq!(header(m, "ce_specversion").as_deref(), Some("1.0"));
        assert_eq!(header(m, "ce_type").as_deref(), Some(sent.kind.as_str()));
        assert_eq!(header(m, "ce_source").as_deref(), Some("http://127.0.0.1/hub"));
        assert_eq!(header(m, "ce_subject"), Some(sent.subject.clone()));
        assert_eq!(header(m, "ce_partitionkey"), Some(sent.partition_key.clone()));
        assert_eq!(header(m, "content-type").as_deref(), Some("application/json"));
        let time = header(m, "ce_time").unwrap();
        let rfc3339 = time::format_description::well_known::Rfc3339;
        assert_eq!(time::OffsetDateTime::parse(&time, &rfc3339).unwrap(), sent.time);
    }
}

#[tokio::test]
async fn topic_template_routes_job_and_task_events_to_their_own_topics() {
    let name = unique();
    let jobs = format!("{name}.com.microsoft.hpcpack.job.state_changed.v1");
    let tasks = format!("{name}.com.microsoft.hpcpack.task.state_changed.v1");
    create_topics(&[&jobs, &tasks], PARTITIONS).await;
    let template = format!("{name}.{{type}}");
    let sink = Sink::connect(&sink_config(kafka(&template, KafkaMode::Structured))).await.unwrap();
    let events: Vec<_> = (1..=30)
        .map(|n| {
            let kind = if n % 3 == 0 {
                EventType::HpcTaskStateChanged
            } else {
                EventType::HpcJobStateChanged
            };
            event(&name, n, "job-7", kind)
        })
        .collect();
    let report = publish_all(sink, events, 8).await;
    assert_eq!(report.delivered, 30);

    let ids = |topic: &str, count| -> Vec<(String, u64)> {
        consume(topic, PARTITIONS, count)
            .iter()
            .map(|m| {
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                (v["type"].as_str().unwrap().to_owned(), v["data"]["n"].as_u64().unwrap())
            })
            .collect()
    };
    let job_type = EventType::HpcJobStateChanged.as_str().to_owned();
    let task_type = EventType::HpcTaskStateChanged.as_str().to_owned();
    let want_jobs: Vec<_> =
        (1..=30).filter(|n| n % 3 != 0).map(|n| (job_type.clone(), n)).collect();
    let want_tasks: Vec<_> =
        (1..=30).filter(|n| n % 3 == 0).map(|n| (task_type.clone(), n)).collect();
    assert_eq!(ids(&jobs, 20), want_jobs);
    assert_eq!(ids(&tasks, 10), want_tasks);
}

#[tokio::test]
async fn dangerous_or_unknown_properties_are_refused_naming_the_key() {
    let cases = [
        ("enable.idempotence", "false"),
        ("acks", "1"),
        ("no.such.property", "x"),
        ("compression.type", "gzip"),
    ];
    for (key, value) in cases {
        let mut config = kafka("t", KafkaMode::Structured);
        config.properties = BTreeMap::from([(key.to_owned(), value.to_owned())]);
        match Sink::connect(&sink_config(config)).await {
            Err(SinkError::Config(message)) => assert!(message.contains(key), "{key}: {message}"),
            Err(other) => panic!("{key}: wrong error: {other}"),
            Ok(_) => panic!("{key}={value} accepted"),
        }
    }
}

/// The partition count of `topic` as the broker reports it.
fn partitions_of(topic: &str) -> usize {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let client: BaseConsumer =
        rdkafka::ClientConfig::new().set("bootstrap.servers", BROKERS).create().unwrap();
    let metadata = client.fetch_metadata(Some(topic), std::time::Duration::from_secs(5)).unwrap();
    metadata.topics().iter().find(|t| t.name() == topic).map_or(0, |t| t.partitions().len())
}

#[tokio::test]
async fn missing_topics_are_created_with_the_configured_partitions_and_existing_ones_kept() {
    let name = unique();
    let jobs = format!("{name}.com.microsoft.hpcpack.job.state_changed.v1");
    let tasks = format!("{name}.com.microsoft.hpcpack.task.state_changed.v1");
    create_topics(&[&tasks], 2).await;
    let mut config = kafka(&format!("{name}.{{type}}"), KafkaMode::Structured);
    config.create_topics = Some(
        serde_json::from_value(serde_json::json!({ "partitions": 4, "replication_factor": 1 }))
            .unwrap(),
    );
    let sink = Sink::connect(&sink_config(config)).await.unwrap();
    let mut events = keyed_events(&name, 40, EventType::HpcJobStateChanged);
    events.extend((41..=50).map(|n| event(&name, n, "job-1", EventType::HpcTaskStateChanged)));
    let report = publish_all(sink, events, 8).await;
    assert_eq!(report, PublisherReport { delivered: 50, undelivered: 0, lost: 0 });

    assert_eq!(partitions_of(&jobs), 4, "created with the configured partitions");
    assert_eq!(partitions_of(&tasks), 2, "an existing topic is left as it was");
    assert_eq!(consume(&jobs, 4, 40).len(), 40);
    assert_eq!(consume(&tasks, 2, 10).len(), 10);
}
