//! The Kafka sink: an idempotent `acks=all` librdkafka producer, checked against the brokers at
//! start, whose client callbacks drive readiness. Records are laid out in `record.rs`; the
//! in-flight window and its delivery reports live in `window.rs`.

mod drive;
mod record;
mod window;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;
use tracing::{debug, error, info, warn};

pub use window::KafkaWindow;

use super::nats::Link;
use super::SinkError;
use crate::config::{KafkaMode, KafkaSinkConfig};

/// How long start-up waits for the brokers' metadata before it fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The producer type: librdkafka callbacks go to [`KafkaContext`].
pub type KafkaProducer = FutureProducer<KafkaContext>;

/// A connected Kafka sink.
pub struct KafkaSink {
    pub(super) producer: KafkaProducer,
    pub(super) template: String,
    pub(super) mode: KafkaMode,
    pub(super) link: Arc<Link>,
}

/// Receives librdkafka's client-level events: errors drive readiness, logs go to `tracing`.
pub struct KafkaContext {
    link: Arc<Link>,
}

impl ClientContext for KafkaContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        use RDKafkaLogLevel::*;
        match level {
            Emerg | Alert | Critical | Error => error!(facility, message, "librdkafka"),
            Warning => warn!(facility, message, "librdkafka"),
            Notice | Info => info!(facility, message, "librdkafka"),
            Debug => debug!(facility, message, "librdkafka"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::AllBrokersDown) => {
                warn!(reason, "Every Kafka broker is down; librdkafka keeps reconnecting.");
                self.link.set_connected(false);
            }
            Some(RDKafkaErrorCode::Fatal) => {
                error!(
                    %error,
                    reason,
                    "Fatal Kafka producer error (fenced or not authorized); nothing more will be \
                     delivered. Fix the broker ACLs or producer id, then restart the bridge."
                );
                self.link.set_connected(false);
            }
            _ => warn!(%error, reason, "Kafka client error."),
        }
    }
}

/// Builds the producer and waits (bounded) for the brokers' metadata, so a wrong address fails
/// start-up instead of queueing events for ever.
pub async fn connect(config: &KafkaSinkConfig) -> Result<KafkaSink, SinkError> {
    if let Err(p) = config.check_properties() {
        return Err(SinkError::Config(format!("kafka property `{}`: {}", p.key, p.problem)));
    }
    let link = Arc::new(Link::default());
    let context = KafkaContext { link: link.clone() };
    let producer: KafkaProducer =
        config.client_config().create_with_context(context).map_err(|e| match e {
            KafkaError::ClientConfig(_, reason, key, _) => {
                SinkError::Config(format!("kafka property `{key}`: {reason}"))
            }
            other => SinkError::Config(format!("kafka producer: {other}")),
        })?;
    let brokers = config.brokers.clone();
    let probe = producer.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        probe.client().fetch_metadata(None, CONNECT_TIMEOUT).map(|m| m.brokers().len())
    })
    .await
    .map_err(|e| SinkError::Connect(format!("Kafka at {brokers}: {e}")))?;
    let count = metadata.map_err(|e| SinkError::Connect(format!("Kafka at {brokers}: {e}")))?;
    link.set_connected(true);
    info!(brokers = %config.brokers, count, mode = ?config.mode, "Connected to Kafka.");
    Ok(KafkaSink { producer, template: config.topic_template.clone(), mode: config.mode, link })
}
