//! The JetStream in-flight window: events published but not yet acknowledged, oldest first,
//! each with its pending PubAck. Re-publishing the whole window after a failure (go-back-N)
//! keeps per-key order; the `Nats-Msg-Id` header makes the stream drop the copies it already
//! has. When to retry and what to count is the publisher's business.
//!
//! Go-back-N alone is not enough across a reconnect: an event written to a socket that died is
//! lost while later ones, sent on the new connection, are stored, and its re-send would land
//! after them. So each publish (in `ordered` mode) names its predecessor in
//! `Nats-Expected-Last-Msg-Id`: the stream refuses anything whose predecessor is not its last
//! message, and the re-sent window restores the order.

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
    /// The id of the event published just before this one, when publishing in order.
    after: Option<String>,
    ack: AckFuture,
}

/// The events in flight, oldest first.
pub struct Window {
    js: Context,
    template: String,
    flights: VecDeque<Flight>,
    /// Set in `ordered` mode: the id of the last event published (none yet after start).
    last_id: Option<Option<String>>,
}

impl Window {
    /// A window publishing with `template`; `ordered` chains each publish to its predecessor.
    pub fn new(js: Context, template: String, ordered: bool) -> Window {
        Window { js, template, flights: VecDeque::new(), last_id: ordered.then_some(None) }
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
        let after = match &mut self.last_id {
            Some(last) => last.replace(event.id.clone()),
            None => None,
        };
        let started = Instant::now();
        self.flights.push_back(Flight { event, started, subject, payload, after, ack });
        if let Some(flight) = self.flights.back_mut() {
            flight.ack = send(&self.js, flight).await;
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

    /// The events still in flight, oldest first (after a hard stop).
    pub fn into_events(self) -> Vec<Event> {
        self.flights.into_iter().map(|f| f.event).collect()
    }

    /// Removes the oldest flight after its ack arrived.
    pub fn pop_oldest(&mut self) -> Option<Flight> {
        self.flights.pop_front()
    }

    /// Removes the oldest flight, which the stream will never store (too large): the next one
    /// takes over its predecessor, so the chain of expected ids has no hole.
    pub fn drop_oldest(&mut self) -> Option<Flight> {
        let dropped = self.flights.pop_front()?;
        match self.flights.front_mut() {
            Some(next) => next.after.clone_from(&dropped.after),
            None => {
                if let Some(last) = &mut self.last_id {
                    last.clone_from(&dropped.after);
                }
            }
        }
        Some(dropped)
    }

    /// Publishes every flight again, oldest first, with the same payload and message id.
    pub async fn republish_all(&mut self) {
        for flight in &mut self.flights {
            flight.ack = send(&self.js, flight).await;
        }
    }
}

/// Publishes one event; a failure to send becomes an ack that fails, so callers handle every
/// problem in one place, in order.
fn send(js: &Context, flight: &Flight) -> impl Future<Output = AckFuture> + Send + 'static {
    let mut headers = route::headers(&flight.event);
    if let Some(after) = &flight.after {
        headers.insert("Nats-Expected-Last-Msg-Id", after.as_str());
    }
    let (js, subject, payload) = (js.clone(), flight.subject.clone(), flight.payload.clone());
    publish(js, subject, headers, payload)
}

async fn publish(
    js: Context,
    subject: String,
    headers: async_nats::HeaderMap,
    payload: Bytes,
) -> AckFuture {
    match js.publish_with_headers(subject, headers, payload).await {
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
