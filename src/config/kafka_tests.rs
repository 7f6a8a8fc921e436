//! Tests for the Kafka sink section: defaults, and every refusal naming its key.

use std::io::Write;

use super::*;
use crate::config::{load, SinkKind};

const HUB: &str = "
hubs:
  - name: live
    url: https://api.example/hub
sink:
  kind: kafka
";

fn load_text(sink: &str) -> Result<crate::config::Config, ConfigError> {
    let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    f.write_all(format!("{HUB}{sink}").as_bytes()).unwrap();
    load(Some(f.path()), Vec::new())
}

fn refused_key(sink: &str) -> String {
    match load_text(sink) {
        Err(ConfigError::Invalid { key, .. }) => key,
        Err(other) => panic!("wrong error for {sink}: {other}"),
        Ok(_) => panic!("accepted: {sink}"),
    }
}

#[test]
fn defaults_are_the_safe_producer() {
    let c = load_text("  kafka: { brokers: 'b:9092' }\n").unwrap();
    assert_eq!(c.sink.kind, SinkKind::Kafka);
    let k = c.sink.kafka.unwrap();
    assert_eq!(k.topic_template, "signalr.{hub}");
    assert_eq!(k.mode, KafkaMode::Structured);
    assert_eq!(k.compression, KafkaCompression::Lz4);
    assert_eq!(k.message_timeout_ms, 0);
    let native = k.client_config();
    assert_eq!(native.get("enable.idempotence"), Some("true"));
    assert_eq!(native.get("acks"), Some("all"));
    assert_eq!(native.get("compression.type"), Some("lz4"));
}

#[test]
fn refusals_name_the_key() {
    let table = [
        ("", "sink.kafka"),
        ("  kafka: { topic_template: t }\n", "sink.kafka.brokers"),
        ("  kafka: { brokers: b, topic_template: 'a.{nope}' }\n", "sink.kafka.topic_template"),
        ("  kafka: { brokers: b, topic_template: 'a/{hub}' }\n", "sink.kafka.topic_template"),
        (
            "  kafka: { brokers: b, properties: { enable.idempotence: 'false' } }\n",
            "sink.kafka.properties.enable.idempotence",
        ),
        ("  kafka: { brokers: b, properties: { acks: '0' } }\n", "sink.kafka.properties.acks"),
        (
            "  kafka: { brokers: b, properties: { sasl.password: p } }\n",
            "sink.kafka.properties.sasl.password",
        ),
        (
            "  kafka: { brokers: b, properties: { no.such.thing: x } }\n",
            "sink.kafka.properties.no.such.thing",
        ),
        (
            "  kafka: { brokers: b, properties: { security.protocol: carrier_pigeon } }\n",
            "sink.kafka.properties.security.protocol",
        ),
    ];
    for (sink, key) in table {
        assert_eq!(refused_key(sink), key, "{sink}");
    }
}

#[test]
fn safe_pass_through_properties_and_secrets_are_accepted_and_redacted() {
    let c = load_text(
        "  kafka:
    brokers: b
    sasl_username: bridge
    sasl_password: hunter2
    properties: { acks: all, enable.idempotence: 'true', sasl.mechanism: SCRAM-SHA-512 }
",
    )
    .unwrap();
    let k = c.sink.kafka.unwrap();
    assert_eq!(k.client_config().get("sasl.password"), Some("hunter2"));
    assert!(!format!("{k:?}").contains("hunter2"));
    assert!(!serde_json::to_string(&k).unwrap().contains("hunter2"));
}
