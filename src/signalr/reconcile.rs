//! Gap healing over REST: sends the reads a profile's [`Gap`] asks for after a new connection
//! (or for subscriptions just added) and hands each answer back to it for reconciled events.
//! Dialect-neutral: a session calls [`heal`] and publishes the result with everything else.

use std::sync::Arc;

use tracing::{info, warn};

use super::{rest, Hub};
use crate::event::{Event, WireId};
use crate::profile::gap::Gap;
use crate::profile::hpcpack::rest::ReconcileRequest;
use crate::profile::MessageContext;

/// Reads every request with `authorization` and returns the reconciled events, in request
/// order. A read that fails is counted and logged, and the others go on. `connection` and
/// `label` (what the reads are for: `reconcile`, `added-1`, …) keep event ids apart per use.
pub async fn heal(
    hub: &Hub,
    gap: &Gap,
    requests: &[ReconcileRequest],
    connection: &str,
    label: &str,
    authorization: Option<&str>,
) -> Vec<Event> {
    let mut out = Vec::new();
    for request in requests {
        let job = request.job_id;
        let read = match rest::fetch_job(&hub.client.transport.http, request, authorization).await {
            Ok(read) => read,
            Err(error) => {
                hub.report.snapshot("error");
                warn!(hub = %hub.spec.name, job, %error, "Could not read the job to reconcile it.");
                continue;
            }
        };
        hub.report.snapshot("ok");
        let ctx = MessageContext {
            hub: hub.spec.name.clone(),
            source: hub.spec.source.clone(),
            // Unique per connection, use and job; the position of each change is added to it.
            wire: WireId {
                connection: Arc::from(format!("{connection}:{label}")),
                record: job as u64,
            },
            received: time::OffsetDateTime::now_utc(),
        };
        let events = gap.reconciled(&ctx, &read);
        if !events.is_empty() {
            info!(hub = %hub.spec.name, job, changes = events.len(), "Reconciled state changes not seen live.");
        }
        out.extend(events);
    }
    out
}
