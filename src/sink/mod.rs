//! Sinks and the publisher loop (INTERFACE STUB: to be implemented).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::SinkConfig;
use crate::event::Event;
use crate::status::AppStatus;
use crate::telemetry::Metrics;

/// The closed set of sinks.
pub enum Sink {}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("{0}")]
    Connect(String),
}

impl Sink {
    pub async fn connect(_config: &SinkConfig) -> Result<Sink, SinkError> {
        todo!()
    }
    pub fn label(&self) -> &'static str {
        todo!()
    }
}

/// What the publisher did before it ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublisherReport {
    pub delivered: u64,
    pub undelivered: u64,
}

/// Publishes until `rx` is closed and drained and every ack arrived, or until `hard_stop`.
pub async fn run_publisher(
    _sink: Sink,
    _rx: mpsc::Receiver<Event>,
    _metrics: Arc<Metrics>,
    _status: Arc<AppStatus>,
    _hard_stop: CancellationToken,
) -> PublisherReport {
    todo!()
}
