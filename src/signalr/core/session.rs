//! One live ASP.NET Core connection after its handshake: subscribe, read, decode, keep alive,
//! notice a dead peer. Decoding is synchronous over each frame; sending events to the queue
//! awaits, so a full queue pauses reading (backpressure).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::connect::Opened;
use super::json::{self, CoreMessage};
use crate::event::{Event, WireId};
use crate::profile::{MessageContext, Normalized};
use crate::signalr::transport::WsStream;
use crate::signalr::{snapshot, Exit, Hub, SessionError};
use crate::telemetry::HubState;

/// RedMist allows three parallel invocations per client; more would queue server-side anyway.
const MAX_PARALLEL_INVOCATIONS: usize = 3;

struct Live<'h> {
    hub: &'h Arc<Hub>,
    connection: Arc<str>,
    bearer: Option<crate::config::Secret>,
    records: u64,
    snapshots: Arc<std::sync::atomic::AtomicU64>,
    /// Subscriptions not yet sent, by index.
    to_send: VecDeque<usize>,
    /// invocation id -> subscription index.
    outstanding: HashMap<String, usize>,
    answered: usize,
    next_id: u64,
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
    let mut live = Live {
        hub,
        connection,
        bearer,
        records: 0,
        snapshots: Default::default(),
        to_send: (0..hub.subscriptions.len()).collect(),
        outstanding: HashMap::new(),
        answered: 0,
        next_id: 0,
        events: Vec::new(),
        outgoing: Vec::new(),
        refresh_snapshots: false,
        exit: None,
    };
    hub.status.update(|s| {
        s.state = HubState::Connected;
        s.connection = Some(live.connection.to_string());
        s.connects += 1;
        s.last_error = None;
    });
    hub.metrics.set_hub_state(&hub.name, HubState::Connected);
    info!(hub = %hub.name, connection = %live.connection, "Hub connected.");
    if hub.subscriptions.is_empty() {
        live.subscribed();
    }
    let mut pending = leftover;
    let mut last_received = Instant::now();
    let mut last_sent = Instant::now();
    if !pending.is_empty() {
        live.feed(&mut pending, "");
    }
    loop {
        match live.deliver(&mut ws, &mut last_sent, keepalive).await {
            // While we waited on a full queue we were not reading: that was not server silence.
            Ok(true) => last_received = Instant::now(),
            Ok(false) => {}
            Err(exit) => return exit,
        }
        live.send_subscriptions();
        if let Err(e) = live.flush(&mut ws, &mut last_sent).await {
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
                // Any frame is a sign of life; measured after decoding, so time spent waiting
                // on a full queue is not counted as the server's silence.
                last_received = Instant::now();
                hub.metrics.frame_received(&hub.name);
                match frame {
                    Some(Ok(Message::Text(text))) => live.feed(&mut pending, text.as_str()),
                    Some(Ok(Message::Binary(_))) => hub.metrics.decode_error(
                        &hub.name, "binary_frame", &"binary frame on a JSON connection"),
                    Some(Ok(Message::Close(close))) => {
                        let why = close.map(|c| format!("{} {}", u16::from(c.code), c.reason));
                        return Exit::Lost(SessionError::Transport(format!(
                            "server closed the WebSocket ({})", why.unwrap_or_else(|| "no code".into()))));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Exit::Lost(SessionError::transport(e)),
                    None => return Exit::Lost(SessionError::Transport("connection ended".into())),
                }
                hub.status.update(|s| s.last_message_at = Some(time::OffsetDateTime::now_utc()));
            }
        }
    }
}

