//! One live ASP.NET Core connection after its handshake: subscribe, read, decode, keep alive,
//! notice a dead peer, in either hub protocol (JSON text or MessagePack binary records, which
//! mean the same and are handled alike). Decoding is synchronous over each frame; handing
//! events to the queue awaits, so a full queue pauses reading (backpressure). What each record
//! means is `records`.
//!
//! With stateful reconnect a connection outlives its WebSocket: a lost transport is resumed
//! ([`super::resume`]) and the same session goes on, subscriptions and all. Event ids then use
//! the server's sequence id of each record, so a record replayed after a resume would get the
//! id it had, though it is skipped as a duplicate before it becomes an event.

mod records;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_proto::core::protocol::{Pending, Writer};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::connect::Opened;
use super::resume::Stateful;
use crate::config::Secret;
use crate::event::Event;
use crate::signalr::outbox::{self, KeepAlive};
use crate::signalr::subscriptions::Subscriptions;
use crate::signalr::transport::{self, message, WsStream};
use crate::signalr::{snapshot, Ending, Exit, Hub, ProtocolError, SessionError};
use crate::telemetry::HubState;

struct Live<'h> {
    hub: &'h Arc<Hub>,
    connection: Arc<str>,
    /// Records read on this connection (the event id's position on a plain connection).
    records: u64,
    subscriptions: Subscriptions,
    events: Vec<Event>,
    writer: Writer,
    outgoing: Vec<Message>,
    refresh_snapshots: bool,
    /// A runtime subscription added on this connection wants its own snapshot.
    snapshot_for: Vec<crate::subs::Target>,
    exit: Option<Exit>,
    bearer: Option<Secret>,
    snapshots: Arc<AtomicU64>,
    /// Numbering and replay buffer when the server agreed to stateful reconnect.
    stateful: Option<Stateful>,
}

/// Runs the connection until shutdown, a Close, or a failure (a stateful connection: one its
/// server will not resume).
pub async fn run(hub: &Arc<Hub>, opened: Opened, cancel: &CancellationToken) -> Exit {
    let Opened { mut ws, leftover, connection, bearer, resume } = opened;
    let cfg = &hub.spec.config;
    let mut live = Live {
        hub,
        connection,
        records: 0,
        subscriptions: Subscriptions::new(hub, 0..hub.spec.subscriptions.len(), |_| true),
        events: Vec::new(),
        writer: Writer(cfg.protocol),
        outgoing: Vec::new(),
        refresh_snapshots: false,
        snapshot_for: Vec::new(),
        exit: None,
        bearer,
        snapshots: Arc::new(AtomicU64::new(0)),
        stateful: resume.map(Stateful::new),
    };
    hub.report.connected(&live.connection);
    if live.subscriptions.done() {
        hub.report.set_state(HubState::Subscribed);
        live.refresh_snapshots = true;
    }
    let mut pending = match Pending::new(cfg.protocol, leftover) {
        Ok(pending) => pending,
        Err(_) => return Exit::Lost(ProtocolError::HandshakeTailNotUtf8.into()),
    };
    if !pending.is_empty() {
        live.feed_pending(&mut pending);
    }
    loop {
        let exit = live.drive(&mut ws, &mut pending, cancel).await;
        let Some(stateful) = live.stateful.as_mut().filter(|s| s.can_resume(&exit)) else {
            return exit;
        };
        if let Exit::Lost(e) = &exit {
            warn!(hub = %hub.spec.name, error = %e, "Transport lost; resuming the stateful connection.");
            hub.report.reconnect(e.reason());
        }
        let _ = ws.close(None).await;
        // Our trackable records are in the replay; Pings and Acks are not worth sending late.
        live.outgoing.clear();
        ws = match stateful.reconnect(hub, live.writer, cancel).await {
            Ok(ws) => ws,
            // Shutdown came during the resume: the session ends as any session does then.
            Err(SessionError::Shutdown) => return Exit::Shutdown,
            Err(e) => {
                warn!(hub = %hub.spec.name, error = %e, "The server did not resume the connection; making a new one.");
                return Exit::Lost(e);
            }
        };
        // A record cut by the drop comes again whole in the server's replay.
        pending.clear();
        hub.report.update(|s| s.last_error = None);
    }
}

