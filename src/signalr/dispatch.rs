//! What both dialects do with decoded messages: normalize an invocation into events (counting
//! what must be counted), mark a hub subscribed, and hand events to
//! the queue with backpressure. No socket reading or frame decoding here.

use std::time::Duration;

use futures_util::SinkExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::transport::WsStream;
use super::{Exit, Hub, SessionError};
use crate::event::{Event, WireId};
use crate::profile::{Args, MessageContext, Normalized};
use crate::telemetry::HubState;

/// Normalizes one server invocation into `events`; on bad input nothing is kept for it and the
/// error is counted. Returns true when the profile asks for fresh snapshots.
pub fn invocation(
    hub: &Hub,
    wire: WireId,
    classic_hub: Option<&str>,
    target: &str,
    arguments: Args<'_>,
    events: &mut Vec<Event>,
) -> bool {
    hub.counts.invocation(target);
    let ctx = MessageContext {
        hub: hub.name.clone(),
        source: hub.source.clone(),
        wire,
        received: time::OffsetDateTime::now_utc(),
    };
    let before = events.len();
    match hub.profile.normalize_args(&ctx, classic_hub, target, arguments, events) {
        Ok(Normalized::Known) => {}
        Ok(Normalized::UnknownTarget) => hub.metrics.unknown_target(&hub.name, target),
        Ok(Normalized::RefreshSnapshots) => return true,
        Ok(Normalized::UnknownState(state)) => hub.metrics.unknown_state(&hub.name, &state),
        Err(e) => {
            events.truncate(before);
            hub.metrics.decode_error(&hub.name, e.reason(), &e);
        }
    }
    false
}

/// Every subscription answered (or there were none): the hub counts as ready.
pub fn mark_subscribed(hub: &Hub) {
    hub.status.update(|s| s.state = HubState::Subscribed);
    hub.metrics.set_hub_state(&hub.name, HubState::Subscribed);
}

/// A Ping to keep sending while the queue is full (Core); classic servers need none.
pub struct KeepAlive<'a> {
    pub ws: &'a mut WsStream,
    pub last_sent: &'a mut Instant,
    pub every: Duration,
    pub ping: Message,
}

/// Hands `events` to the queue, in order; returns whether it had to wait for room. While the
/// queue is full the socket is not read (backpressure), but `keepalive` pings still go out.
/// A ping that fails ends the connection only once every event is queued: they were read
/// already, and the queue is their only way to the broker.
pub async fn enqueue(
    hub: &Hub,
    events: &mut Vec<Event>,
    mut keepalive: Option<KeepAlive<'_>>,
) -> Result<bool, Exit> {
    use crate::queue::Refused;
    let closed = || Exit::Lost(SessionError::QueueClosed);
    let mut waited = false;
    let mut lost = None;
    for event in events.drain(..) {
        hub.counts.enqueued(event.kind);
        let mut event = match hub.tx.offer(event) {
            Ok(()) => continue,
            Err(Refused::Closed) => return Err(closed()),
            Err(Refused::Full(event)) => event,
        };
        waited = true;
        loop {
            let ping_at = keepalive.as_ref().map(|k| *k.last_sent + k.every);
            tokio::select! {
                () = hub.tx.room() => match hub.tx.offer(*event) {
                    Ok(()) => break,
                    Err(Refused::Closed) => return Err(closed()),
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

/// Sleeps until `at`, or for ever when there is none.
pub async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
