//! The JetStream in-flight window: events published but not yet acknowledged, oldest first,
//! each with its pending PubAck. Re-publishing the whole window after a failure (go-back-N)
//! keeps per-key order; the `Nats-Msg-Id` header makes the stream drop the copies it already
//! has. When to retry and what to count is the publisher's business.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Instant;

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::publish::PublishAck;
use async_nats::jetstream::Context;
use bytes::Bytes;

use super::route;
use crate::event::Event;

type AckFuture = Pin<Box<dyn Future<Output = Result<PublishAck, PublishError>> + Send>>;

/// One published, unacknowledged event.
pub struct Flight {
    pub event: Event,
    /// When it was first published: the latency metric spans retries.
    pub started: Instant,
    subject: String,
    payload: Bytes,
    ack: AckFuture,
}

/// The events in flight, oldest first.
pub struct Window {
    js: Context,
    template: String,
    flights: VecDeque<Flight>,
}

impl Window {
    pub fn new(js: Context, template: String) -> Window {
        Window { js, template, flights: VecDeque::new() }
    }

    pub fn len(&self) -> usize {
        self.flights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flights.is_empty()
    }

    /// Serializes `event` (once) and publishes it at the back of the window.
    pub async fn publish(&mut self, event: Event) {
        let subject = route::subject(&self.template, &event);
        let payload = Bytes::from(event.to_json());
        // In the window before the send, so a hard stop during the send still counts it.
        let ack: AckFuture = Box::pin(std::future::pending());
        self.flights.push_back(Flight { event, started: Instant::now(), subject, payload, ack });
        if let Some(flight) = self.flights.back_mut() {
            flight.ack =
                send(&self.js, &flight.subject, &flight.event, flight.payload.clone()).await;
        }
    }

    /// The oldest event's acknowledgement. Cancel-safe: the ack stays pending in the window.
    /// Call only when the window is not empty, and pop the flight once this returns.
    pub async fn oldest_ack(&mut self) -> Result<PublishAck, PublishError> {
        match self.flights.front_mut() {
            Some(flight) => (&mut flight.ack).await,
            None => std::future::pending().await,
        }
    }

    /// Removes the oldest flight after its ack arrived.
    pub fn pop_oldest(&mut self) -> Option<Flight> {
        self.flights.pop_front()
    }

    /// Publishes every flight again, oldest first, with the same payload and message id.
    pub async fn republish_all(&mut self) {
        for flight in &mut self.flights {
            flight.ack =
                send(&self.js, &flight.subject, &flight.event, flight.payload.clone()).await;
        }
    }
}

/// Publishes one event; a failure to send becomes an ack that fails, so callers handle every
/// problem in one place, in order.
async fn send(js: &Context, subject: &str, event: &Event, payload: Bytes) -> AckFuture {
    match js.publish_with_headers(subject.to_owned(), route::headers(event), payload).await {
        Ok(ack) => ack.into_future(),
        Err(e) => Box::pin(std::future::ready(Err(e))),
    }
}

/// The metric reason for a failed publish or ack.
pub fn reason(error: &PublishError) -> &'static str {
    match error.kind() {
        PublishErrorKind::TimedOut => "ack_timeout",
        PublishErrorKind::StreamNotFound => "no_stream",
        PublishErrorKind::BrokenPipe => "disconnected",
        PublishErrorKind::MaxPayloadExceeded => "too_large",
        _ => "rejected",
    }
}
