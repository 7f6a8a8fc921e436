//! One classic connection's life: negotiate, start, subscribe, read; when the WebSocket drops,
//! resume the same connection with `/reconnect` (the server replays what was missed) while its
//! DisconnectTimeout allows; when it cannot, end, so the hub task starts a new connection.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use signalr_proto::classic::frame::{self, Frame, Item};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::connect::{self, Connection};
use crate::event::{Event, WireId};
use crate::profile::gap::Gap;
use crate::signalr::subscriptions::{Settled, Subscriptions};
use crate::signalr::transport::{ConnectError, WsStream};
use crate::signalr::{dispatch, reconcile};
use crate::signalr::{Ending, Exit, Hub, SessionError};
use crate::subs::Target;
use crate::telemetry::HubState;

/// The official clients retry `/reconnect` every 2 s.
const RESUME_DELAY: Duration = Duration::from_secs(2);

/// What the hub task keeps across classic connections.
#[derive(Debug)]
pub struct ClassicState {
    /// A connection was made before: a new one means a gap the server will not replay.
    pub ever_connected: bool,
    /// The profile's gap healing (HPC Pack: the last state seen of every job and task).
    pub gap: Gap,
    /// Heal the gap once this connection's subscriptions are done.
    reconcile_pending: bool,
    /// Subscriptions just added on the live connection, to heal once: what they did before.
    added: Vec<Target>,
    added_reads: u64,
}

impl ClassicState {
    pub fn new(hub: &Hub) -> ClassicState {
        ClassicState {
            ever_connected: false,
            gap: Gap::new(&hub.spec.profile, &hub.spec.config.url),
            reconcile_pending: false,
            added: Vec::new(),
            added_reads: 0,
        }
    }
}

/// Runs one classic connection (through any number of resumed transports). Returns how it
/// ended and whether it got as far as started (which resets the hub task's backoff).
pub async fn run(
    hub: &Arc<Hub>,
    state: &mut ClassicState,
    cancel: &CancellationToken,
) -> (Exit, bool) {
    let (mut conn, mut ws) = match connect::open(hub).await {
        Ok(opened) => opened,
        Err(e) => return (Exit::Lost(e), false),
    };
    hub.report.connected(&conn.id);
    if std::mem::replace(&mut state.ever_connected, true) {
        warn!(hub = %hub.spec.name, "New classic connection: events sent while disconnected were not replayed; reconciling.");
        state.reconcile_pending = state.gap.heals();
    }
    let configured = state.gap.to_send(&hub.spec.subscriptions);
    let mut subscriptions =
        Subscriptions::new(hub, configured, |target| state.gap.still_listened(target));
    if subscriptions.done() {
        hub.report.set_state(HubState::Subscribed);
    }
    loop {
        let exit = read(hub, &mut conn, &mut ws, &mut subscriptions, state, cancel).await;
        let resumable = matches!(
            &exit,
            Exit::Lost(e) if e.is_transport_loss()
                || matches!(e, SessionError::KeepAliveTimeout(_) | SessionError::ServerShutdown)
        );
        if !resumable {
            connect::abort(hub, &conn).await;
            return (exit, true);
        }
        if let Exit::Lost(e) = &exit {
            warn!(hub = %hub.spec.name, error = %e, "Classic transport lost; resuming the connection with /reconnect.");
            hub.report.reconnect(e.reason());
        }
        match resume(hub, &conn, cancel).await {
            Ok(resumed) => {
                info!(hub = %hub.spec.name, "Classic connection resumed; the server replays what was missed.");
                ws = resumed;
            }
            // Shutdown came during the resume: the session ends as any session does then.
            Err(SessionError::Shutdown) => return (Exit::Shutdown, true),
            Err(e) => return (Exit::Lost(e), true),
        }
    }
}

/// `/reconnect` until it works, the server says it forgot us, or DisconnectTimeout has passed.
async fn resume(
    hub: &Hub,
    conn: &Connection,
    cancel: &CancellationToken,
) -> Result<WsStream, SessionError> {
    let deadline = Instant::now() + conn.negotiation.disconnect_timeout;
    loop {
        match connect::resume(hub, conn).await {
            Ok(ws) => return Ok(ws),
            // The server no longer knows the connection (or us): only a new one will do.
            Err(
                e @ SessionError::Connect(ConnectError::Status(_) | ConnectError::Unauthorized(_)),
            ) => return Err(e),
            Err(e) if Instant::now() + RESUME_DELAY >= deadline => return Err(e),
            Err(e) => debug!(hub = %hub.spec.name, error = %e, "Resume attempt failed; retrying."),
        }
        tokio::select! {
            _ = cancel.cancelled() => return Err(SessionError::Shutdown),
            _ = tokio::time::sleep(RESUME_DELAY) => {}
        }
    }
}

