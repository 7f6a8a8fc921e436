//! The Kafka in-flight window: records handed to librdkafka, oldest first, each with its
//! delivery report. librdkafka's idempotent producer retries and orders within a partition;
//! the window only settles reports in the order events left the queue, and re-sends a record
//! whose delivery failed for good (after the publisher's backoff).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryFuture, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;

use super::record::{record, Record};
use super::{KafkaProducer, KafkaSink};
use crate::event::Event;
use crate::sink::route;

/// How long to wait before offering a record again when librdkafka's local queue is full.
const QUEUE_FULL_PAUSE: Duration = Duration::from_millis(5);

/// A delivery report still to come, or a send that failed before reaching librdkafka's queue.
enum Pending {
    Report(DeliveryFuture),
    Failed(Option<KafkaError>),
}

/// One event handed to the producer and not yet settled.
pub struct Flight {
    pub event: Event,
    /// When it was first sent: the latency metric spans re-sends.
    pub started: Instant,
    topic: String,
    record: Record,
    pending: Pending,
}

/// The events in flight, oldest first.
pub struct KafkaWindow {
    producer: KafkaProducer,
    sink: KafkaSink,
    flights: VecDeque<Flight>,
}

impl KafkaWindow {
    pub fn new(sink: KafkaSink) -> KafkaWindow {
        KafkaWindow { producer: sink.producer.clone(), sink, flights: VecDeque::new() }
    }

    pub fn len(&self) -> usize {
        self.flights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flights.is_empty()
    }

    /// Marks the broker reachable again (a delivery succeeded).
    pub fn set_connected(&self, connected: bool) {
        self.sink.link.set_connected(connected);
    }

    /// Lays `event` out (once) and hands it to the producer at the back of the window.
    pub async fn publish(&mut self, event: Event) {
        let topic = route::topic(&self.sink.template, &event);
        if let Some(maker) = &mut self.sink.topics {
            maker.ensure(&topic).await;
        }
        let record = record(&event, self.sink.mode);
        let pending = send(&self.producer, &topic, &event, &record).await;
        self.flights.push_back(Flight { event, started: Instant::now(), topic, record, pending });
    }

    /// The oldest event's delivery result. Cancel-safe: the report stays pending.
    /// Call only when the window is not empty, and pop the flight once this returns.
    pub async fn oldest(&mut self) -> Result<(), KafkaError> {
        let Some(flight) = self.flights.front_mut() else {
            return std::future::pending().await;
        };
        match &mut flight.pending {
            Pending::Failed(error) => Err(error.take().unwrap_or(KafkaError::Canceled)),
            Pending::Report(report) => match report.await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err((error, _))) => Err(error),
                Err(_) => Err(KafkaError::Canceled),
            },
        }
    }

    pub fn pop_oldest(&mut self) -> Option<Flight> {
        self.flights.pop_front()
    }

    /// Sends the oldest record again, same key, value and headers.
    pub async fn resend_oldest(&mut self) {
        if let Some(f) = self.flights.front_mut() {
            f.pending = send(&self.producer, &f.topic, &f.event, &f.record).await;
        }
    }

    /// After a hard stop: waits up to `grace` for outstanding reports; returns every flight,
    /// oldest first, with whether it was delivered (failed, or no report in time: not).
    pub async fn finish(mut self, grace: Duration) -> Vec<(Flight, bool)> {
        let mut settled = Vec::new();
        let deadline = tokio::time::Instant::now() + grace;
        while !self.flights.is_empty() {
            let delivered = match tokio::time::timeout_at(deadline, self.oldest()).await {
                Ok(outcome) => outcome.is_ok(),
                Err(_) => break,
            };
            settled.extend(self.pop_oldest().map(|f| (f, delivered)));
        }
        settled.extend(self.flights.into_iter().map(|f| (f, false)));
        settled
    }
}

/// Hands one record to librdkafka, waiting while its local queue is full. A record it refuses
/// outright (too large, unknown topic) becomes a failed report, handled in order with the rest.
async fn send(producer: &KafkaProducer, topic: &str, event: &Event, r: &Record) -> Pending {
    loop {
        let record = FutureRecord::to(topic)
            .key(event.partition_key.as_bytes())
            .payload(&r.value)
            .headers(r.headers.clone());
        match producer.send_result(record) {
            Ok(report) => return Pending::Report(report),
            Err((e, _)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                tokio::time::sleep(QUEUE_FULL_PAUSE).await;
            }
            Err((e, _)) => return Pending::Failed(Some(e)),
        }
    }
}

/// Whether re-sending cannot help: the broker will never take a record this large.
pub fn is_too_large(error: &KafkaError) -> bool {
    error.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageSizeTooLarge)
}

/// The metric reason for a failed delivery.
pub fn reason(error: &KafkaError) -> &'static str {
    match error.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageSizeTooLarge) => "too_large",
        Some(RDKafkaErrorCode::MessageTimedOut) => "timeout",
        Some(RDKafkaErrorCode::TopicAuthorizationFailed) => "unauthorized",
        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
            "unknown_topic"
        }
        Some(RDKafkaErrorCode::Fatal) => "fatal",
        _ => "rejected",
    }
}
