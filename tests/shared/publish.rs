//! Runs a real publisher over a list of events (included by the sink test binaries).

use std::sync::Arc;

use signalr_bridge::event::Event;
use signalr_bridge::queue;
use signalr_bridge::sink::{run_publisher, PublisherReport, Sink};
use signalr_bridge::status::AppStatus;
use signalr_bridge::telemetry::Metrics;
use tokio_util::sync::CancellationToken;

/// Runs a publisher over `events` sent through a queue of `capacity`, then closes the queue.
pub async fn publish_all(sink: Sink, events: Vec<Event>, capacity: usize) -> PublisherReport {
    publish_counted(sink, events, capacity, Arc::new(Metrics::new())).await
}

/// [`publish_all`], counting into `metrics`.
#[allow(dead_code)] // Not every sink test binary looks at the counts.
pub async fn publish_counted(
    sink: Sink,
    events: Vec<Event>,
    capacity: usize,
    metrics: Arc<Metrics>,
) -> PublisherReport {
    let (tx, rx) = queue::channel(capacity, None);
    let producer = tokio::spawn(async move {
        for e in events {
            tx.send(e).await.expect("publisher alive");
        }
    });
    let report =
        run_publisher(sink, rx, metrics, Arc::new(AppStatus::default()), CancellationToken::new())
            .await;
    producer.await.unwrap();
    report
}
