//! The JetStream in-flight window: events published but not yet acknowledged, oldest first,
//! each awaiting its PubAck. Re-publishing the whole window after a failure (go-back-N) keeps
//! per-key order; the `Nats-Msg-Id` header makes the stream drop the copies it already has.
//! When to retry and what to count is the publisher's business.
//!
//! Go-back-N alone is not enough across a reconnect: an event written to a socket that died is
//! lost while later ones, sent on the new connection, are stored, and its re-send would land
//! after them. So each publish (in `ordered` mode) names its predecessor in
//! `Nats-Expected-Last-Msg-Id`: the stream refuses anything whose predecessor is not its last
//! message, and the re-sent window restores the order.
//!
//! PubAcks are tracked here rather than by async-nats's JetStream context, which costs a new
//! inbox, a oneshot, a timer and a boxed future per message: each publish is a plain core-NATS
//! publish whose reply subject is `<inbox>.<token>`, every reply arrives on one wildcard
//! subscription, and one timer watches the oldest flight (see `ledger` for the matching).

mod ledger;
mod reply;

use std::future::pending;
use std::pin::Pin;
use std::time::Duration;

use async_nats::client::PublishErrorKind;
use async_nats::header::NATS_EXPECTED_LAST_MESSAGE_ID;
use async_nats::{Client, Message, SubscribeError, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::time::{Instant, Sleep};

use super::route;
use crate::event::Event;
pub use ledger::Flight;
use ledger::Ledger;
pub use reply::{AckError, Outcome};

/// The one subscription every PubAck of a sink connection arrives on.
pub struct AckInbox {
    acks: Subscriber,
    /// `<inbox>.`: a reply subject is this plus the attempt's token.
    prefix: String,
}

impl AckInbox {
    /// Subscribes to `<new inbox>.*` on `client`.
    pub async fn open(client: &Client) -> Result<AckInbox, SubscribeError> {
        let inbox = client.new_inbox();
        let acks = client.subscribe(format!("{inbox}.*")).await?;
        Ok(AckInbox { acks, prefix: format!("{inbox}.") })
    }
}

/// The events in flight, oldest first.
pub struct Window {
    sender: Sender,
    acks: Subscriber,
    ledger: Ledger,
    /// Fires at or before the oldest flight's ack deadline. Armed lazily: deadlines only move
    /// later, so it is reset when it fires early rather than every time the oldest changes.
    timer: Pin<Box<Sleep>>,
}

impl Window {
    /// A window publishing with `template`; `ordered` chains each publish to its predecessor.
    pub fn new(
        client: Client,
        inbox: AckInbox,
        template: String,
        ack_timeout: Duration,
        ordered: bool,
    ) -> Window {
        let timer = Box::pin(tokio::time::sleep_until(Instant::now()));
        let AckInbox { acks, prefix } = inbox;
        let sender = Sender { client, prefix, template, ack_timeout };
        Window { sender, acks, ledger: Ledger::new(ordered), timer }
    }

    pub fn len(&self) -> usize {
        self.ledger.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ledger.is_empty()
    }

    /// Serializes `event` (once) and publishes it at the back of the window.
    pub async fn publish(&mut self, event: Event) {
        let payload = Bytes::from(event.to_json());
        // In the window before the send, so a hard stop during the send still counts it.
        let flight = self.ledger.push(event, payload, Instant::now());
        self.sender.send(flight).await;
        if matches!(flight.outcome, Some(Err(AckError::TooLarge(_)))) {
            self.ledger.unchain_newest();
        }
    }

    /// The oldest event's outcome. Cancel-safe: replies are recorded as they are read, and
    /// the outcome is taken only when this returns. Call only when the window is not empty,
    /// then pop, drop or re-publish (an outcome is returned once per attempt).
    pub async fn oldest_ack(&mut self) -> Outcome {
        loop {
            let Some(oldest) = self.ledger.oldest_mut() else { return pending().await };
            if let Some(outcome) = oldest.outcome.take() {
                return outcome;
            }
            let deadline = oldest.sent + self.sender.ack_timeout;
            tokio::select! {
                biased;
                reply = self.acks.next() => match reply {
                    Some(reply) => self.record(&reply),
                    None => return Err(AckError::Disconnected("ack subscription ended".into())),
                },
                () = &mut self.timer => {
                    if self.timer.deadline() >= deadline {
                        return Err(AckError::Timeout);
                    }
                    self.timer.as_mut().reset(deadline);
                }
            }
        }
    }

    /// Files a reply under the flight whose attempt it answers; drops late and foreign ones.
    fn record(&mut self, reply: &Message) {
        let Some(token) = reply::token(&self.sender.prefix, reply.subject.as_str()) else {
            return;
        };
        let status = reply.status.map(|s| s.as_u16());
        self.ledger.record(token, reply::parse(status, &reply.payload));
    }

    /// The events still in flight, oldest first (after a hard stop).
    pub fn into_events(self) -> Vec<Event> {
        self.ledger.into_events()
    }

    /// Removes the oldest flight after its ack arrived.
    pub fn pop_oldest(&mut self) -> Option<Flight> {
        self.ledger.pop_oldest()
    }

    /// Removes the oldest flight, which the stream will never store (too large), keeping the
    /// chain of expected ids whole.
    pub fn drop_oldest(&mut self) -> Option<Flight> {
        self.ledger.drop_oldest()
    }

    /// Publishes every flight again, oldest first, with the same payload and message id and a
    /// new reply token each, so late replies to the earlier attempts are told apart.
    pub async fn republish_all(&mut self) {
        for flight in self.ledger.renew_all(Instant::now()) {
            self.sender.send(flight).await;
        }
    }
}

/// What a publish needs besides the flight.
struct Sender {
    client: Client,
    /// `<inbox>.`: a reply subject is this plus the attempt's token.
    prefix: String,
    template: String,
    ack_timeout: Duration,
}

impl Sender {
    /// Publishes the current attempt of `flight`; a failure to send becomes its outcome, so
    /// callers handle every problem in one place, in order.
    ///
    /// The subject is rendered again for each attempt rather than kept: re-sends are rare.
    /// The client holds publishes in a bounded channel while it reconnects; a send that waits
    /// longer than the ack timeout counts as a timeout, as the ack would.
    async fn send(&self, flight: &mut Flight) {
        let mut headers = route::headers(&flight.event);
        if let Some(after) = &flight.after {
            headers.insert(NATS_EXPECTED_LAST_MESSAGE_ID, route::header_value(after));
        }
        let subject = route::subject(&self.template, &flight.event);
        let reply = reply::reply_subject(&self.prefix, flight.token);
        let payload = flight.payload.clone();
        let sent = self.client.publish_with_reply_and_headers(subject, reply, headers, payload);
        let failure = match tokio::time::timeout(self.ack_timeout, sent).await {
            Ok(Ok(())) => return,
            Ok(Err(e)) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                AckError::TooLarge(e.to_string())
            }
            Ok(Err(e)) if e.kind() == PublishErrorKind::Send => {
                AckError::Disconnected(e.to_string())
            }
            Ok(Err(e)) => AckError::Rejected(e.to_string()),
            Err(_) => AckError::Timeout,
        };
        flight.outcome = Some(Err(failure));
    }
}
