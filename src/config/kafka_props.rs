//! The librdkafka properties behind the Kafka sink section: the bridge's fixed guarantees, the
//! typed fields, the checked pass-through map, and what an admin client (topic creation) may
//! share of them. Also how pass-through values that look secret are redacted when printed.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;
use serde::Serializer;

use super::kafka_security::{security_properties, SecretFiles};
use super::{ConfigError, KafkaSinkConfig};

/// Properties set from typed fields; passing them through too would make two sources of truth
/// (and put secrets in a plain map).
const OWNED: [(&str, &str); 16] = [
    ("bootstrap.servers", "`sink.kafka.brokers`"),
    ("metadata.broker.list", "`sink.kafka.brokers`"),
    ("compression.type", "`sink.kafka.compression`"),
    ("compression.codec", "`sink.kafka.compression`"),
    ("linger.ms", "`sink.kafka.linger_ms`"),
    ("queue.buffering.max.ms", "`sink.kafka.linger_ms`"),
    ("message.timeout.ms", "`sink.kafka.message_timeout_ms`"),
    ("security.protocol", "`sink.kafka.tls` and `sink.kafka.sasl`"),
    ("sasl.mechanism", "`sink.kafka.sasl.mechanism`"),
    ("sasl.mechanisms", "`sink.kafka.sasl.mechanism`"),
    ("sasl.username", "`sink.kafka.sasl.username`"),
    ("sasl.password", "`sink.kafka.sasl.password`"),
    ("ssl.ca.location", "`sink.kafka.tls.ca_file`"),
    ("ssl.certificate.location", "`sink.kafka.tls.cert_file`"),
    ("ssl.key.location", "`sink.kafka.tls.key_file`"),
    ("ssl.key.password", "`sink.kafka.tls.key_password`"),
];

/// Pass-through prefixes that concern the connection rather than producing, so the admin
/// client that creates topics connects the same way the producer does.
const CONNECTION_PREFIXES: [&str; 6] =
    ["ssl.", "sasl.", "socket.", "broker.", "reconnect.", "client."];

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
            match key.as_str() {
                "transactional.id" => {
                    return problem(
                        "transactions are not supported by the bridge".into(),
                        "remove the property".into(),
                    );
                }
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
                _ => {}
            }
            if let Some((_, field)) = OWNED.iter().find(|(name, _)| name == key) {
                return problem(
                    format!("`{key}` is set by {field}"),
                    format!("set {field} instead"),
                );
            }
        }
        Ok(())
    }

    /// The librdkafka producer properties: the bridge's fixed guarantees, the typed fields, then
    /// the pass-through map (already checked by [`Self::check_properties`]). Reads secret files.
    pub fn client_config(&self) -> Result<ClientConfig, ConfigError> {
        self.producer_config(SecretFiles::Read)
    }

    fn producer_config(&self, files: SecretFiles) -> Result<ClientConfig, ConfigError> {
        let mut c = self.connection_with(files)?;
        c.set("enable.idempotence", "true")
            .set("acks", "all")
            // The partitioner Java clients use, so a key lands where other producers put it.
            .set("partitioner", "murmur2_random")
            .set("compression.type", self.compression.as_str())
            .set("linger.ms", self.linger_ms.to_string())
            .set("batch.size", self.batch_bytes.to_string())
            .set("batch.num.messages", self.batch_messages.to_string())
            .set("message.timeout.ms", self.message_timeout_ms.to_string());
        for (key, value) in &self.properties {
            c.set(key, value);
        }
        Ok(c)
    }

    /// What any client of these brokers needs: addresses, TLS, SASL, and the connection-level
    /// pass-through properties. The admin client that creates topics uses exactly this.
    pub fn connection_config(&self) -> Result<ClientConfig, ConfigError> {
        self.connection_with(SecretFiles::Read)
    }

    fn connection_with(&self, files: SecretFiles) -> Result<ClientConfig, ConfigError> {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers).set("client.id", "signalr-bridge");
        for (key, value) in security_properties(self.tls.as_ref(), self.sasl.as_ref(), files)? {
            c.set(key, value);
        }
        for (key, value) in &self.properties {
            if CONNECTION_PREFIXES.iter().any(|p| key.starts_with(p)) {
                c.set(key, value);
            }
        }
        Ok(c)
    }

    /// Lets librdkafka judge every property name and value, without opening a connection or
    /// reading secret files.
    /// Returns the offending property and librdkafka's reason (never the value: it may be a
    /// secret).
    pub fn check_with_librdkafka(&self) -> Result<(), ConfigError> {
        let refused = |key: String, reason: String| ConfigError::Invalid {
            key: format!("sink.kafka.properties.{key}"),
            problem: format!("librdkafka refuses it: {reason}"),
            fix: "check the name and value against librdkafka's CONFIGURATION.md".into(),
        };
        match self.producer_config(SecretFiles::Placeholder)?.create_native_config() {
            Ok(_) => Ok(()),
            Err(rdkafka::error::KafkaError::ClientConfig(_, reason, key, _)) => {
                Err(refused(key, reason))
            }
            Err(other) => Err(refused(String::new(), other.to_string())),
        }
    }
}

/// Whether a librdkafka property's value is a credential (printed as `<redacted>`).
pub fn is_secret_property(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("secret")
        || key.contains("jaas")
        || key == "ssl.key.pem"
        || key == "sasl.oauthbearer.config"
}

/// Serializes the pass-through map with secret-looking values redacted (`check-config`,
/// `/status`).
pub fn redacted<S: Serializer>(map: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(key, value)| {
        let shown = if is_secret_property(key) { "<redacted>" } else { value.as_str() };
        (key, shown)
    }))
}
