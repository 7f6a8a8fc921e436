//! The one bounded queue between the hub tasks and the publisher, with its optional spill to
//! the disk spool.
//!
//! Without a spool, a full queue pauses the hubs (backpressure). With one, an event that does not
//! fit goes to the spool instead, and from then on every event does, until the publisher has
//! read the spool empty: the memory queue only ever holds events older than the spool's, so the
//! publisher (memory first, then spool) keeps the order in which hubs handed events over.
//! Spooled events are deleted only once the publisher acknowledges them ([`QueueRx::ack`]).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, Notify};
use tracing::{error, info};

mod replay;

use crate::config::WhenFull;
use crate::event::Event;
use crate::spool::{Spool, SpoolError};
use crate::telemetry::Metrics;

/// How long a blocked hub waits before offering again, in case a wake-up was missed.
const RECHECK: Duration = Duration::from_millis(200);

/// The spool and the rule for a full one, shared by both ends.
pub struct Spill {
    state: Mutex<State>,
    when_full: WhenFull,
    metrics: Arc<Metrics>,
    /// Wakes the publisher when an event was spooled.
    spooled: Notify,
    /// Wakes blocked hubs when acknowledgements freed spool space.
    freed: Notify,
}

struct State {
    spool: Spool,
    /// Set when the memory queue was found full; cleared when the publisher read the spool empty.
    spilling: bool,
    /// The replay's progress, once one is reported.
    replay: Option<replay::Replay>,
}

impl Spill {
    /// Wraps an opened spool; events it already holds (from an earlier run) are published first.
    pub fn new(spool: Spool, when_full: WhenFull, metrics: Arc<Metrics>) -> Spill {
        let spilling = spool.unread() > 0;
        metrics.spool.level(spool.pending(), spool.bytes());
        Spill {
            state: Mutex::new(State { spool, spilling, replay: None }),
            when_full,
            metrics,
            spooled: Notify::new(),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What closing the queue did with what was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Events still in the memory queue.
    pub drained: u64,
    /// Undelivered events written to the spool for the next start.
    pub saved: u64,
    /// Undelivered events that could not be kept (no spool, or it failed).
    pub lost: u64,
    /// Events the spool already held, unacknowledged.
    pub kept: u64,
}

/// An event taken off the queue; `spool_seq` is set when it came from the spool, and must be
/// passed to [`QueueRx::ack`] once delivered.
#[derive(Debug)]
pub struct Dequeued {
    pub event: Event,
    pub spool_seq: Option<u64>,
}

/// Why an event was not taken.
#[derive(Debug)]
pub enum Refused {
    /// No room now; offer it again after [`QueueTx::room`]. (Boxed: the rare path stays off
    /// the size of every `Result`.)
    Full(Box<Event>),
    /// The publisher is gone.
    Closed,
}

/// The hubs' end.
#[derive(Clone)]
pub struct QueueTx {
    tx: mpsc::Sender<Event>,
    spill: Option<Arc<Spill>>,
}

/// The publisher's end.
pub struct QueueRx {
    rx: mpsc::Receiver<Event>,
    spill: Option<Arc<Spill>>,
}

/// A queue of `capacity` events in memory, spilling to `spill` when given.
pub fn channel(capacity: usize, spill: Option<Spill>) -> (QueueTx, QueueRx) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let spill = spill.map(Arc::new);
    (QueueTx { tx, spill: spill.clone() }, QueueRx { rx, spill })
}

impl QueueTx {
    /// Takes `event` if there is room in memory or in the spool.
    pub fn offer(&self, event: Event) -> Result<(), Refused> {
        let Some(spill) = &self.spill else {
            return match self.tx.try_send(event) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(event)) => Err(Refused::Full(Box::new(event))),
                Err(TrySendError::Closed(_)) => Err(Refused::Closed),
            };
        };
        let mut state = spill.lock();
        let event = if state.spilling {
            event
        } else {
            match self.tx.try_send(event) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(_)) => return Err(Refused::Closed),
                Err(TrySendError::Full(event)) => {
                    info!("In-memory queue full; spilling events to the disk spool.");
                    state.spilling = true;
                    event
                }
            }
        };
        loop {
            match state.spool.append(&event) {
                Ok(_) => {
                    spill.metrics.spool.spooled(state.spool.pending(), state.spool.bytes());
                    spill.spooled.notify_one();
                    return Ok(());
                }
                Err(SpoolError::Full { .. }) if spill.when_full == WhenFull::DropOldest => {
                    let lost = state.spool.drop_oldest();
                    spill.metrics.spool.dropped(lost);
                }
                Err(SpoolError::Full { .. }) => return Err(Refused::Full(Box::new(event))),
                Err(e) => {
                    // The disk failed: hold the event in the hub (backpressure), never drop it.
                    error!(error = %e, "Could not write to the spool; pausing the hubs.");
                    spill.metrics.spool.io_error();
                    return Err(Refused::Full(Box::new(event)));
                }
            }
        }
    }

    /// Waits until an offer may succeed (room in memory, or spool space freed).
    pub async fn room(&self) {
        match &self.spill {
            None => drop(self.tx.reserve().await),
            Some(spill) => {
                let _ = tokio::time::timeout(RECHECK, spill.freed.notified()).await;
            }
        }
    }

    /// Offers `event` until it is taken; `Err` when the publisher is gone.
    pub async fn send(&self, mut event: Event) -> Result<(), Refused> {
        loop {
            match self.offer(event) {
                Ok(()) => return Ok(()),
                Err(Refused::Full(back)) => {
                    event = *back;
                    self.room().await;
                }
                Err(Refused::Closed) => return Err(Refused::Closed),
            }
        }
    }
}

