//! One live ASP.NET Core connection after its handshake: subscribe, read, decode, keep alive,
//! notice a dead peer, in either hub protocol (JSON text or MessagePack binary records, which
//! mean the same and are handled alike). Decoding is synchronous over each frame; handing
//! events to the queue awaits, so a full queue pauses reading (backpressure).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::connect::Opened;
use super::json::{self, CoreMessage};
use super::msgpack::{self, MsgPackMessage};
use super::protocol::{Pending, Writer};
use crate::event::{Event, WireId};
use crate::profile::Args;
use crate::signalr::dispatch::{self, KeepAlive, Subscriptions};
use crate::signalr::transport::WsStream;
use crate::signalr::{snapshot, Exit, Hub, SessionError};
use crate::telemetry::HubState;

struct Live<'h> {
    hub: &'h Arc<Hub>,
    connection: Arc<str>,
    records: u64,
    subscriptions: Subscriptions,
    events: Vec<Event>,
    writer: Writer,
    outgoing: Vec<Message>,
    refresh_snapshots: bool,
    exit: Option<Exit>,
}

/// Runs the connection until shutdown, a Close, or a failure.
pub async fn run(hub: &Arc<Hub>, opened: Opened, cancel: &CancellationToken) -> Exit {
    let Opened { mut ws, leftover, connection, bearer } = opened;
    let cfg = &hub.config;
    let server_timeout = Duration::from_secs(cfg.server_timeout_secs);
    let keepalive = Duration::from_secs(cfg.keepalive_interval_secs);
    let snapshots = Arc::new(AtomicU64::new(0));
    let mut live = Live {
        hub,
        connection,
        records: 0,
        subscriptions: Subscriptions::new(0..hub.subscriptions.len()),
        events: Vec::new(),
        writer: Writer(cfg.protocol),
        outgoing: Vec::new(),
        refresh_snapshots: false,
        exit: None,
    };
    connected(hub, &live.connection);
    if live.subscriptions.done() {
        dispatch::mark_subscribed(hub);
        live.refresh_snapshots = true;
    }
    let mut pending = match Pending::new(cfg.protocol, leftover) {
        Ok(pending) => pending,
        Err(_) => return Exit::Lost(SessionError::Transport("handshake tail is not UTF-8".into())),
    };
    let mut last_received = Instant::now();
    let mut last_sent = Instant::now();
    if !pending.is_empty() {
        let nothing = match pending {
            Pending::Json(_) => Data::Text(""),
            Pending::MsgPack(_) => Data::Binary(b""),
        };
        live.feed(&mut pending, nothing);
    }
    loop {
        let ka = KeepAlive {
            ws: &mut ws,
            last_sent: &mut last_sent,
            every: keepalive,
            ping: live.writer.ping(),
        };
        match dispatch::enqueue(hub, &mut live.events, Some(ka)).await {
            // While we waited on a full queue we were not reading: that was not server silence.
            Ok(true) => last_received = Instant::now(),
            Ok(false) => {}
            Err(exit) => return exit,
        }
        if std::mem::take(&mut live.refresh_snapshots) {
            snapshot::spawn_fetches(hub, &live.connection, bearer.clone(), &snapshots);
        }
        for (id, sub) in live.subscriptions.next(hub) {
            live.outgoing.push(live.writer.invocation(id, &sub.method, &sub.arguments));
        }
        if let Err(e) = flush(&mut ws, &mut live.outgoing, &mut last_sent).await {
            return e;
        }
        if let Some(exit) = live.exit.take() {
            return exit;
        }
        tokio::select! {
            _ = cancel.cancelled() => {
                let _ = ws.send(live.writer.close()).await;
                let _ = ws.close(None).await;
                return Exit::Shutdown;
            }
            _ = tokio::time::sleep_until(last_received + server_timeout) => {
                return Exit::Lost(SessionError::ServerTimeout(cfg.server_timeout_secs));
            }
            _ = tokio::time::sleep_until(last_sent + keepalive) => {
                live.outgoing.push(live.writer.ping());
            }
            frame = ws.next() => {
                // Any frame is a sign of life.
                last_received = Instant::now();
                hub.metrics.frame_received(&hub.name);
                match frame {
                    Some(Ok(Message::Text(text))) => live.feed(&mut pending, Data::Text(text.as_str())),
                    Some(Ok(Message::Binary(data))) => live.feed(&mut pending, Data::Binary(&data)),
                    Some(Ok(Message::Close(close))) => return Exit::Lost(SessionError::closed(close)),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Exit::Lost(SessionError::transport(e)),
                    None => return Exit::Lost(SessionError::Transport("connection ended".into())),
                }
                hub.status.update(|s| s.last_message_at = Some(time::OffsetDateTime::now_utc()));
            }
        }
    }
}

