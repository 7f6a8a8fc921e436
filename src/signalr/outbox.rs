//! Where a hub task writes its events: the one bounded queue to the publisher, with this hub's
//! per-event counters. Handing events over awaits room, so a full queue pauses the session's
//! reading (backpressure) while keepalive pings still go out.

use std::time::Duration;

use futures_util::SinkExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::transport::WsStream;
use super::{Exit, SessionError};
use crate::event::Event;
use crate::queue::{QueueTx, Refused};
use crate::telemetry::HubCounters;

/// One hub's way into the queue.
pub struct Outbox {
    tx: QueueTx,
    counts: HubCounters,
}

/// A Ping to keep sending while the queue is full (Core); classic servers need none.
pub struct KeepAlive<'a> {
    pub ws: &'a mut WsStream,
    pub last_sent: &'a mut Instant,
    pub every: Duration,
    pub ping: Message,
}

impl Outbox {
    pub fn new(tx: QueueTx, counts: HubCounters) -> Outbox {
        Outbox { tx, counts }
    }

    /// A frame was read from the hub.
    pub fn frame(&self) {
        self.counts.frame();
    }

    /// An invocation of `target` was read from the hub. True when metrics name the target,
    /// false when they count it as `other` (past the hub's label budget).
    pub fn invocation(&self, target: &str) -> bool {
        self.counts.invocation(target)
    }

    /// Hands one event to the queue, waiting for room; false once the queue is closed (the
    /// event is counted dropped).
    pub async fn send(&self, event: Event) -> bool {
        self.counts.enqueued(event.kind);
        let sent = self.tx.send(event).await.is_ok();
        if !sent {
            self.counts.dropped(1);
        }
        sent
    }

    /// Hands `events` to the queue, in order; returns whether it had to wait for room. While
    /// the queue is full the socket is not read (backpressure), but `keepalive` pings still go
    /// out. A ping that fails ends the connection only once every event is queued: they were
    /// read already, and the queue is their only way to the broker.
    pub async fn enqueue(
        &self,
        events: &mut Vec<Event>,
        mut keepalive: Option<KeepAlive<'_>>,
    ) -> Result<bool, Exit> {
        let mut waited = false;
        let mut lost = None;
        let mut pending = events.drain(..);
        // The queue closed (a hard stop): this event and the rest were read and cannot be kept.
        let closed = |pending: &mut std::vec::Drain<'_, Event>| {
            self.counts.dropped(1 + pending.len() as u64);
            Exit::Lost(SessionError::QueueClosed)
        };
        while let Some(event) = pending.next() {
            self.counts.enqueued(event.kind);
            let mut event = match self.tx.offer(event) {
                Ok(()) => continue,
                Err(Refused::Closed) => return Err(closed(&mut pending)),
                Err(Refused::Full(event)) => event,
            };
            waited = true;
            loop {
                let ping_at = keepalive.as_ref().map(|k| *k.last_sent + k.every);
                tokio::select! {
                    () = self.tx.room() => match self.tx.offer(*event) {
                        Ok(()) => break,
                        Err(Refused::Closed) => return Err(closed(&mut pending)),
                        Err(Refused::Full(back)) => event = back,
                    },
                    _ = sleep_until_some(ping_at) => {
                        if let Some(k) = keepalive.as_mut() {
                            match k.ws.send(k.ping.clone()).await {
                                Ok(()) => *k.last_sent = Instant::now(),
                                Err(e) => {
                                    lost = Some(Exit::Lost(SessionError::websocket(e)));
                                    keepalive = None;
                                }
                            }
                        }
                    }
                }
            }
        }
        match lost {
            Some(exit) => Err(exit),
            None => Ok(waited),
        }
    }
}

/// Sleeps until `at`, or for ever when there is none.
pub async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
