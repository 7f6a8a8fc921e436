//! The publisher loop: takes events off the one bounded queue, keeps at most `max_in_flight`
//! unacknowledged, counts an event delivered only once the sink acknowledged it, retries
//! failures with capped backoff without dropping or reordering, and accounts for everything
//! still pending when a hard stop ends it. What "acknowledged" means is each sink's business.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::jetstream::{AckError, Outcome, Window};
use super::kafka::KafkaWindow;
use super::nats::{NatsPublisher, NatsSink};
use super::stream::StreamSink;
use super::{PublisherReport, Sink, Target};
use crate::event::Event;
use crate::queue::QueueRx;
use crate::status::AppStatus;
use crate::telemetry::{Metrics, SinkCounters};

/// A window of publishes awaiting acknowledgement, settled oldest first (JetStream PubAcks,
/// Kafka delivery reports); what an outcome means is the window's own business.
pub(in crate::sink) trait Flights {
    type Outcome;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool;
    async fn publish(&mut self, event: Event);
    /// Waits for the oldest flight's outcome.
    async fn oldest(&mut self) -> Self::Outcome;
    /// Acts on the oldest flight's outcome; returns how many events it delivered.
    async fn settle(&mut self, run: &Run<'_>, outcome: Self::Outcome, attempt: &mut u32) -> u64;
}

impl Flights for Window {
    type Outcome = Outcome;
    fn len(&self) -> usize {
        Window::len(self)
    }
    fn is_empty(&self) -> bool {
        Window::is_empty(self)
    }
    async fn publish(&mut self, event: Event) {
        Window::publish(self, event).await
    }
    async fn oldest(&mut self) -> Self::Outcome {
        self.oldest_ack().await
    }
    async fn settle(&mut self, run: &Run<'_>, outcome: Self::Outcome, attempt: &mut u32) -> u64 {
        run.on_ack(self, outcome, attempt).await
    }
}

/// A failed attempt: the metric reason and what went wrong.
#[derive(Debug)]
pub struct Failure {
    pub reason: &'static str,
    pub detail: String,
}

impl Failure {
    pub fn new(reason: &'static str, detail: &dyn std::fmt::Display) -> Failure {
        Failure { reason, detail: detail.to_string() }
    }
}

/// The delay before retry number `attempt` (0-based): doubling from 100 ms, capped at 5 s.
pub fn backoff(attempt: u32) -> Duration {
    let millis = 100u64.saturating_mul(1u64 << attempt.min(16));
    Duration::from_millis(millis.min(5_000))
}

/// Sinks that acknowledge a whole batch at once (write + flush).
pub(super) enum BatchTarget {
    Stream(StreamSink),
    Core(Box<NatsSink>),
}

/// How a sink is driven: whole batches, or a JetStream window of individual acks.
pub(super) enum Engine {
    Batch { target: BatchTarget, batch: Vec<Event> },
    Window(Window),
    Kafka(Box<KafkaWindow>),
}

impl Engine {
    fn new(target: Target) -> Engine {
        let batch = |target| Engine::Batch { target, batch: Vec::new() };
        match target {
            Target::Stdout(s) | Target::File(s) => batch(BatchTarget::Stream(s)),
            Target::Nats(n) => match n.publisher {
                NatsPublisher::Core => batch(BatchTarget::Core(n)),
                NatsPublisher::JetStream(inbox) => Engine::Window(Window::new(
                    n.client,
                    *inbox,
                    n.template,
                    n.ack_timeout,
                    n.ordered,
                )),
            },
            Target::Kafka(k) => Engine::Kafka(Box::new(KafkaWindow::new(*k))),
        }
    }
}

/// Publishes until `rx` is closed and drained and every ack arrived, or until `hard_stop`.
pub async fn run_publisher(
    sink: Sink,
    mut rx: QueueRx,
    metrics: Arc<Metrics>,
    status: Arc<AppStatus>,
    hard_stop: CancellationToken,
) -> PublisherReport {
    let label = sink.label();
    match &sink.target {
        Target::Nats(nats) => nats.link.attach(status),
        Target::Kafka(kafka) => kafka.link.attach(status),
        Target::Stdout(_) | Target::File(_) => status.set_sink_connected(true),
    }
    let sent = metrics.sink_counters(label);
    let run = Run { metrics: &metrics, label, max_in_flight: sink.max_in_flight.max(1), sent };
    let mut delivered = 0;
    let mut engine = Engine::new(sink.target);
    // The spool sequence of each event the engine holds, oldest first.
    let mut origins = VecDeque::new();
    let finished = tokio::select! {
        biased;
        () = hard_stop.cancelled() => false,
        () = run.drive(&mut engine, &mut rx, &mut delivered, &mut origins) => true,
    };
    if finished {
        info!(sink = label, delivered, "Publisher finished; every event delivered.");
        return PublisherReport { delivered, undelivered: 0, lost: 0 };
    }
    run.stop(engine, rx, delivered, origins).await
}

/// The loop's fixed context.
pub(super) struct Run<'a> {
    pub(super) metrics: &'a Metrics,
    pub(super) label: &'static str,
    pub(super) max_in_flight: usize,
    pub(super) sent: SinkCounters,
}