/// Marks the hub connected in status, metrics and the log. A new connection after an earlier
/// one is a gap: what the server sent in between was not replayed.
pub(crate) fn connected(hub: &Hub, connection: &str) {
    let before = hub.status.snapshot();
    if before.connects > 0 {
        hub.metrics.gaps.gap(&hub.name, before.last_message_at, time::OffsetDateTime::now_utc());
    }
    hub.status.update(|s| {
        s.state = HubState::Connected;
        s.connection = Some(connection.to_string());
        s.connects += 1;
        s.last_error = None;
    });
    hub.metrics.set_hub_state(&hub.name, HubState::Connected);
    info!(hub = %hub.name, connection, "Hub connected.");
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
        ws.feed(message).await.map_err(|e| Exit::Lost(SessionError::transport(e)))?;
    }
    ws.flush().await.map_err(|e| Exit::Lost(SessionError::transport(e)))?;
    *last_sent = Instant::now();
    Ok(())
}

/// One WebSocket data frame's payload.
enum Data<'d> {
    Text(&'d str),
    Binary(&'d [u8]),
}

impl Live<'_> {
    /// Splits one frame's data into records and handles each. Text frames carry JSON records,
    /// binary frames MessagePack ones; a frame of the other kind is counted and skipped.
    fn feed(&mut self, pending: &mut Pending, data: Data<'_>) {
        let hub = self.hub;
        match (pending, data) {
            (Pending::Json(pending), Data::Text(text)) => {
                if !json::split_records(pending, text, |record| self.json_record(record)) {
                    let too_large = "record without separator exceeds the limit";
                    hub.metrics.decode_error(&hub.name, "record_too_large", &too_large);
                }
            }
            (Pending::Json(_), Data::Binary(_)) => {
                let error = "binary frame on a JSON connection";
                hub.metrics.decode_error(&hub.name, "binary_frame", &error);
            }
            (Pending::MsgPack(_), Data::Text(_)) => {
                let error = "text frame on a MessagePack connection";
                hub.metrics.decode_error(&hub.name, "text_frame", &error);
            }
            (Pending::MsgPack(pending), Data::Binary(data)) => {
                if let Err(e) = msgpack::split_records(pending, data, |r| self.msgpack_record(r)) {
                    // The stream cannot be resynchronised after a bad length: reconnect.
                    hub.metrics.decode_error(&hub.name, "msgpack_framing", &e);
                    self.exit = Some(Exit::Lost(SessionError::Transport(e.to_string())));
                }
            }
        }
    }

    fn json_record(&mut self, text: &str) {
        self.records += 1;
        let hub = self.hub;
        let message = match json::parse_record(text) {
            Ok(m) => m,
            Err(e) => return hub.metrics.decode_error(&hub.name, e.reason(), &e),
        };
        match message {
            CoreMessage::Invocation { invocation_id, target, arguments } => {
                self.invocation(invocation_id.as_deref(), &target, Args::Json(arguments))
            }
            CoreMessage::Completion { invocation_id, result } => {
                let outcome = result.map(|_| ()).map_err(|e| e.into_owned());
                self.completion(&invocation_id, outcome);
            }
            CoreMessage::Close { error, allow_reconnect } => {
                self.exit =
                    Some(Exit::Closed { allow_reconnect, error: error.map(|e| e.into_owned()) });
            }
            CoreMessage::Ping | CoreMessage::StreamItem { .. } => {}
            CoreMessage::Ack(_) | CoreMessage::Sequence(_) => self.stateful_ignored(),
            CoreMessage::Unknown(kind) => self.unknown(kind),
        }
    }

    fn msgpack_record(&mut self, body: &[u8]) {
        self.records += 1;
        let hub = self.hub;
        let message = match msgpack::parse_record(body) {
            Ok(m) => m,
            Err(e) => return hub.metrics.decode_error(&hub.name, e.reason(), &e),
        };
        match message {
            MsgPackMessage::Invocation { invocation_id, target, arguments, .. } => {
                self.invocation(invocation_id, target, Args::MsgPack(arguments))
            }
            MsgPackMessage::Completion { invocation_id, result } => {
                self.completion(invocation_id, result.map(|_| ()).map_err(str::to_owned));
            }
            MsgPackMessage::Close { error, allow_reconnect } => {
                self.exit = Some(Exit::Closed { allow_reconnect, error: error.map(str::to_owned) });
            }
            MsgPackMessage::Ping | MsgPackMessage::StreamItem { .. } => {}
            MsgPackMessage::Ack(_) | MsgPackMessage::Sequence(_) => self.stateful_ignored(),
            MsgPackMessage::Unknown(kind) => self.unknown(kind),
        }
    }

    /// A server invocation: events, and the answer official clients give when one is expected.
    fn invocation(&mut self, invocation_id: Option<&str>, target: &str, arguments: Args<'_>) {
        let wire = WireId { connection: self.connection.clone(), record: self.records };
        if dispatch::invocation(self.hub, wire, None, target, arguments, &mut self.events) {
            self.refresh_snapshots = true;
        }
        if let Some(id) = invocation_id {
            self.outgoing.push(self.writer.no_result_completion(id));
        }
    }

    fn completion(&mut self, invocation_id: &str, outcome: Result<(), String>) {
        if self.subscriptions.completed(self.hub, invocation_id, outcome) {
            self.refresh_snapshots = true;
        }
    }

    fn stateful_ignored(&self) {
        debug!(hub = %self.hub.name, "Stateful-reconnect message on a connection that did not negotiate it; ignored.");
    }

    fn unknown(&self, kind: u64) {
        debug!(hub = %self.hub.name, kind, "Unknown message type ignored.")
    }
}
