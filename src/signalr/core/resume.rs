//! The client side of stateful reconnect on a live session: the bookkeeping of one stateful
//! connection (what was received, what was sent and not yet acknowledged, when an Ack is due)
//! and the transport reconnect after a drop: same URL and `id`, no negotiate, no handshake,
//! then our `Sequence` and the replay of our unacknowledged records. Numbering rules are
//! [`signalr_proto::core::stateful`]'s; deciding what a record means is the session's.
//!
//! A successful reconnect is the same connection: no gap, no new subscriptions, no snapshot.
//! When the server refuses (it forgot the connection, or its window passed), the session ends
//! and the hub task makes a full new connection, which counts as a gap.

use std::time::Duration;

use futures_util::SinkExt;
use signalr_proto::core::protocol::Writer;
use signalr_proto::core::stateful::{
    Inbound, Outbound, SequenceError, Verdict, ACK_DEBOUNCE, BUFFER_BYTES,
};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::connect::{self, Resume};
use crate::signalr::transport::{message, ConnectError, WsStream};
use crate::signalr::{Exit, Hub, SessionError};

/// Transport reconnects are tried for this long: well inside the server's 15 s window
/// (`DisconnectTimeout`), after which it has forgotten the connection anyway.
const RESUME_WINDOW: Duration = Duration::from_secs(10);
/// Between two failed transport reconnects.
const RESUME_DELAY: Duration = Duration::from_millis(500);

/// One stateful connection's state, kept across its transports.
#[derive(Debug)]
pub struct Stateful {
    pub inbound: Inbound,
    pub outbound: Outbound<Message>,
    /// When the debounced Ack goes out; None when nothing new was processed.
    ack_at: Option<Instant>,
    /// The highest id acknowledged to the server so far.
    acked: u64,
    resume: Resume,
}

impl Stateful {
    pub fn new(resume: Resume) -> Stateful {
        Stateful {
            inbound: Inbound::default(),
            outbound: Outbound::new(BUFFER_BYTES),
            ack_at: None,
            acked: 0,
            resume,
        }
    }

    /// Numbers one received record of type `kind`: `Some(sequence id)` (0 for an untracked
    /// record) to process it, None to skip it (a replayed duplicate, or anything before the
    /// server's `Sequence`). A new trackable record starts the Ack debounce.
    pub fn admit(&mut self, hub: &Hub, kind: u64) -> Option<u64> {
        match self.inbound.record(kind) {
            Verdict::Process(id) => {
                self.ack_at.get_or_insert_with(|| Instant::now() + ACK_DEBOUNCE);
                Some(id)
            }
            Verdict::Untracked => Some(0),
            Verdict::Duplicate(id) => {
                hub.report.metrics().gaps.duplicate(&hub.spec.name, id);
                None
            }
            Verdict::BeforeSequence => {
                debug!(hub = %hub.spec.name, kind, "Record before the server's Sequence; skipped.");
                None
            }
        }
    }

    /// A trackable record we send: numbered and kept until the server acknowledges it.
    pub fn sent(&mut self, hub: &Hub, message: &Message) {
        let was = self.outbound.resumable();
        self.outbound.push(message.clone(), message.len());
        if was && !self.outbound.resumable() {
            warn!(hub = %hub.spec.name, limit = BUFFER_BYTES, "The server acknowledges too little of what we send; after a drop this connection will be a new one.");
        }
    }

    /// The server's `Sequence` arrived: after a drop, that is when the resume succeeded.
    pub fn sequence(&mut self, hub: &Hub, first: u64) -> Result<(), SequenceError> {
        let resuming = self.inbound.awaiting_sequence();
        self.inbound.sequence(first)?;
        if resuming {
            hub.report.metrics().gaps.resumed(&hub.spec.name);
            info!(hub = %hub.spec.name, sequence = first, "Stateful connection resumed on a new transport; the server replays what we did not acknowledge.");
        }
        Ok(())
    }

    /// When the debounced Ack is due, if one is.
    pub fn ack_due(&self) -> Option<Instant> {
        self.ack_at
    }

    /// The Ack to send now, if there is anything new to acknowledge.
    pub fn take_ack(&mut self, writer: Writer) -> Option<Message> {
        self.ack_at = None;
        let latest = self.inbound.latest();
        (latest > self.acked).then(|| {
            self.acked = latest;
            message(writer.ack(latest))
        })
    }

    /// Whether `exit` is a lost transport that resuming can heal. A server Close, a protocol
    /// error or shutdown ends stateful reconnect, as in the official clients.
    pub fn can_resume(&self, exit: &Exit) -> bool {
        self.outbound.resumable()
            && matches!(
                exit,
                Exit::Lost(e) if e.is_transport_loss() || matches!(e, SessionError::ServerTimeout(_))
            )
    }

    /// Reconnects the transport of this connection and sends our `Sequence` and replay.
    pub async fn reconnect(
        &mut self,
        hub: &Hub,
        writer: Writer,
        cancel: &CancellationToken,
    ) -> Result<WsStream, SessionError> {
        self.inbound.disconnected();
        self.ack_at = None;
        let mut ws = self.transport(hub, cancel).await?;
        let first = self.outbound.first_unacked();
        ws.feed(message(writer.sequence(first))).await.map_err(SessionError::websocket)?;
        let mut replayed = 0;
        for message in self.outbound.replay() {
            ws.feed(message.clone()).await.map_err(SessionError::websocket)?;
            replayed += 1;
        }
        ws.flush().await.map_err(SessionError::websocket)?;
        debug!(hub = %hub.spec.name, sequence = first, replayed, "Transport reconnected; waiting for the server's Sequence.");
        Ok(ws)
    }

    /// Transport reconnects until one works, the server refuses, or the window has passed.
    async fn transport(
        &self,
        hub: &Hub,
        cancel: &CancellationToken,
    ) -> Result<WsStream, SessionError> {
        let deadline = Instant::now() + RESUME_WINDOW;
        loop {
            let attempt = tokio::select! {
                _ = cancel.cancelled() => return Err(SessionError::Shutdown),
                attempt = connect::reconnect(hub, &self.resume) => attempt,
            };
            match attempt {
                Ok(ws) => return Ok(ws),
                // The server no longer has the connection (or it is still attached): only a
                // new connection will do.
                Err(e @ SessionError::Connect(ConnectError::Status(_))) => return Err(e),
                Err(e) if e.is_auth() || Instant::now() + RESUME_DELAY >= deadline => {
                    return Err(e)
                }
                Err(e) => {
                    debug!(hub = %hub.spec.name, error = %e, "Transport reconnect failed; retrying.")
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return Err(SessionError::Shutdown),
                _ = tokio::time::sleep(RESUME_DELAY) => {}
            }
        }
    }
}
