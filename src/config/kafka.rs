//! Kafka sink settings and the checks serde cannot express (template, pass-through properties).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};

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
    /// SASL user name (`sasl.username`); the mechanism goes in `properties`.
    #[serde(default)]
    pub sasl_username: Option<String>,
    /// SASL password (`sasl.password`), never logged.
    #[serde(default)]
    pub sasl_password: Option<Secret>,
    /// Password of the TLS client key (`ssl.key.password`), never logged.
    #[serde(default)]
    pub ssl_key_password: Option<Secret>,
    /// Any other librdkafka producer property, passed through as written (e.g.
    /// `security.protocol`, `sasl.mechanism`, `ssl.ca.location`). Properties that would break
    /// the delivery contract (`enable.idempotence: false`, `acks` other than `all`) are refused.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
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
fn default_linger_ms() -> u64 {
    5
}
fn default_batch_bytes() -> u64 {
    1_000_000
}
fn default_batch_messages() -> u64 {
    10_000
}

/// Properties set from typed fields; passing them through too would make two sources of truth
/// (and put secrets in a plain map).
const OWNED: [(&str, &str); 9] = [
    ("bootstrap.servers", "brokers"),
    ("metadata.broker.list", "brokers"),
    ("compression.type", "compression"),
    ("compression.codec", "compression"),
    ("linger.ms", "linger_ms"),
    ("queue.buffering.max.ms", "linger_ms"),
    ("message.timeout.ms", "message_timeout_ms"),
    ("sasl.password", "sasl_password"),
    ("ssl.key.password", "ssl_key_password"),
];

/// A refused property: the key (under `properties`) and why.
#[derive(Debug, PartialEq, Eq)]
pub struct PropertyProblem {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl KafkaSinkConfig {
    /// Refuses pass-through properties that break ordering or acknowledgement, or that a typed
    /// field owns. librdkafka itself rejects unknown names and bad values (see the sink).
    pub fn check_properties(&self) -> Result<(), PropertyProblem> {
        for (key, value) in &self.properties {
            let problem = |problem: String, fix: String| {
                Err(PropertyProblem { key: key.clone(), problem, fix })
            };
            let value = value.trim();
            if let Some((_, field)) = OWNED.iter().find(|(name, _)| name == key) {
                return problem(
                    format!("`{key}` is set by `sink.kafka.{field}`"),
                    format!("set `sink.kafka.{field}` instead"),
                );
            }
            match key.as_str() {
                "enable.idempotence" if !value.eq_ignore_ascii_case("true") => {
                    return problem(
                        "turning idempotence off breaks per-key order on retries".into(),
                        "remove the property (the bridge always enables it)".into(),
                    );
                }
                "acks" | "request.required.acks" if !matches!(value, "all" | "-1") => {
                    return problem(
                        format!(
                            "acks={value} counts events as delivered before every replica has them"
                        ),
                        "remove the property (the bridge uses acks=all)".into(),
                    );
                }
                "transactional.id" => {
                    return problem(
                        "transactions are not supported by the bridge".into(),
                        "remove the property".into(),
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl KafkaSinkConfig {
    /// The librdkafka producer properties: the bridge's fixed guarantees, the typed fields, then
    /// the pass-through map (already checked by [`Self::check_properties`]).
    pub fn client_config(&self) -> rdkafka::ClientConfig {
        let mut c = rdkafka::ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", "signalr-bridge")
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // The partitioner Java clients use, so a key lands where other producers put it.
            .set("partitioner", "murmur2_random")
            .set("compression.type", self.compression.as_str())
            .set("linger.ms", self.linger_ms.to_string())
            .set("batch.size", self.batch_bytes.to_string())
            .set("batch.num.messages", self.batch_messages.to_string())
            .set("message.timeout.ms", self.message_timeout_ms.to_string());
        if let Some(user) = &self.sasl_username {
            c.set("sasl.username", user);
        }
        if let Some(password) = &self.sasl_password {
            c.set("sasl.password", password.expose());
        }
        if let Some(password) = &self.ssl_key_password {
            c.set("ssl.key.password", password.expose());
        }
        for (key, value) in &self.properties {
            c.set(key, value);
        }
        c
    }

    /// Lets librdkafka judge every property name and value, without opening a connection.
    /// Returns the offending property and librdkafka's reason (never the value: it may be a
    /// secret).
    pub fn check_with_librdkafka(&self) -> Result<(), (String, String)> {
        match self.client_config().create_native_config() {
            Ok(_) => Ok(()),
            Err(rdkafka::error::KafkaError::ClientConfig(_, reason, key, _)) => Err((key, reason)),
            Err(other) => Err((String::new(), other.to_string())),
        }
    }
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
    super::load::check_template("sink.kafka.topic_template", template)?;
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
    if let Err((key, reason)) = kafka.check_with_librdkafka() {
        return Err(invalid(
            &format!("sink.kafka.properties.{key}"),
            format!("librdkafka refuses it: {reason}"),
            "check the name and value against librdkafka's CONFIGURATION.md",
        ));
    }
    Ok(())
}

/// The characters Kafka allows in a topic name.
pub fn is_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

#[cfg(test)]
#[path = "kafka_tests.rs"]
mod tests;
