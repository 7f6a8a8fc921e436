//! The window's bookkeeping, without I/O: the flights oldest first, the reply token of each
//! one's current attempt, the outcomes that arrived (in any order), and the chain of expected
//! predecessors. The window sends and reads; this decides which reply belongs to which flight.
//!
//! Every attempt gets a fresh token from one counter, and a re-publish gives the whole window
//! new tokens oldest first. So the tokens in the window are consecutive from the oldest flight
//! on: a reply's token finds its flight by subtraction, and a token below the oldest one is a
//! late reply to an attempt that no longer counts.

use std::collections::VecDeque;

use bytes::Bytes;
use tokio::time::Instant;

use super::reply::Outcome;
use crate::event::Event;

/// One published, unacknowledged event.
pub struct Flight {
    pub event: Event,
    /// When it was first published: the latency metric spans retries.
    pub started: std::time::Instant,
    pub(super) payload: Bytes,
    /// The id of the event published just before this one, when publishing in order.
    pub(super) after: Option<String>,
    /// The reply token of the current attempt.
    pub(super) token: u64,
    /// When the current attempt was sent: the ack timeout runs from here.
    pub(super) sent: Instant,
    /// The current attempt's outcome, once its reply (or a failure to send) arrived.
    pub(super) outcome: Option<Outcome>,
}

/// The flights, oldest first.
pub struct Ledger {
    flights: VecDeque<Flight>,
    next_token: u64,
    /// Set in `ordered` mode: the id of the last event published (none yet after start).
    last_id: Option<Option<String>>,
}

impl Ledger {
    /// `ordered` chains each flight to its predecessor.
    pub fn new(ordered: bool) -> Ledger {
        Ledger { flights: VecDeque::new(), next_token: 0, last_id: ordered.then_some(None) }
    }

    pub fn len(&self) -> usize {
        self.flights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flights.is_empty()
    }

    /// Adds a flight for `event` at the back, with a fresh token, and returns it for sending.
    pub fn push(&mut self, event: Event, payload: Bytes, now: Instant) -> &mut Flight {
        let after = match &mut self.last_id {
            Some(last) => last.replace(event.id.clone()),
            None => None,
        };
        let token = self.take_token();
        let started = now.into_std();
        let flight = Flight { event, started, payload, after, token, sent: now, outcome: None };
        self.flights.push_back(flight);
        self.flights.back_mut().expect("just pushed")
    }

    /// Takes the newest flight out of the chain: the client refused it (too large), so the
    /// stream will never hold it and the next event must name its predecessor instead.
    pub fn unchain_newest(&mut self) {
        if let (Some(last), Some(newest)) = (&mut self.last_id, self.flights.back()) {
            last.clone_from(&newest.after);
        }
    }

    /// Records the outcome of the attempt `token`. Returns false for a reply to an attempt no
    /// flight waits for (a late one, superseded by a re-publish, or a second reply).
    pub fn record(&mut self, token: u64, outcome: Outcome) -> bool {
        let Some(oldest) = self.flights.front() else { return false };
        let Some(index) = token.checked_sub(oldest.token) else { return false };
        let Ok(index) = usize::try_from(index) else { return false };
        match self.flights.get_mut(index) {
            Some(flight) if flight.token == token && flight.outcome.is_none() => {
                flight.outcome = Some(outcome);
                true
            }
            _ => false,
        }
    }

    /// The oldest flight.
    pub fn oldest_mut(&mut self) -> Option<&mut Flight> {
        self.flights.front_mut()
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

    /// Starts a new attempt for every flight, oldest first: fresh tokens, no outcome yet, sent
    /// `now`. Replies to the earlier attempts no longer match. Returns the flights to send.
    pub fn renew_all(&mut self, now: Instant) -> impl Iterator<Item = &mut Flight> {
        let first = self.next_token;
        self.next_token += self.flights.len() as u64;
        self.flights.iter_mut().zip(first..).map(move |(flight, token)| {
            flight.token = token;
            flight.sent = now;
            flight.outcome = None;
            flight
        })
    }

    /// The events still in flight, oldest first (after a hard stop).
    pub fn into_events(self) -> Vec<Event> {
        self.flights.into_iter().map(|f| f.event).collect()
    }

    fn take_token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }
}

#[cfg(test)]
mod tests {
    use super::super::reply::{AckError, Stored};
    use super::*;
    use crate::event::{EventType, WireId};

    fn event(n: u64) -> Event {
        Event {
            id: WireId { connection: "c".into(), record: n }.event_id(0),
            source: "http://h/hub".into(),
            hub: "h".into(),
            kind: EventType::RedMistCarPatched,
            subject: format!("cars/{n}"),
            time: time::OffsetDateTime::UNIX_EPOCH,
            partition_key: "k".into(),
            data: serde_json::value::RawValue::from_string(format!("{n}")).unwrap(),
        }
    }

