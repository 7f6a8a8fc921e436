//! REST snapshots: the starting state a profile asks for after subscribing and after a reset
//! (RedMist). Fetched in their own task so the hub keeps reading its socket meanwhile.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, warn};

use super::Hub;
use crate::config::Secret;
use crate::event::WireId;
use crate::profile::{MessageContext, SnapshotRequest};

const ATTEMPTS: u32 = 3;

/// Starts one fetch task per snapshot the profile wants. Each snapshot's id is the connection
/// plus a per-connection snapshot counter, so a re-fetch is a new event, never a duplicate.
pub fn spawn_fetches(
    hub: &Arc<Hub>,
    connection: &Arc<str>,
    bearer: &Option<Secret>,
    counter: &Arc<AtomicU64>,
    requests: Vec<SnapshotRequest>,
) {
    for request in requests {
        let wire = WireId {
            connection: Arc::from(format!("{connection}:snapshot")),
            record: counter.fetch_add(1, Ordering::Relaxed) + 1,
        };
        let hub = hub.clone();
        let bearer = bearer.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = hub.shutdown.cancelled() => {}
                _ = fetch(&hub, request, wire, bearer) => {}
            }
        });
    }
}

/// The snapshots of every configured and runtime subscription that has one.
pub fn all_requests(hub: &Hub) -> Vec<SnapshotRequest> {
    let mut all = hub.spec.profile.snapshot_requests();
    for entry in hub.dynamic.desired().values() {
        let request = hub.spec.profile.snapshot_for(&entry.target);
        if let Some(request) = request.filter(|r| !all.iter().any(|a| a.event_id == r.event_id)) {
            all.push(request);
        }
    }
    all
}

async fn fetch(hub: &Arc<Hub>, request: SnapshotRequest, wire: WireId, bearer: Option<Secret>) {
    for attempt in 1..=ATTEMPTS {
        // Closed never: the semaphore lives as long as the transport.
        let Ok(permit) = hub.client.transport.snapshots.acquire().await else { return };
        let fetched = get(hub, &request, bearer.as_ref()).await;
        drop(permit);
        match fetched {
            Ok(body) => {
                let ctx = MessageContext {
                    hub: hub.spec.name.clone(),
                    source: hub.spec.source.clone(),
                    wire,
                    received: time::OffsetDateTime::now_utc(),
                };
                let mut events = Vec::new();
                if let Err(e) =
                    hub.spec.profile.normalize_snapshot(&ctx, &request, &body, &mut events)
                {
                    hub.report.snapshot("decode_error");
                    return hub.report.decode_error(e.reason(), &e);
                }
                hub.report.snapshot("ok");
                debug!(hub = %hub.spec.name, event_id = request.event_id, "Snapshot fetched.");
                for event in events {
                    if !hub.out.send(event).await {
                        return;
                    }
                }
                return;
            }
            Err(error) => {
                hub.report.snapshot("error");
                warn!(hub = %hub.spec.name, event_id = request.event_id, attempt, %error, "Snapshot fetch failed.");
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
    }
}

async fn get(
    hub: &Hub,
    request: &SnapshotRequest,
    bearer: Option<&Secret>,
) -> Result<bytes::Bytes, String> {
    let mut call = hub.client.transport.http.get(request.url.clone());
    // OAuth2 tokens are short-lived: take the current one, not the one the connection began with.
    let bearer = hub.client.auth.bearer_now(bearer.cloned()).await.map_err(|e| e.to_string())?;
    if let Some(token) = &bearer {
        call = call.bearer_auth(token.expose());
    }
    let response = call.send().await.map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    response.bytes().await.map_err(|e| e.without_url().to_string())
}
