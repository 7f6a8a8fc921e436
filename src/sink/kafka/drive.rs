//! Kafka's part of the publisher loop: what a delivery report means for the oldest flight
//! (delivered; dropped if too large; else re-sent after backoff). The loop is `Run::drive_flights`.

use time::OffsetDateTime;
use tracing::error;

use super::window::{is_too_large, reason};
use super::KafkaWindow;
use crate::event::Event;
use crate::sink::publisher::{since, Failure, Flights, Run};

impl Flights for KafkaWindow {
    type Outcome = Result<(), rdkafka::error::KafkaError>;
    fn len(&self) -> usize {
        KafkaWindow::len(self)
    }
    fn is_empty(&self) -> bool {
        KafkaWindow::is_empty(self)
    }
    async fn publish(&mut self, event: Event) {
        KafkaWindow::publish(self, event).await
    }
    async fn oldest(&mut self) -> Self::Outcome {
        KafkaWindow::oldest(self).await
    }
    async fn settle(&mut self, run: &Run<'_>, outcome: Self::Outcome, attempt: &mut u32) -> u64 {
        run.on_report(self, outcome, attempt).await
    }
}

impl Run<'_> {
    /// Settles the oldest flight: delivered, dropped as too large, or sent again.
    async fn on_report(
        &self,
        w: &mut KafkaWindow,
        result: Result<(), rdkafka::error::KafkaError>,
        attempt: &mut u32,
    ) -> u64 {
        match result {
            Ok(()) => {
                *attempt = 0;
                w.set_connected(true);
                let Some(flight) = w.pop_oldest() else { return 0 };
                let since_read = since(OffsetDateTime::now_utc(), flight.event.time);
                self.sent.published(flight.started.elapsed(), since_read);
                1
            }
            Err(e) if is_too_large(&e) => {
                // Re-sending cannot help and would stall every later event of its partition.
                if let Some(flight) = w.pop_oldest() {
                    let id = &flight.event.id;
                    error!(%id, error = %e, "Event too large for Kafka; dropped.");
                }
                self.metrics.publish_failed(self.label, "too_large");
                0
            }
            Err(e) => {
                // librdkafka already retried what is retriable; this failure is final for the
                // record (e.g. not authorized, message timeout): wait, then send it again.
                self.retry_after(Failure::new(reason(&e), &e), attempt).await;
                w.resend_oldest().await;
                0
            }
        }
    }
}