impl Live<'_> {
    /// Reads one transport until it ends.
    async fn drive(
        &mut self,
        ws: &mut WsStream,
        pending: &mut Pending,
        cancel: &CancellationToken,
    ) -> Exit {
        let hub = self.hub;
        let cfg = &hub.spec.config;
        let server_timeout = Duration::from_secs(cfg.server_timeout_secs);
        let keepalive = Duration::from_secs(cfg.keepalive_interval_secs);
        let mut last_received = Instant::now();
        let mut last_sent = Instant::now();
        loop {
            let ka = KeepAlive {
                ws: &mut *ws,
                last_sent: &mut last_sent,
                every: keepalive,
                ping: message(self.writer.ping()),
            };
            match hub.out.enqueue(&mut self.events, Some(ka)).await {
                // While we waited on a full queue we were not reading: that was not silence.
                Ok(true) => last_received = Instant::now(),
                Ok(false) => {}
                Err(exit) => return exit,
            }
            if std::mem::take(&mut self.refresh_snapshots) {
                let every = snapshot::all_requests(hub);
                snapshot::spawn_fetches(
                    hub,
                    &self.connection,
                    &self.bearer,
                    &self.snapshots,
                    every,
                );
            }
            if !self.snapshot_for.is_empty() {
                let added =
                    self.snapshot_for.drain(..).filter_map(|t| hub.spec.profile.snapshot_for(&t));
                let added = added.collect();
                snapshot::spawn_fetches(
                    hub,
                    &self.connection,
                    &self.bearer,
                    &self.snapshots,
                    added,
                );
            }
            for (id, sub) in self.subscriptions.due() {
                let message = self.writer.invocation(id, &sub.method, &sub.arguments);
                self.send_tracked(transport::message(message));
            }
            if let Err(e) = flush(ws, &mut self.outgoing, &mut last_sent).await {
                return e;
            }
            if let Some(exit) = self.exit.take() {
                return exit;
            }
            let ack_at = self.stateful.as_ref().and_then(Stateful::ack_due);
            tokio::select! {
                _ = cancel.cancelled() => {
                    let _ = ws.send(message(self.writer.close())).await;
                    let _ = ws.close(None).await;
                    return Exit::Shutdown;
                }
                _ = tokio::time::sleep_until(last_received + server_timeout) => {
                    return Exit::Lost(SessionError::ServerTimeout(cfg.server_timeout_secs));
                }
                _ = tokio::time::sleep_until(last_sent + keepalive) => {
                    self.outgoing.push(message(self.writer.ping()));
                }
                () = self.subscriptions.changed() => self.subscriptions.refresh(|_| true),
                _ = outbox::sleep_until_some(ack_at) => {
                    let writer = self.writer;
                    if let Some(ack) = self.stateful.as_mut().and_then(|s| s.take_ack(writer)) {
                        self.outgoing.push(ack);
                    }
                }
                frame = ws.next() => {
                    // Any frame is a sign of life.
                    last_received = Instant::now();
                    hub.out.frame();
                    match frame {
                        Some(Ok(Message::Text(text))) => self.feed(pending, records::Data::Text(text.as_str())),
                        Some(Ok(Message::Binary(data))) => self.feed(pending, records::Data::Binary(&data)),
                        Some(Ok(Message::Close(close))) => return Exit::Lost(SessionError::closed(close)),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Exit::Lost(SessionError::websocket(e)),
                        None => return Exit::Lost(SessionError::Ended(Ending::Reading)),
                    }
                    hub.report.update(|s| s.last_message_at = Some(time::OffsetDateTime::now_utc()));
                }
            }
        }
    }

    /// A trackable record we send: on a stateful connection it is kept for replay.
    fn send_tracked(&mut self, message: Message) {
        if let Some(stateful) = self.stateful.as_mut() {
            stateful.sent(self.hub, &message);
        }
        self.outgoing.push(message);
    }
}

async fn flush(
    ws: &mut WsStream,
    outgoing: &mut Vec<Message>,
    last_sent: &mut Instant,
) -> Result<(), Exit> {
    if outgoing.is_empty() {
        return Ok(());
    }
    for message in outgoing.drain(..) {
        ws.feed(message).await.map_err(|e| Exit::Lost(SessionError::websocket(e)))?;
    }
    ws.flush().await.map_err(|e| Exit::Lost(SessionError::websocket(e)))?;
    *last_sent = Instant::now();
    Ok(())
}