/// Reads one WebSocket until it ends; subscriptions go out as they can.
async fn read(
    hub: &Arc<Hub>,
    conn: &mut Connection,
    ws: &mut WsStream,
    subscriptions: &mut Subscriptions,
    state: &mut ClassicState,
    cancel: &CancellationToken,
) -> Exit {
    use futures_util::SinkExt;
    let timeout = conn.negotiation.keep_alive_timeout;
    let mut last_received = Instant::now();
    let mut events = Vec::new();
    let mut frames: u64 = 0;
    loop {
        heal(hub, conn, subscriptions, state, &mut events).await;
        match hub.out.enqueue(&mut events, None).await {
            Ok(true) => last_received = Instant::now(),
            Ok(false) => {}
            Err(exit) => return exit,
        }
        for (id, sub) in subscriptions.due() {
            let target_hub = sub.hub.as_deref().unwrap_or_default();
            let text = frame::invocation(id, target_hub, &sub.method, &sub.arguments);
            if let Err(e) = ws.send(Message::text(text)).await {
                return Exit::Lost(SessionError::websocket(e));
            }
        }
        let silence = async {
            match timeout {
                Some(limit) => tokio::time::sleep_until(last_received + limit).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => {
                let _ = ws.close(None).await;
                return Exit::Shutdown;
            }
            _ = silence => {
                return Exit::Lost(SessionError::KeepAliveTimeout(timeout.unwrap_or_default().as_secs()));
            }
            () = subscriptions.changed() => {
                subscriptions.refresh(|target| state.gap.still_listened(target));
            }
            message = ws.next() => {
                last_received = Instant::now();
                hub.out.frame();
                frames += 1;
                match message {
                    Some(Ok(Message::Text(text))) => {
                        let mut read = Read { frames, events: &mut events, added: &mut state.added };
                        if let Some(exit) = on_frame(hub, conn, subscriptions, text.as_str(), &mut read) {
                            // Deliver what the frame carried before leaving.
                            state.gap.observe(&events);
                            if let Err(closed) = hub.out.enqueue(&mut events, None).await {
                                return closed;
                            }
                            return exit;
                        }
                    }
                    Some(Ok(Message::Close(close))) => return Exit::Lost(SessionError::closed(close)),
                    Some(Ok(Message::Binary(_))) => hub.report.decode_error("binary_frame", &"binary frame on a classic connection"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Exit::Lost(SessionError::websocket(e)),
                    None => return Exit::Lost(SessionError::Ended(Ending::Reading)),
                }
                hub.report.update(|s| s.last_message_at = Some(time::OffsetDateTime::now_utc()));
            }
        }
    }
}

/// Heals what the profile's gap state asks for: every listened subscription once a new
/// connection's subscriptions are done, and those just added; then shows it `events`.
async fn heal(
    hub: &Hub,
    conn: &Connection,
    subscriptions: &Subscriptions,
    state: &mut ClassicState,
    events: &mut Vec<Event>,
) {
    let auth = conn.authorization.as_deref();
    if state.reconcile_pending && subscriptions.done() {
        state.reconcile_pending = false;
        let desired = hub.dynamic.desired();
        let requests = state.gap.requests(desired.values().map(|entry| &entry.target));
        events
            .extend(reconcile::heal(hub, &state.gap, &requests, &conn.id, "reconcile", auth).await);
    }
    let added = std::mem::take(&mut state.added);
    let requests = state.gap.added(&added);
    if !requests.is_empty() {
        state.added_reads += 1;
        let label = format!("added-{}", state.added_reads);
        events.extend(reconcile::heal(hub, &state.gap, &requests, &conn.id, &label, auth).await);
    }
    state.gap.observe(events);
}

/// Where one frame's results go.
struct Read<'a> {
    /// Frames read on this connection (identity of a message without a cursor).
    frames: u64,
    events: &'a mut Vec<Event>,
    /// Runtime subscriptions just answered.
    added: &'a mut Vec<Target>,
}

/// Decodes one frame: hub messages become events (ids from the cursor and position), results
/// settle subscriptions, and `T`/`E`/`D` end the transport.
fn on_frame(
    hub: &Hub,
    conn: &mut Connection,
    subscriptions: &mut Subscriptions,
    text: &str,
    read: &mut Read<'_>,
) -> Option<Exit> {
    let (frames, events) = (read.frames, &mut *read.events);
    let env = match frame::parse_frame(text) {
        Ok(Frame::Envelope(env)) => env,
        Ok(Frame::Result(result)) => {
            let outcome = result.outcome.map(|_| ()).map_err(|e| e.into_owned());
            if let Settled::Added(target) = subscriptions.completed(&result.id, outcome) {
                read.added.push(target);
            }
            return None;
        }
        Ok(Frame::KeepAlive | Frame::Progress(_) | Frame::Response(_)) => return None,
        Err(e) => {
            hub.report.decode_error(e.reason(), &e);
            return None;
        }
    };
    for (position, item) in env.messages.iter().flatten().enumerate() {
        let Item::Invocation { hub: classic_hub, method, arguments, .. } = item else { continue };
        let wire = match &env.cursor {
            Some(cursor) => super::wire_id(cursor, position),
            // Servers always send a cursor with messages; without one, the frame's place in
            // this connection is the best identity there is.
            None => WireId {
                connection: Arc::from(format!("{}:{frames}", conn.id)),
                record: position as u64,
            },
        };
        let arguments = crate::profile::Args::Json(arguments);
        dispatch::invocation(hub, wire, Some(classic_hub), method, arguments, events);
    }
    conn.cursor.observe(&env);
    if env.shutting_down {
        return Some(Exit::Lost(SessionError::ServerShutdown));
    }
    if let Some(error) = env.error {
        return Some(Exit::Lost(SessionError::ServerError(error.into_owned())));
    }
    if env.disconnect {
        return Some(Exit::Lost(SessionError::ServerError(
            "the server asked the client to disconnect".into(),
        )));
    }
    None
}
