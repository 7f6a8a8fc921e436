//! Healing the gap a new classic connection leaves (HPC Pack): which jobs to listen to, and after
//! a connection that could not be resumed, each job's state read over REST and published as
//! reconciled changes where it differs from what was last seen.

use std::sync::Arc;
use std::time::Instant;

use tracing::{info, warn};

use super::connect::Connection;
use super::rest;
use crate::event::{Event, WireId};
use crate::profile::hpcpack::reconcile::{to_events, JobTracker};
use crate::profile::{MessageContext, Profile};
use crate::signalr::Hub;
use crate::subs::Target;

/// The job tracker of an HPC Pack hub; other profiles have none.
pub fn tracker(hub: &Hub) -> Option<JobTracker> {
    match &hub.profile {
        Profile::HpcPack(hpc) => Some(hpc.tracker()),
        _ => None,
    }
}

/// Indexes of the hub's subscriptions to invoke now: `BeginListen` only for jobs the tracker
/// still follows (it stops some time after a job ended); everything else always.
pub fn subscriptions_to_send(hub: &Hub, tracker: Option<&JobTracker>) -> Vec<usize> {
    let (Some(tracker), Profile::HpcPack(hpc)) = (tracker, &hub.profile) else {
        return (0..hub.subscriptions.len()).collect();
    };
    let listen = tracker.jobs_to_listen(hpc.job_ids(), Instant::now());
    (0..hub.subscriptions.len())
        .filter(|&i| {
            let sub = &hub.subscriptions[i];
            let job = sub.arguments.first().and_then(serde_json::Value::as_i64);
            !sub.method.eq_ignore_ascii_case("BeginListen")
                || job.is_some_and(|j| listen.contains(&j))
        })
        .collect()
}

/// Whether a runtime subscription is still worth invoking: an HPC job that ended longer ago
/// than `stop_listening_after_terminal_secs` is not, exactly as a configured one.
pub fn still_listened(tracker: Option<&JobTracker>, target: &Target) -> bool {
    match (tracker, target) {
        (Some(tracker), Target::HpcJob { job_id }) => !tracker.stopped(*job_id, Instant::now()),
        _ => true,
    }
}

/// The configured jobs, then the runtime ones, each once.
fn all_jobs(hub: &Hub, configured: &[i64]) -> Vec<i64> {
    let mut jobs = configured.to_vec();
    for entry in hub.dynamic.desired().values() {
        if let Target::HpcJob { job_id } = entry.target {
            if !jobs.contains(&job_id) {
                jobs.push(job_id);
            }
        }
    }
    jobs
}

/// Lets the tracker see what is being published.
pub fn observe(tracker: Option<&mut JobTracker>, events: &[Event]) {
    if let Some(tracker) = tracker {
        let now = Instant::now();
        for event in events {
            tracker.observe(event, now);
        }
    }
}

/// Reads every listened job over REST and returns reconciled events for what changed unseen.
/// Run after `BeginListen` completed, so nothing can fall between the read and the listening.
/// The caller passes the result to [`observe`] with everything else it publishes.
pub async fn reconcile(hub: &Hub, conn: &Connection, tracker: &JobTracker) -> Vec<Event> {
    let Profile::HpcPack(hpc) = &hub.profile else { return Vec::new() };
    let jobs = tracker.jobs_to_listen(&all_jobs(hub, hpc.job_ids()), Instant::now());
    reconcile_jobs(hub, conn, tracker, &jobs, "reconcile").await
}

/// [`reconcile`] for `jobs` only, e.g. one just added on a live connection: what it did before
/// it was listened to arrives as reconciled changes. `label` keeps event ids apart per use.
pub async fn reconcile_jobs(
    hub: &Hub,
    conn: &Connection,
    tracker: &JobTracker,
    jobs: &[i64],
    label: &str,
) -> Vec<Event> {
    let base = rest_base(&hub.config.url);
    let mut out = Vec::new();
    for &job in jobs {
        let fetched =
            rest::fetch_job(&hub.transport.http, &base, job, conn.authorization.as_deref()).await;
        let state = match fetched {
            Ok(state) => state,
            Err(error) => {
                hub.metrics.snapshot(&hub.name, "error");
                warn!(hub = %hub.name, job, %error, "Could not read the job to reconcile it.");
                continue;
            }
        };
        hub.metrics.snapshot(&hub.name, "ok");
        let ctx = MessageContext {
            hub: hub.name.clone(),
            source: hub.source.clone(),
            // Unique per connection, use and job; the position of each change is added to it.
            wire: WireId {
                connection: Arc::from(format!("{}:{label}", conn.id)),
                record: job as u64,
            },
            received: time::OffsetDateTime::now_utc(),
        };
        let events = to_events(&ctx, &tracker.diff(job, &state, Instant::now()));
        if !events.is_empty() {
            info!(hub = %hub.name, job, changes = events.len(), "Reconciled state changes not seen live.");
        }
        out.extend(events);
    }
    out
}

/// The REST base for a hub URL: `https://head/hpc` (or `…/hpc/signalr`) ⇒ `https://head/hpc`.
pub fn rest_base(hub_url: &url::Url) -> url::Url {
    let mut base = hub_url.clone();
    base.set_query(None);
    let path = base.path().trim_end_matches('/').trim_end_matches("/signalr").to_owned();
    base.set_path(&path);
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_base_strips_signalr_and_query() {
        let base = |u: &str| rest_base(&url::Url::parse(u).unwrap()).to_string();
        assert_eq!(base("https://head/hpc"), "https://head/hpc");
        assert_eq!(base("https://head/hpc/signalr/?x=1"), "https://head/hpc");
        assert_eq!(base("http://127.0.0.1:8080/hpc/"), "http://127.0.0.1:8080/hpc");
    }
}
