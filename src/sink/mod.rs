//! Sinks and the publisher loop: where normalized events go, and the one task that moves them
//! off the bounded queue and counts them delivered only once acknowledged.
//!
//! - `route`: NATS subject and headers for an event (pure).
//! - `stream`: JSON lines to stdout or a file.
//! - `nats`: connecting to NATS, stream setup, core-NATS batches.
//! - `jetstream`: the JetStream in-flight window: PubAcks over one reply subscription,
//!   go-back-N on failure.
//! - `kafka`: the Kafka producer, record layout and in-flight window.
//! - `link`: a broker connection's state, mirrored into the app's status.
//! - `publisher`: the loop and retries.
//! - `connect`: connecting at start, waiting out a broker that is down.
//! - `probe`: checks against a live broker for `check-config`.
//! - `stop`: the hard stop: last settling, saving to the spool, accounting.

mod connect;
mod jetstream;
mod kafka;
mod link;
mod nats;
pub mod probe;
mod publisher;
pub mod route;
mod stop;
mod stream;

use std::path::PathBuf;

pub use connect::{label, until_connected};
pub use publisher::run_publisher;

use crate::config::{SinkConfig, SinkKind};
use kafka::KafkaSink;
use nats::NatsSink;
use stream::StreamSink;

/// A connected sink, ready for [`run_publisher`].
pub struct Sink {
    target: Target,
    /// Events published before waiting for acknowledgements.
    max_in_flight: usize,
    /// The `sink` metric label, from the config ([`label`]).
    label: &'static str,
}

/// The closed set of places events go.
enum Target {
    Stdout(StreamSink),
    File(StreamSink),
    Nats(Box<NatsSink>),
    Kafka(Box<KafkaSink>),
}

/// Why a sink could not start. Only [`SinkError::Connect`] is worth waiting out; the others
/// need an operator ([`SinkError::is_permanent`]).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The broker could not be reached (down, unreachable, timed out); the message names the
    /// URL. The bridge retries.
    #[error("{0}")]
    Connect(String),
    /// The broker answered and refused the credentials.
    #[error("{0}; fix: check the sink's credentials (sink.nats.user/password/token/credentials_file, sink.kafka.sasl) and the broker's ACLs")]
    Refused(String),
    /// The sink's settings cannot work (bad subject template, unreadable credentials).
    #[error("sink configuration: {0}")]
    Config(String),
    /// The JetStream server refused to create or update the configured stream.
    #[error(
        "JetStream {0}; fix: correct sink.nats.stream (name, subjects) or the stream on the server"
    )]
    Stream(String),
    /// The output file could not be opened.
    #[error("cannot open {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SinkError {
    /// No waiting can fix it: the process should stop and say so.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, SinkError::Connect(_))
    }

    /// The `reason` label of `sink_connect_failures_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            SinkError::Connect(_) => "unreachable",
            SinkError::Refused(_) => "refused",
            SinkError::Config(_) => "config",
            SinkError::Stream(_) => "stream",
            SinkError::File { .. } => "file",
        }
    }
}

impl Sink {
    /// Opens the configured sink: connects to the broker (bounded), or opens the file.
    pub async fn connect(config: &SinkConfig) -> Result<Sink, SinkError> {
        let target = match config.kind {
            SinkKind::Stdout => Target::Stdout(StreamSink::stdout()),
            SinkKind::File => {
                let file = config.file.as_ref().ok_or_else(|| {
                    SinkError::Config("sink kind `file` needs a `file` section".into())
                })?;
                let sink = StreamSink::file(&file.path, file.fsync)
                    .await
                    .map_err(|source| SinkError::File { path: file.path.clone(), source })?;
                Target::File(sink)
            }
            SinkKind::Nats => {
                let nats = config.nats.clone().unwrap_or_default();
                Target::Nats(Box::new(nats::connect(&nats).await?))
            }
            SinkKind::Kafka => {
                Target::Kafka(Box::new(kafka::connect(kafka_section(config)?).await?))
            }
        };
        Ok(Sink::new(target, config))
    }

    fn new(target: Target, config: &SinkConfig) -> Sink {
        Sink { target, max_in_flight: config.max_in_flight.max(1), label: label(config) }
    }

    /// The `sink` metric label.
    pub fn label(&self) -> &'static str {
        self.label
    }
}

/// The `kafka` section a Kafka sink needs.
fn kafka_section(config: &SinkConfig) -> Result<&crate::config::KafkaSinkConfig, SinkError> {
    config
        .kafka
        .as_ref()
        .ok_or_else(|| SinkError::Config("sink kind `kafka` needs a `kafka` section".into()))
}

/// Closes the queue of a sink that never connected: what it holds goes to the spool when
/// there is one, or is counted lost.
pub fn abandon(
    metrics: &crate::telemetry::Metrics,
    label: &'static str,
    rx: crate::queue::QueueRx,
) -> PublisherReport {
    stop::close(metrics, label, rx, Vec::new(), 0)
}

/// What the publisher did before it ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublisherReport {
    pub delivered: u64,
    /// Not delivered when the publisher stopped: kept in the spool, or lost.
    pub undelivered: u64,
    /// Of those, the events that could not be kept (no spool, or it failed): gone.
    pub lost: u64,
}
