//! The publisher task: connects the sink, waiting out a broker that is down or unreachable at
//! start (the hubs and the queue run meanwhile), then publishes. A sink that can never work (its
//! credentials refused, settings the broker rejects) is reported through [`Fatal`]: the process
//! stops, and what the queue holds goes to the spool when there is one.

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::SinkConfig;
use crate::queue::QueueRx;
use crate::sink::{self, run_publisher, PublisherReport, SinkError};
use crate::status::AppStatus;
use crate::telemetry::Metrics;

/// A sink error no waiting can fix, once it happened.
#[derive(Default)]
pub struct Fatal {
    /// Cancelled when it happens.
    pub happened: CancellationToken,
    error: Mutex<Option<SinkError>>,
}

impl Fatal {
    fn set(&self, error: SinkError) {
        *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
        self.happened.cancel();
    }

    /// The error, once (the caller reports it).
    pub fn take(&self) -> Option<SinkError> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Starts the publisher: connect, then publish until the queue is closed and drained or
/// `hard_stop`.
pub(super) fn spawn(
    config: SinkConfig,
    rx: QueueRx,
    metrics: Arc<Metrics>,
    status: Arc<AppStatus>,
    hard_stop: CancellationToken,
    fatal: Arc<Fatal>,
) -> JoinHandle<PublisherReport> {
    tokio::spawn(async move {
        let label = sink::label(&config);
        match sink::until_connected(&config, &status, &metrics, &hard_stop).await {
            Ok(Some(sink)) => run_publisher(sink, rx, metrics, status, hard_stop).await,
            // Stopped before the broker ever answered: everything queued is still pending.
            Ok(None) => sink::abandon(&metrics, label, rx),
            Err(error) => {
                fatal.set(error);
                // The app stops the hubs and then this wait; the queue is closed after them.
                hard_stop.cancelled().await;
                sink::abandon(&metrics, label, rx)
            }
        }
    })
}
