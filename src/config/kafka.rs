//! Kafka sink settings and the checks serde cannot express (template, pass-through properties).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kafka_security::{KafkaSasl, KafkaTls};
use super::ConfigError;

/// Kafka sink.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSinkConfig {
    /// Bootstrap brokers, comma-separated `host:port` (required).
    #[serde(default)]
    pub brokers: String,
    /// Topic template; placeholders `{hub}`, `{type}` (dots kept), `{key}` (characters Kafka
    /// does not allow in topic names become `_`). Example: `signalr.{hub}`.
    #[serde(default = "default_topic_template")]
    pub topic_template: String,
    /// CloudEvents Kafka binding: `structured` (the JSON envelope as the value) or `binary`
    /// (`ce_*` headers, `data` as the value).
    #[serde(default)]
    pub mode: KafkaMode,
    /// Batch compression: `none`, `gzip`, `snappy`, `lz4` or `zstd`.
    #[serde(default)]
    pub compression: KafkaCompression,
    /// How long the producer waits to fill a batch (`linger.ms`).
    #[serde(default = "default_linger_ms")]
    pub linger_ms: u64,
    /// Largest batch in bytes (`batch.size`).
    #[serde(default = "default_batch_bytes")]
    pub batch_bytes: u64,
    /// Most messages in one batch (`batch.num.messages`).
    #[serde(default = "default_batch_messages")]
    pub batch_messages: u64,
    /// How long librdkafka keeps retrying one message before its delivery fails
    /// (`message.timeout.ms`); 0 = for ever, so a broker outage loses nothing.
    #[serde(default)]
    pub message_timeout_ms: u64,
    /// TLS to the brokers; present (even `{}`) means TLS on.
    #[serde(default)]
    pub tls: Option<KafkaTls>,
    /// SASL authentication (PLAIN, SCRAM-SHA-256/512).
    #[serde(default)]
    pub sasl: Option<KafkaSasl>,
    /// Create a topic the template names when it does not exist yet, before its first event.
    /// Off by default: most clusters create topics through their own tooling.
    #[serde(default)]
    pub create_topics: Option<KafkaTopicCreation>,
    /// Any other librdkafka producer property, passed through as written (e.g.
    /// `socket.keepalive.enable`, `ssl.endpoint.identification.algorithm`). Properties that
    /// would break the delivery contract (`enable.idempotence: false`, `acks` other than `all`)
    /// or that a typed field owns are refused. Values of secret-looking keys (`*password*`,
    /// `*secret*`, `ssl.key.pem`, `sasl.oauthbearer.config`) print as `<redacted>`.
    #[serde(default, serialize_with = "super::kafka_props::redacted")]
    pub properties: BTreeMap<String, String>,
}

/// Settings for topics the bridge creates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaTopicCreation {
    /// Partitions of a new topic; keys spread over them, each key stays in one.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    /// Replicas of each partition; 3 suits a production cluster, 1 a single broker.
    #[serde(default = "default_replication")]
    pub replication_factor: i32,
    /// Topic-level settings for new topics (e.g. `retention.ms`, `cleanup.policy`).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// How an event is laid out in a Kafka record.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum KafkaMode {
    /// The whole envelope as the value, `content-type: application/cloudevents+json`.
    #[default]
    Structured,
    /// Attributes as `ce_*` headers, `data` as the value, `content-type: application/json`.
    Binary,
}

/// Producer compression codecs.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum KafkaCompression {
    None,
    Gzip,
    Snappy,
    #[default]
    Lz4,
    Zstd,
}

impl KafkaCompression {
    /// The librdkafka `compression.type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KafkaCompression::None => "none",
            KafkaCompression::Gzip => "gzip",
            KafkaCompression::Snappy => "snappy",
            KafkaCompression::Lz4 => "lz4",
            KafkaCompression::Zstd => "zstd",
        }
    }
}

fn default_topic_template() -> String {
    "signalr.{hub}".into()
}
fn default_partitions() -> i32 {
    6
}
fn default_replication() -> i32 {
    3
}
fn default_linger_ms() -> u64 {
    5
}
fn default_batch_bytes() -> u64 {
    1_000_000
}
fn default_batch_messages() -> u64 {
    10_000
}

/// The rules for kind `kafka`: a section with brokers, a template that renders legal topic
/// names, and properties both the bridge and librdkafka accept.
pub(super) fn validate(kafka: Option<&KafkaSinkConfig>) -> Result<(), ConfigError> {
    let invalid = |key: &str, problem: String, fix: &str| ConfigError::Invalid {
        key: key.into(),
        problem,
        fix: fix.into(),
    };
    let Some(kafka) = kafka else {
        return Err(invalid(
            "sink.kafka",
            "sink kind `kafka` needs a `kafka` section".into(),
            "add `kafka: { brokers: 127.0.0.1:9092 }`",
        ));
    };
    if kafka.brokers.trim().is_empty() {
        return Err(invalid(
            "sink.kafka.brokers",
            "no broker given".into(),
            "set `brokers: host1:9092,host2:9092`",
        ));
    }
    let template = &kafka.topic_template;
    super::error::check_template("sink.kafka.topic_template", template)?;
    let literal = template.replace("{hub}", "").replace("{type}", "").replace("{key}", "");
    if let Some(c) = literal.chars().find(|c| !is_topic_char(*c)) {
        return Err(invalid(
            "sink.kafka.topic_template",
            format!("`{c}` is not allowed in a Kafka topic name"),
            "use only letters, digits, `.`, `_` and `-`",
        ));
    }
    if let Err(p) = kafka.check_properties() {
        return Err(invalid(&format!("sink.kafka.properties.{}", p.key), p.problem, &p.fix));
    }
    super::kafka_security::validate(kafka.tls.as_ref(), kafka.sasl.as_ref())?;
    if let Some(create) = &kafka.create_topics {
        if create.partitions < 1 {
            return Err(invalid(
                "sink.kafka.create_topics.partitions",
                format!("{} partitions", create.partitions),
                "set 1 or more",
            ));
        }
        if create.replication_factor < 1 {
            return Err(invalid(
                "sink.kafka.create_topics.replication_factor",
                format!("replication factor {}", create.replication_factor),
                "set 1 or more (and at most the number of brokers)",
            ));
        }
    }
    kafka.check_with_librdkafka()?;
    Ok(())
}

/// The characters Kafka allows in a topic name.
pub fn is_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

#[cfg(test)]
#[path = "kafka_tests.rs"]
mod tests;
