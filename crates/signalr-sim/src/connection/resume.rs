//! Stateful reconnect on the simulator's side of a connection: trackable records it sends are
//! numbered and kept (up to ASP.NET Core's 100,000 bytes; past that it stops taking broadcasts
//! until an Ack, the server's back-pressure), records the client sends are numbered and
//! duplicates skipped, every batch of new client records is acknowledged at once. When the
//! transport drops the connection waits for the next one (an upgrade with the same `id`), up
//! to `negotiate_token_ttl` (the server's `DisconnectTimeout`), then sends its `Sequence` and
//! replays what the client had not acknowledged. Numbering rules are
//! `signalr_proto::core::stateful`'s, shared by both ends.

use axum::extract::ws::{Message, WebSocket};
use signalr_proto::core::stateful::{Inbound, Outbound, Verdict, BUFFER_BYTES};
use signalr_proto::core::HubProtocol;
use signalr_proto::core::{json, msgpack};
use tokio::sync::mpsc;

use super::{Conn, Flow};
use crate::frame::RecordBuffer;
use crate::state::{lock, ConnHandle};

/// One stateful connection's state, kept across its transports.
pub(super) struct ServerStateful {
    inbound: Inbound,
    /// Limit above the back-pressure mark, so a batch begun under it is kept whole.
    outbound: Outbound<Vec<u8>>,
    takeover: mpsc::Receiver<WebSocket>,
    /// New client records processed since the last Ack.
    ack_pending: bool,
}

impl ServerStateful {
    /// Holds [`BUFFER_BYTES`] or more unacknowledged: broadcasts wait for an Ack.
    pub(super) fn is_full(&self) -> bool {
        self.outbound.buffered_bytes() >= BUFFER_BYTES
    }
}

/// The next transport handed over for this connection; never, on a plain connection.
pub(super) async fn takeover(stateful: &mut Option<ServerStateful>) -> Option<WebSocket> {
    match stateful {
        Some(s) => s.takeover.recv().await,
        None => std::future::pending().await,
    }
}

impl Conn {
    /// Turns stateful reconnect on: upgrades with `token` now resume this connection.
    pub(super) fn make_stateful(&mut self, token: &str) {
        let (tx, rx) = mpsc::channel(1);
        self.shared.tokens.attach(token, tx);
        self.stateful = Some(ServerStateful {
            inbound: Inbound::default(),
            outbound: Outbound::new(2 * BUFFER_BYTES),
            takeover: rx,
            ack_pending: false,
        });
    }

    /// Keeps one trackable record (its bytes in the connection's protocol) for replay.
    pub(super) fn track(&mut self, record: &[u8]) {
        if let Some(s) = self.stateful.as_mut() {
            s.outbound.push(record.to_vec(), record.len());
        }
    }

    /// Sends a trackable record, kept for replay first.
    pub(super) async fn send_tracked(&mut self, message: Message) -> Flow {
        match &message {
            Message::Text(text) => self.track(text.as_bytes()),
            Message::Binary(data) => self.track(data),
            _ => {}
        }
        self.send_message_flow(message).await
    }

    /// Numbers one client record of type `kind` (`sequence_id` for Ack and Sequence): true to
    /// handle it, false to skip it; `Err` for a Sequence past what was received.
    pub(super) fn admit(&mut self, kind: u64, sequence_id: Option<u64>) -> Result<bool, ()> {
        let Some(s) = self.stateful.as_mut() else { return Ok(true) };
        match (kind, sequence_id) {
            (9, Some(first)) => return s.inbound.sequence(first).map(|()| false).map_err(drop),
            (8, Some(id)) if !matches!(s.inbound.record(8), Verdict::BeforeSequence) => {
                s.outbound.ack(id);
                return Ok(false);
            }
            _ => {}
        }
        Ok(match s.inbound.record(kind) {
            Verdict::Process(_) => {
                s.ack_pending = true;
                true
            }
            Verdict::Untracked => true,
            Verdict::Duplicate(_) | Verdict::BeforeSequence => false,
        })
    }

    /// Acknowledges the client records handled since the last Ack.
    pub(super) async fn send_ack(&mut self) -> Flow {
        let Some(s) = self.stateful.as_mut().filter(|s| s.ack_pending) else {
            return Flow::Continue;
        };
        s.ack_pending = false;
        let latest = s.inbound.latest();
        let ack = self.message(|| json::ack(latest), || msgpack::ack(latest));
        self.send_message_flow(ack).await
    }

    /// The transport dropped: drop its socket (the client sees it gone), then wait for the
    /// next one, until the window passes or the connection is forgotten.
    pub(super) async fn park(&mut self, handle: &ConnHandle) -> Flow {
        self.socket = None;
        let window = self.shared.options.negotiate_token_ttl;
        let Some(s) = self.stateful.as_mut() else { return Flow::Abort };
        let socket = tokio::select! {
            biased;
            _ = handle.forget.cancelled() => {
                tracing::debug!("Simulator forgot a stateful connection.");
                return Flow::Abort;
            }
            _ = tokio::time::sleep(window) => {
                tracing::debug!("Simulator gave up waiting for a stateful connection's transport.");
                return Flow::Abort;
            }
            socket = s.takeover.recv() => socket,
        };
        match socket {
            Some(socket) => self.resume(handle, socket).await,
            None => Flow::Abort,
        }
    }

    /// Continues on `socket` (the old transport, if any, is dropped): our `Sequence`, then
    /// the replay; the client's records count again only after its own `Sequence`.
    pub(super) async fn resume(&mut self, handle: &ConnHandle, socket: WebSocket) -> Flow {
        if handle.forget.is_cancelled() {
            tracing::debug!("Simulator refused a transport for a forgotten connection.");
            return Flow::Abort;
        }
        self.socket = Some(socket);
        self.kill = self.shared.cancel.child_token();
        *lock(&handle.kill) = self.kill.clone();
        self.buffer = RecordBuffer::default();
        self.binary.clear();
        let Some(s) = self.stateful.as_mut() else { return Flow::Abort };
        s.inbound.disconnected();
        let first = s.outbound.first_unacked();
        let replay: Vec<Vec<u8>> = s.outbound.replay().cloned().collect();
        tracing::debug!(first, replayed = replay.len(), "Simulator resumed a stateful connection.");
        self.shared.resumes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sequence = self.message(|| json::sequence(first), || msgpack::sequence(first));
        if let Flow::Abort = self.send_message_flow(sequence).await {
            return Flow::Abort;
        }
        for record in replay {
            let message = match self.protocol {
                HubProtocol::Json => {
                    Message::Text(String::from_utf8_lossy(&record).into_owned().into())
                }
                HubProtocol::MessagePack => Message::Binary(record.into()),
            };
            if let Flow::Abort = self.send_message_flow(message).await {
                return Flow::Abort;
            }
        }
        Flow::Continue
    }
}
