//! How a connection writes: queued broadcasts batched into one frame (each record kept for
//! replay on a stateful connection), single records, and the closing frame. A write blocked by
//! a client that stopped reading still ends when the transport is killed.

use axum::extract::ws::{CloseFrame, Message};
use signalr_proto::core::HubProtocol;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{resume, Conn, Flow, MAX_BATCH_BYTES, MAX_BATCH_RECORDS};
use crate::state::Outgoing;

impl Conn {
    /// Sends `first` plus whatever else is already queued, as one frame.
    pub(super) async fn send_batch(
        &mut self,
        first: Outgoing,
        queue: &mut mpsc::Receiver<Outgoing>,
    ) -> Flow {
        let mut batch = Vec::with_capacity(first.len(self.protocol) * 4);
        first.append_to(self.protocol, &mut batch);
        self.track(&batch);
        for _ in 1..MAX_BATCH_RECORDS {
            if batch.len() >= MAX_BATCH_BYTES
                || self.stateful.as_ref().is_some_and(resume::ServerStateful::is_full)
            {
                break;
            }
            match queue.try_recv() {
                Ok(next) => {
                    let start = batch.len();
                    next.append_to(self.protocol, &mut batch);
                    self.track(&batch[start..]);
                }
                Err(_) => break,
            }
        }
        // JSON records are whole UTF-8 strings, so their concatenation is too.
        let message = match self.protocol {
            HubProtocol::Json => Message::Text(String::from_utf8(batch).unwrap_or_default().into()),
            HubProtocol::MessagePack => Message::Binary(batch.into()),
        };
        self.send_message_flow(message).await
    }

    pub(super) async fn send_flow(&mut self, text: String) -> Flow {
        self.send_message_flow(Message::Text(text.into())).await
    }

    pub(super) async fn send_message_flow(&mut self, message: Message) -> Flow {
        match self.send_message(message).await {
            Ok(()) => Flow::Continue,
            Err(()) => Flow::Abort,
        }
    }

    /// Writes one text frame, as is.
    pub(super) async fn send(&mut self, text: String) -> Result<(), ()> {
        self.send_message(Message::Text(text.into())).await
    }

    /// Writes one frame. A write blocked by a client that stopped reading still ends when the
    /// connection is killed.
    pub(super) async fn send_message(&mut self, message: Message) -> Result<(), ()> {
        self.last_send = Instant::now();
        let Some(socket) = self.socket.as_mut() else { return Err(()) };
        tokio::select! {
            _ = self.kill.cancelled() => Err(()),
            result = socket.send(message) => result.map_err(|_| ()),
        }
    }

    pub(super) async fn close_socket(&mut self) {
        let frame = CloseFrame { code: 1000, reason: "".into() };
        if let Some(socket) = self.socket.as_mut() {
            let _ = socket.send(Message::Close(Some(frame))).await;
        }
    }
}