    fn ledger(ordered: bool, count: u64) -> Ledger {
        let mut ledger = Ledger::new(ordered);
        for n in 1..=count {
            ledger.push(event(n), Bytes::new(), Instant::now());
        }
        ledger
    }

    fn ok(seq: u64) -> Outcome {
        Ok(Stored { seq, duplicate: false })
    }

    fn oldest(ledger: &mut Ledger) -> (String, Option<Outcome>) {
        let flight = ledger.oldest_mut().unwrap();
        (flight.event.id.clone(), flight.outcome.clone())
    }

    fn tokens(ledger: &Ledger) -> Vec<u64> {
        ledger.flights.iter().map(|f| f.token).collect()
    }

    fn afters(ledger: &Ledger) -> Vec<Option<String>> {
        ledger.flights.iter().map(|f| f.after.clone()).collect()
    }

    #[test]
    fn push_gives_consecutive_tokens_and_chains_ids() {
        let ordered = ledger(true, 3);
        assert_eq!(tokens(&ordered), [0, 1, 2]);
        assert_eq!(afters(&ordered), [None, Some("c:1".into()), Some("c:2".into())]);
        assert_eq!(afters(&ledger(false, 2)), [None, None]);
    }

    #[test]
    fn record_out_of_order_settles_oldest_first() {
        let mut ledger = ledger(true, 3);
        assert!(ledger.record(2, ok(3)));
        assert!(ledger.record(1, ok(2)));
        assert_eq!(oldest(&mut ledger).1, None, "the oldest still waits");
        assert!(ledger.record(0, ok(1)));
        let mut settled = Vec::new();
        while let Some(flight) = ledger.oldest_mut() {
            let Some(Ok(stored)) = flight.outcome.clone() else { panic!("unsettled") };
            settled.push((ledger.pop_oldest().unwrap().event.id, stored.seq));
        }
        assert_eq!(settled, [("c:1".into(), 1), ("c:2".into(), 2), ("c:3".into(), 3)]);
    }

    #[test]
    fn record_ignores_unknown_and_second_replies() {
        let mut ledger = ledger(false, 2);
        assert!(!ledger.record(2, ok(9)), "no attempt 2 yet");
        assert!(!ledger.record(u64::MAX, ok(9)));
        assert!(ledger.record(1, ok(2)));
        assert!(!ledger.record(1, Err(AckError::Timeout)), "one reply per attempt");
        assert_eq!(ledger.flights[1].outcome, Some(ok(2)));
        assert!(!Ledger::new(true).record(0, ok(1)), "empty window");
    }

    #[test]
    fn stale_replies_after_a_republish_do_not_count() {
        let mut ledger = ledger(true, 3);
        assert!(ledger.record(1, ok(2)));
        let renewed: Vec<u64> = ledger.renew_all(Instant::now()).map(|f| f.token).collect();
        assert_eq!(renewed, [3, 4, 5]);
        assert_eq!(ledger.flights[1].outcome, None, "the earlier attempt's ack is forgotten");
        for late in 0..3 {
            assert!(!ledger.record(late, Err(AckError::Rejected("late".into()))));
        }
        assert_eq!(oldest(&mut ledger).1, None);
        assert!(ledger.record(3, ok(1)));
        assert_eq!(oldest(&mut ledger), ("c:1".into(), Some(ok(1))));
        assert_eq!(afters(&ledger), [None, Some("c:1".into()), Some("c:2".into())]);
    }

    #[test]
    fn tokens_stay_consecutive_across_pops_and_pushes() {
        let mut ledger = ledger(true, 3);
        ledger.pop_oldest();
        ledger.renew_all(Instant::now()).for_each(drop);
        ledger.push(event(4), Bytes::new(), Instant::now());
        ledger.drop_oldest();
        assert_eq!(tokens(&ledger), [4, 5]);
        assert!(ledger.record(5, ok(4)));
        assert!(!ledger.record(3, ok(2)), "the dropped flight's token");
    }

    #[test]
    fn drop_oldest_hands_its_predecessor_on() {
        let mut ledger = ledger(true, 3);
        ledger.pop_oldest();
        ledger.drop_oldest();
        assert_eq!(afters(&ledger), [Some("c:1".into())]);
        ledger.drop_oldest();
        let next = ledger.push(event(4), Bytes::new(), Instant::now());
        assert_eq!(next.after.as_deref(), Some("c:1"));
    }

    #[test]
    fn unchain_newest_skips_a_refused_event() {
        let mut ledger = ledger(true, 2);
        ledger.unchain_newest();
        let next = ledger.push(event(3), Bytes::new(), Instant::now());
        assert_eq!(next.after.as_deref(), Some("c:1"), "c:2 never reaches the stream");
        // Dropping c:2 later leaves the chain as it is.
        ledger.pop_oldest();
        ledger.drop_oldest();
        assert_eq!(afters(&ledger), [Some("c:1".into())]);
    }

    #[test]
    fn into_events_keeps_the_order() {
        let ids: Vec<String> = ledger(false, 3).into_events().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["c:1", "c:2", "c:3"]);
    }
}