impl Run<'_> {
    async fn drive(
        &self,
        engine: &mut Engine,
        rx: &mut QueueRx,
        done: &mut u64,
        origins: &mut VecDeque<Option<u64>>,
    ) {
        match engine {
            Engine::Batch { target, batch } => {
                while let Some(first) = rx.recv().await {
                    self.metrics.event_dequeued(Some(first.event.time));
                    origins.push_back(first.spool_seq);
                    batch.push(first.event);
                    while batch.len() < self.max_in_flight {
                        let Some(next) = rx.try_recv() else { break };
                        self.metrics.event_dequeued(Some(next.event.time));
                        origins.push_back(next.spool_seq);
                        batch.push(next.event);
                    }
                    *done += self.commit(target, batch).await;
                    if let Some(seq) = origins.drain(..).flatten().last() {
                        rx.ack(seq);
                    }
                }
            }
            Engine::Window(window) => self.drive_flights(window, rx, done, origins).await,
            Engine::Kafka(window) => self.drive_flights(&mut **window, rx, done, origins).await,
        }
    }

    /// Commits one batch, retrying until it is acknowledged; returns how many were delivered.
    async fn commit(&self, target: &mut BatchTarget, batch: &mut Vec<Event>) -> u64 {
        let started = Instant::now();
        let mut attempt = 0;
        let rejected = loop {
            let result = match target {
                BatchTarget::Stream(s) => s
                    .commit(batch)
                    .await
                    .map(|()| Vec::new())
                    .map_err(|e| Failure::new("write", &e)),
                BatchTarget::Core(n) => n.commit_core(batch).await,
            };
            match result {
                Ok(rejected) => break rejected,
                Err(failure) => self.retry_after(failure, &mut attempt).await,
            }
        };
        let now = OffsetDateTime::now_utc();
        let latency = started.elapsed();
        for (index, event) in batch.iter().enumerate() {
            if rejected.contains(&index) {
                self.metrics.publish_failed(self.label, "too_large");
            } else {
                self.sent.published(latency, since(now, event.time));
            }
        }
        let delivered = (batch.len() - rejected.len()) as u64;
        batch.clear();
        delivered
    }

    /// Fills the window up to `max_in_flight` and settles acknowledgements oldest first, until
    /// the queue is closed and the window empty.
    /// `spooled` holds each flight's spool sequence, oldest first (flights settle in order).
    async fn drive_flights<W: Flights>(
        &self,
        w: &mut W,
        rx: &mut QueueRx,
        done: &mut u64,
        spooled: &mut VecDeque<Option<u64>>,
    ) {
        let mut closed = false;
        let mut attempt = 0;
        while !(closed && w.is_empty()) {
            let room = w.len() < self.max_in_flight;
            tokio::select! {
                biased;
                outcome = w.oldest(), if !w.is_empty() => {
                    let before = w.len();
                    *done += w.settle(self, outcome, &mut attempt).await;
                    let settled = spooled.drain(..before - w.len());
                    if let Some(seq) = settled.flatten().last() {
                        rx.ack(seq);
                    }
                }
                next = rx.recv(), if room && !closed => match next {
                    Some(next) => {
                        self.metrics.event_dequeued(Some(next.event.time));
                        spooled.push_back(next.spool_seq);
                        w.publish(next.event).await;
                    }
                    None => closed = true,
                },
            }
        }
    }

    /// Settles the oldest flight: delivered, dropped as too large, or the window re-published.
    pub(in crate::sink) async fn on_ack(
        &self,
        w: &mut Window,
        ack: Outcome,
        attempt: &mut u32,
    ) -> u64 {
        match ack {
            Ok(_) => {
                *attempt = 0;
                let Some(flight) = w.pop_oldest() else { return 0 };
                let since_read = since(OffsetDateTime::now_utc(), flight.event.time);
                self.sent.published(flight.started.elapsed(), since_read);
                1
            }
            Err(e @ AckError::TooLarge(_)) => {
                // Retrying cannot help and would stall every later event.
                if let Some(flight) = w.drop_oldest() {
                    let id = &flight.event.id;
                    error!(%id, error = %e, "Event too large for NATS; dropped.");
                }
                self.metrics.publish_failed(self.label, "too_large");
                0
            }
            Err(e) => {
                self.retry_after(Failure::new(e.reason(), &e), attempt).await;
                w.republish_all().await;
                0
            }
        }
    }

    /// Counts and logs a failed attempt, then waits out the backoff.
    pub(super) async fn retry_after(&self, failure: Failure, attempt: &mut u32) {
        self.metrics.publish_failed(self.label, failure.reason);
        let delay = backoff(*attempt);
        warn!(
            sink = self.label,
            reason = failure.reason,
            error = %failure.detail,
            retry_in = ?delay,
            "Publish failed; retrying."
        );
        *attempt = attempt.saturating_add(1);
        tokio::time::sleep(delay).await;
    }
}

/// Time since the hub message was read; zero if the clocks disagree.
pub(super) fn since(now: OffsetDateTime, read_at: OffsetDateTime) -> Duration {
    (now - read_at).try_into().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let table = [(0, 100), (1, 200), (2, 400), (5, 3_200), (6, 5_000), (40, 5_000)];
        for (attempt, millis) in table {
            assert_eq!(backoff(attempt), Duration::from_millis(millis), "attempt {attempt}");
        }
    }
}
