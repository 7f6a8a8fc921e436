//! The publisher loop for Kafka: fills the window up to `max_in_flight`, settles delivery
//! reports oldest first, and decides what a failed delivery means (dropped if too large, else
//! re-sent after backoff).

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tracing::error;

use super::window::{is_too_large, reason};
use super::KafkaWindow;
use crate::event::Event;
use crate::sink::publisher::{since, Failure, Run};

impl Run<'_> {
    pub(in crate::sink) async fn drive_kafka(
        &self,
        w: &mut KafkaWindow,
        rx: &mut mpsc::Receiver<Event>,
        done: &mut u64,
    ) {
        let mut closed = false;
        let mut attempt = 0;
        while !(closed && w.is_empty()) {
            let room = w.len() < self.max_in_flight;
            tokio::select! {
                biased;
                result = w.oldest(), if !w.is_empty() => {
                    *done += self.on_report(w, result, &mut attempt).await;
                }
                event = rx.recv(), if room && !closed => match event {
                    Some(event) => {
                        self.metrics.event_dequeued();
                        w.publish(event).await;
                    }
                    None => closed = true,
                },
            }
        }
    }

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
                self.metrics.published(self.label, flight.started.elapsed(), since_read);
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