impl QueueRx {
    /// The next event: the memory queue first (its events are the older ones), then the spool.
    /// `None` once every sender is gone and both are empty.
    pub async fn recv(&mut self) -> Option<Dequeued> {
        loop {
            let closed = match self.rx.try_recv() {
                Ok(event) => return Some(Dequeued { event, spool_seq: None }),
                Err(mpsc::error::TryRecvError::Empty) => false,
                Err(mpsc::error::TryRecvError::Disconnected) => true,
            };
            let Some(spill) = self.spill.clone() else {
                let event = self.rx.recv().await?;
                return Some(Dequeued { event, spool_seq: None });
            };
            if let Some(next) = read_spool(&spill) {
                return Some(next);
            }
            if closed {
                return None;
            }
            tokio::select! {
                event = self.rx.recv() => match event {
                    Some(event) => return Some(Dequeued { event, spool_seq: None }),
                    None => continue,
                },
                () = spill.spooled.notified() => {}
            }
        }
    }

    /// Takes an event only if one is ready now (for filling a batch).
    pub fn try_recv(&mut self) -> Option<Dequeued> {
        if let Ok(event) = self.rx.try_recv() {
            return Some(Dequeued { event, spool_seq: None });
        }
        let spill = self.spill.clone()?;
        read_spool(&spill)
    }

    /// Every spooled event up to `seq` was delivered: its segments may go.
    pub fn ack(&self, seq: u64) {
        if let Some(spill) = &self.spill {
            let mut state = spill.lock();
            let before = state.spool.pending();
            state.spool.ack(seq);
            let pending = state.spool.pending();
            spill.metrics.spool.level(pending, state.spool.bytes());
            if let Some(replay) = state.replay.as_mut() {
                replay.acked(before.saturating_sub(pending), pending);
            }
            drop(state);
            spill.freed.notify_waiters();
        }
    }

    /// Stops taking events. `held` are events the publisher took from memory and could not
    /// deliver, oldest first; with them, what is still queued in memory goes to the spool, in
    /// front of what was spooled when memory holds the older events (while spilling), else after
    /// it, so the order survives the restart. Says what went where.
    pub fn close(&mut self, held: Vec<Event>) -> Closed {
        self.rx.close();
        let mut events = held;
        let mut drained = 0;
        while let Ok(event) = self.rx.try_recv() {
            events.push(event);
            drained += 1;
        }
        let Some(spill) = &self.spill else {
            return Closed { drained, saved: 0, lost: events.len() as u64, kept: 0 };
        };
        let mut state = spill.lock();
        let kept = state.spool.pending();
        let saved = if events.is_empty() {
            0
        } else if state.spilling {
            match state.spool.prepend(&events) {
                Ok(()) => events.len() as u64,
                Err(e) => {
                    error!(error = %e, "Could not save the in-memory queue to the spool.");
                    0
                }
            }
        } else {
            let mut saved = 0;
            for event in &events {
                if let Err(e) = state.spool.append(event) {
                    error!(error = %e, "Could not save the in-memory queue to the spool.");
                    break;
                }
                saved += 1;
            }
            saved
        };
        Closed { drained, saved, lost: events.len() as u64 - saved, kept }
    }
}

/// The next spooled event, or `None` (and spilling ends) when the spool has none unread.
fn read_spool(spill: &Spill) -> Option<Dequeued> {
    let mut state = spill.lock();
    match state.spool.read_next() {
        Ok(Some((seq, event))) => {
            let pending = state.spool.pending();
            if let Some(replay) = state.replay.as_mut() {
                replay.seen(pending);
            }
            Some(Dequeued { event, spool_seq: Some(seq) })
        }
        Ok(None) => {
            // Under the lock no hub can be spooling now, so memory may take events again.
            state.spilling = false;
            None
        }
        Err(e) => {
            error!(error = %e, "Could not read the spool; its unread events stay on disk.");
            spill.metrics.spool.io_error();
            None
        }
    }
}
