//! The Kafka sink: an idempotent `acks=all` librdkafka producer, checked against the brokers at
//! start, whose client callbacks drive readiness. Records are laid out in `record.rs`; the
//! in-flight window and its delivery reports live in `window.rs`; missing topics are created
//! by `topics.rs`.

mod drive;
mod record;
mod topics;
mod window;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;
use tracing::{debug, error, info, warn};

use topics::TopicMaker;
pub use window::KafkaWindow;

use super::link::Link;
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
    /// Set when the bridge creates missing topics.
    pub(super) topics: Option<TopicMaker>,
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
                // librdkafka says so on every failed attempt; the loss is worth one warning.
                if self.link.set_connected(false) {
                    warn!(reason, "Every Kafka broker is down; librdkafka keeps reconnecting.");
                } else {
                    debug!(reason, "Every Kafka broker is still down.");
                }
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
            code if refused(code) => {
                error!(%error, reason, "The Kafka brokers refused the bridge's credentials.");
                self.link.refused(format!("{error}: {reason}"));
            }
            _ => warn!(%error, reason, "Kafka client error."),
        }
    }
}

/// Builds the producer and waits (bounded) for the brokers' metadata: one attempt.
pub async fn connect(config: &KafkaSinkConfig) -> Result<KafkaSink, SinkError> {
    let sink = build(config)?;
    reachable(&sink, &config.brokers).await?;
    Ok(sink)
}

/// Builds the producer without any I/O; what fails here is the configuration. librdkafka
/// connects in the background and keeps reconnecting, so a producer is built once and
/// [`reachable`] is asked again while the brokers are down.
pub fn build(config: &KafkaSinkConfig) -> Result<KafkaSink, SinkError> {
    if let Err(p) = config.check_properties() {
        return Err(SinkError::Config(format!("kafka property `{}`: {}", p.key, p.problem)));
    }
    let link = Arc::new(Link::default());
    let context = KafkaContext { link: link.clone() };
    let native = |e: KafkaError| match e {
        KafkaError::ClientConfig(_, reason, key, _) => {
            SinkError::Config(format!("kafka property `{key}`: {reason}"))
        }
        other => SinkError::Config(format!("kafka client: {other}")),
    };
    let settings = config.client_config().map_err(|e| SinkError::Config(e.to_string()))?;
    let producer: KafkaProducer = settings.create_with_context(context).map_err(native)?;
    let topics = match &config.create_topics {
        Some(spec) => {
            let settings =
                config.connection_config().map_err(|e| SinkError::Config(e.to_string()))?;
            Some(TopicMaker::new(settings.create().map_err(native)?, spec.clone()))
        }
        None => None,
    };
    let template = config.topic_template.clone();
    Ok(KafkaSink { producer, template, mode: config.mode, link, topics })
}

/// Waits (bounded) for the brokers' metadata, so the sink counts as connected only once a
/// broker answered. A refusal of our credentials is permanent; anything else is waited out.
pub async fn reachable(sink: &KafkaSink, brokers: &str) -> Result<(), SinkError> {
    let probe = sink.producer.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        probe.client().fetch_metadata(None, CONNECT_TIMEOUT).map(|m| m.brokers().len())
    })
    .await
    .map_err(|e| SinkError::Connect(format!("Kafka at {brokers}: {e}")))?;
    let count = metadata.map_err(|e| {
        // librdkafka reports a SASL refusal to the client callback; the metadata request itself
        // usually just times out.
        match sink.link.take_refusal() {
            Some(why) => SinkError::Refused(format!("Kafka at {brokers}: {why}")),
            None if refused(e.rdkafka_error_code()) => {
                SinkError::Refused(format!("Kafka at {brokers}: {e}"))
            }
            None => SinkError::Connect(format!("Kafka at {brokers}: {e}")),
        }
    })?;
    sink.link.set_connected(true);
    info!(brokers, count, mode = ?sink.mode, "Connected to Kafka.");
    Ok(())
}

/// The error codes that mean the brokers answered and refused us.
fn refused(code: Option<RDKafkaErrorCode>) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        code,
        Some(
            Authentication
                | SaslAuthenticationFailed
                | ClusterAuthorizationFailed
                | TopicAuthorizationFailed
                | TransactionalIdAuthorizationFailed
        )
    )
}