impl Live<'_> {
    fn feed(&mut self, pending: &mut String, data: &str) {
        let ok = json::split_records(pending, data, |record| self.record(record));
        if !ok {
            let hub = &self.hub.name;
            self.hub.metrics.decode_error(
                hub,
                "record_too_large",
                &"record without separator exceeds the limit",
            );
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
                hub.metrics.invocation_received(&hub.name, &target);
                let ctx = self
                    .context(WireId { connection: self.connection.clone(), record: self.records });
                let before = self.events.len();
                match hub.profile.normalize(&ctx, &target, arguments, &mut self.events) {
                    Ok(Normalized::Known) => {}
                    Ok(Normalized::UnknownTarget) => hub.metrics.unknown_target(&hub.name, &target),
                    Ok(Normalized::RefreshSnapshots) => self.refresh_snapshots = true,
                    Ok(Normalized::UnknownState(state)) => {
                        hub.metrics.unknown_state(&hub.name, &state)
                    }
                    Err(e) => {
                        self.events.truncate(before);
                        hub.metrics.decode_error(&hub.name, e.reason(), &e);
                    }
                }
                if let Some(id) = invocation_id {
                    self.outgoing.push(json::no_result_completion(&id));
                }
            }
            CoreMessage::Completion { invocation_id, result } => {
                let outcome = result.map(|_| ()).map_err(|e| e.into_owned());
                self.completed(&invocation_id, outcome);
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

    fn context(&self, wire: WireId) -> MessageContext {
        MessageContext {
            hub: self.hub.name.clone(),
            source: self.hub.source.clone(),
            wire,
            received: time::OffsetDateTime::now_utc(),
        }
    }

    fn send_subscriptions(&mut self) {
        while self.outstanding.len() < MAX_PARALLEL_INVOCATIONS {
            let Some(index) = self.to_send.pop_front() else { break };
            let sub = &self.hub.subscriptions[index];
            let id = self.next_id;
            self.next_id += 1;
            self.outgoing.push(json::invocation(id, &sub.method, &sub.arguments));
            self.outstanding.insert(id.to_string(), index);
            self.hub.status.update(|s| s.subscriptions[index].last_result = "pending".into());
        }
    }

    fn completed(&mut self, invocation_id: &str, outcome: Result<(), String>) {
        let Some(index) = self.outstanding.remove(invocation_id) else {
            let hub = &self.hub.name;
            return self.hub.metrics.decode_error(
                hub,
                "unexpected_completion",
                &format!("completion for unknown invocation {invocation_id}"),
            );
        };
        let hub = self.hub;
        let sub = &hub.subscriptions[index];
        let result = match &outcome {
            Ok(()) => {
                hub.metrics.completion(&hub.name, &sub.method, "ok");
                info!(hub = %hub.name, invocation = %sub.display, "Subscription succeeded.");
                "ok".to_string()
            }
            Err(error) => {
                hub.metrics.completion(&hub.name, &sub.method, "error");
                warn!(hub = %hub.name, invocation = %sub.display, %error, "Subscription failed on the server.");
                format!("error: {error}")
            }
        };
        hub.status.update(|s| {
            s.subscriptions[index].last_result = result;
            s.subscriptions[index].at = Some(time::OffsetDateTime::now_utc());
        });
        self.answered += 1;
        if self.answered == hub.subscriptions.len() {
            self.subscribed();
        }
    }

    /// Every subscription answered: ready, and time to fetch the starting state.
    fn subscribed(&mut self) {
        self.hub.status.update(|s| s.state = HubState::Subscribed);
        self.hub.metrics.set_hub_state(&self.hub.name, HubState::Subscribed);
        self.refresh_snapshots = true;
    }

    async fn flush(&mut self, ws: &mut WsStream, last_sent: &mut Instant) -> Result<(), Exit> {
        if self.outgoing.is_empty() {
            return Ok(());
        }
        for text in self.outgoing.drain(..) {
            ws.feed(Message::text(text))
                .await
                .map_err(|e| Exit::Lost(SessionError::transport(e)))?;
        }
        ws.flush().await.map_err(|e| Exit::Lost(SessionError::transport(e)))?;
        *last_sent = Instant::now();
        Ok(())
    }

    /// Hands decoded events to the queue and starts snapshot fetches; returns whether it had to
    /// wait for room. While the queue is full the socket is not read (backpressure), but Pings
    /// still go out so the server keeps the connection.
    async fn deliver(
        &mut self,
        ws: &mut WsStream,
        last_sent: &mut Instant,
        keepalive: Duration,
    ) -> Result<bool, Exit> {
        use tokio::sync::mpsc::error::TrySendError;
        let tx = &self.hub.tx;
        let closed = || Exit::Lost(SessionError::QueueClosed);
        let mut waited = false;
        for event in self.events.drain(..) {
            // Counted first so the depth gauge never dips below zero when the publisher is fast.
            self.hub.metrics.event_enqueued(&self.hub.name, event.kind.as_str());
            match tx.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Closed(_)) => return Err(closed()),
                Err(TrySendError::Full(event)) => {
                    waited = true;
                    let permit = loop {
                        tokio::select! {
                            permit = tx.reserve() => break permit.map_err(|_| closed())?,
                            _ = tokio::time::sleep_until(*last_sent + keepalive) => {
                                ws.send(Message::text(json::PING)).await.map_err(|e| Exit::Lost(SessionError::transport(e)))?;
                                *last_sent = Instant::now();
                            }
                        }
                    };
                    permit.send(event);
                }
            }
        }
        if std::mem::take(&mut self.refresh_snapshots) {
            snapshot::spawn_fetches(
                self.hub,
                &self.connection,
                self.bearer.clone(),
                &self.snapshots,
            );
        }
        Ok(waited)
    }
}
