//! Stateful reconnect bookkeeping (ASP.NET Core 8+, protocols.md §2.12), pure and shared by the
//! client session and the simulator's server side: the numbering of what the peer sends
//! ([`Inbound`]: duplicates skipped, nothing processed between a drop and the peer's
//! `Sequence`), and the replay buffer of what we sent ([`Outbound`]: kept until acknowledged,
//! sent again after a transport reconnect). No I/O, no clocks; the caller debounces Acks.
//!
//! Only "trackable" records are numbered, implicitly and from 1 on both sides: Invocation,
//! StreamItem, Completion, StreamInvocation, CancelInvocation (types 1 to 5). Ping, Close, Ack
//! and Sequence are not. As the shipped clients do (trap 31), a `Sequence` names the id of the
//! first record about to be replayed, or one past the last sent when nothing is buffered.

use std::collections::VecDeque;
use std::time::Duration;

/// Replay buffer size of the official clients and of the server
/// (`StatefulReconnectBufferSize`).
pub const BUFFER_BYTES: usize = 100_000;

/// The official clients send an Ack this long after the first record not yet acknowledged.
pub const ACK_DEBOUNCE: Duration = Duration::from_secs(1);

/// Whether a message type is numbered for stateful reconnect.
pub fn is_trackable(kind: u64) -> bool {
    (1..=5).contains(&kind)
}

/// The peer's `Sequence` cannot be honoured: it claims records we never received.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the peer's Sequence {got} is past the next record we expect ({expected}): records were lost"
)]
pub struct SequenceError {
    pub got: u64,
    pub expected: u64,
}

/// What to do with a record from the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A new trackable record with this sequence id: process it.
    Process(u64),
    /// An untracked record (Ping, Ack, Close...): process it.
    Untracked,
    /// A trackable record already processed before the drop: skip it.
    Duplicate(u64),
    /// Anything but `Sequence` after a drop, before the peer's `Sequence`: skip it.
    BeforeSequence,
}

/// The numbering of records received from the peer.
#[derive(Debug)]
pub struct Inbound {
    /// The id the next trackable record gets.
    next: u64,
    /// The highest id processed; what an Ack names.
    latest: u64,
    awaiting_sequence: bool,
}

impl Default for Inbound {
    fn default() -> Self {
        Inbound { next: 1, latest: 0, awaiting_sequence: false }
    }
}

impl Inbound {
    /// Classifies one record of message type `kind` (not `Sequence`: see [`Inbound::sequence`]).
    pub fn record(&mut self, kind: u64) -> Verdict {
        if self.awaiting_sequence {
            return Verdict::BeforeSequence;
        }
        if !is_trackable(kind) {
            return Verdict::Untracked;
        }
        let id = self.next;
        self.next += 1;
        if id <= self.latest {
            return Verdict::Duplicate(id);
        }
        self.latest = id;
        Verdict::Process(id)
    }

    /// The peer restarts its numbering at `first` (the first record it replays). Records up to
    /// [`Inbound::latest`] that follow are duplicates.
    pub fn sequence(&mut self, first: u64) -> Result<(), SequenceError> {
        let expected = self.latest + 1;
        if first > expected {
            return Err(SequenceError { got: first, expected });
        }
        self.next = first;
        self.awaiting_sequence = false;
        Ok(())
    }

    /// The transport dropped: nothing is processed until the peer's `Sequence`.
    pub fn disconnected(&mut self) {
        self.awaiting_sequence = true;
    }

    /// After a drop, until the peer's `Sequence`.
    pub fn awaiting_sequence(&self) -> bool {
        self.awaiting_sequence
    }

    /// The highest sequence id processed (0 before any).
    pub fn latest(&self) -> u64 {
        self.latest
    }
}

/// Trackable records sent and not yet acknowledged, in order, for replay after a reconnect.
#[derive(Debug)]
pub struct Outbound<M> {
    items: VecDeque<(u64, M, usize)>,
    /// Trackable records sent so far (the last id given).
    total: u64,
    bytes: usize,
    limit: usize,
    /// The buffer outgrew its limit once and was let go: a replay is no longer complete.
    overflowed: bool,
}

impl<M> Outbound<M> {
    /// A buffer holding at most about `limit` bytes of records.
    pub fn new(limit: usize) -> Outbound<M> {
        Outbound { items: VecDeque::new(), total: 0, bytes: 0, limit, overflowed: false }
    }

    /// Numbers a trackable record of `len` bytes being sent and keeps it for replay. Past the
    /// limit the buffer is emptied for good and the connection can no longer be resumed
    /// ([`Outbound::resumable`]): memory stays bounded whatever the peer does. A sender that
    /// must not lose resumability waits on [`Outbound::is_full`] first.
    pub fn push(&mut self, record: M, len: usize) -> u64 {
        self.total += 1;
        if self.overflowed {
            return self.total;
        }
        self.bytes += len;
        self.items.push_back((self.total, record, len));
        if self.bytes > self.limit && self.items.len() > 1 {
            self.items.clear();
            self.bytes = 0;
            self.overflowed = true;
        }
        self.total
    }

    /// The peer processed everything up to `id`: those records are dropped.
    pub fn ack(&mut self, id: u64) {
        while let Some((first, _, len)) = self.items.front() {
            if *first > id {
                break;
            }
            self.bytes -= len;
            self.items.pop_front();
        }
    }

    /// The buffer holds its limit or more: a sender that honours back-pressure waits for an Ack.
    pub fn is_full(&self) -> bool {
        self.bytes >= self.limit
    }

    /// Whether a replay after a drop still holds every unacknowledged record.
    pub fn resumable(&self) -> bool {
        !self.overflowed
    }

    /// The id a `Sequence` names: the first record to replay, or one past the last sent.
    pub fn first_unacked(&self) -> u64 {
        self.items.front().map_or(self.total + 1, |(id, _, _)| *id)
    }

    /// The records to send again, oldest first, after the `Sequence`.
    pub fn replay(&self) -> impl Iterator<Item = &M> {
        self.items.iter().map(|(_, record, _)| record)
    }

    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
#[path = "stateful_tests.rs"]
mod tests;
