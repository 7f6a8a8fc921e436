//! One live ASP.NET Core connection after its handshake: subscribe, read, decode, keep alive,
//! notice a dead peer. Decoding is synchronous over each frame; handing events to the queue
//! awaits, so a full queue pauses reading (backpressure).

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
use crate::event::{Event, WireId};
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
    outgoing: Vec<String>,
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
        outgoing: Vec::new(),
        refresh_snapshots: false,
        exit: None,
    };
    connected(hub, &live.connection);
    if live.subscriptions.done() {
        dispatch::mark_subscribed(hub);
        live.refresh_snapshots = true;
    }
    let mut pending = leftover;
    let mut last_received = Instant::now();
    let mut last_sent = Instant::now();
    if !pending.is_empty() {
        live.feed(&mut pending, "");
    }
    loop {
        let ka = KeepAlive {
            ws: &mut ws,
            last_sent: &mut last_sent,
            every: keepalive,
            ping: json::PING,
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
            live.outgoing.push(json::invocation(id, &sub.method, &sub.arguments));
        }
        if let Err(e) = flush(&mut ws, &mut live.outgoing, &mut last_sent).await {
            return e;
        }
        if let Some(exit) = live.exit.take() {
            return exit;
        }
        tokio::select! {
            _ = cancel.cancelled() => {
                let _ = ws.send(Message::text(json::CLOSE)).await;
                let _ = ws.close(None).await;
                return Exit::Shutdown;
            }
            _ = tokio::time::sleep_until(last_received + server_timeout) => {
                return Exit::Lost(SessionError::ServerTimeout(cfg.server_timeout_secs));
            }
            _ = tokio::time::sleep_until(last_sent + keepalive) => {
                live.outgoing.push(json::PING.to_string());
            }
            frame = ws.next() => {
                // Any frame is a sign of life.
                last_received = Instant::now();
                hub.metrics.frame_received(&hub.name);
                match frame {
                    Some(Ok(Message::Text(text))) => live.feed(&mut pending, text.as_str()),
                    Some(Ok(Message::Binary(_))) => hub.metrics.decode_error(
                        &hub.name, "binary_frame", &"binary frame on a JSON connection"),
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
    outgoing: &mut Vec<String>,
    last_sent: &mut Instant,
) -> Result<(), Exit> {
    if outgoing.is_empty() {
        return Ok(());
    }
    for text in outgoing.drain(..) {
        ws.feed(Message::text(text)).await.map_err(|e| Exit::Lost(SessionError::transport(e)))?;
    }
    ws.flush().await.map_err(|e| Exit::Lost(SessionError::transport(e)))?;
    *last_sent = Instant::now();
    Ok(())
}

impl Live<'_> {
    fn feed(&mut self, pending: &mut String, data: &str) {
        if !json::split_records(pending, data, |record| self.record(record)) {
            let too_large = "record without separator exceeds the limit";
            self.hub.metrics.decode_error(&self.hub.name, "record_too_large", &too_large);
        }
    }

    fn record(&mut self, text: &str) {
        self.records += 1;
        let hub = self.hub;
        let message = match json::parse_record(text) {
            Ok(m) => m,
            Err(e) => return hub.metrics.decode_error(&hub.name, e.reason(), &e),
        };
        match message {
            CoreMessage::Invocation { invocation_id, target, arguments } => {
                let wire = WireId { connection: self.connection.clone(), record: self.records };
                if dispatch::invocation(hub, wire, None, &target, arguments, &mut self.events) {
                    self.refresh_snapshots = true;
                }
                if let Some(id) = invocation_id {
                    self.outgoing.push(json::no_result_completion(&id));
                }
            }
            CoreMessage::Completion { invocation_id, result } => {
                let outcome = result.map(|_| ()).map_err(|e| e.into_owned());
                if self.subscriptions.completed(hub, &invocation_id, outcome) {
                    self.refresh_snapshots = true;
                }
            }
            CoreMessage::Close { error, allow_reconnect } => {
                self.exit =
                    Some(Exit::Closed { allow_reconnect, error: error.map(|e| e.into_owned()) });
            }
            CoreMessage::Ping | CoreMessage::StreamItem { .. } => {}
            CoreMessage::Ack(_) | CoreMessage::Sequence(_) => {
                debug!(hub = %hub.name, "Stateful-reconnect message on a connection that did not negotiate it; ignored.");
            }
            CoreMessage::Unknown(kind) => {
                debug!(hub = %hub.name, kind, "Unknown message type ignored.")
            }
        }
    }
}
