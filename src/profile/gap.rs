//! What a profile does about the gap a new connection leaves (events sent while no connection
//! existed are lost for good), without I/O. HPC Pack keeps the last state seen of every listened
//! job across connections, stops listening to jobs that ended long ago, and asks for REST reads
//! ([`ReconcileRequest`]) whose answers become reconciled events. Other profiles heal nothing
//! here (RedMist refetches its snapshot through [`super::SnapshotRequest`]).
//!
//! The hub task owns one [`Gap`] for its whole life and shows it every event it publishes,
//! live or reconciled ([`Gap::observe`]), so the same difference is not reported twice.

use std::time::Instant;

use url::Url;

use super::hpcpack::reconcile::{to_events, JobTracker, RestJob};
use super::hpcpack::rest::{rest_base, ReconcileRequest};
use super::{HpcPack, Invocation, MessageContext, Profile};
use crate::event::Event;
use crate::subs::Target;

/// A hub's gap-healing state; it survives connections. Its `Debug` leaves out the REST base:
/// a hub URL may carry credentials.
pub enum Gap {
    /// The profile heals nothing after a new connection.
    None,
    HpcPack {
        hpc: HpcPack,
        tracker: JobTracker,
        base: Url,
    },
}

impl std::fmt::Debug for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::None => f.write_str("Gap::None"),
            Gap::HpcPack { tracker, .. } => f.debug_tuple("Gap::HpcPack").field(tracker).finish(),
        }
    }
}

impl Gap {
    /// The state for `profile` on the hub at `hub_url` (HPC Pack reads `/hpc` REST beside it).
    pub fn new(profile: &Profile, hub_url: &Url) -> Gap {
        match profile {
            Profile::HpcPack(hpc) => {
                Gap::HpcPack { hpc: hpc.clone(), tracker: hpc.tracker(), base: rest_base(hub_url) }
            }
            Profile::Generic(_) | Profile::RedMist(_) => Gap::None,
        }
    }

    /// Whether a new connection (not a resumed one) needs [`Gap::requests`] read.
    pub fn heals(&self) -> bool {
        matches!(self, Gap::HpcPack { .. })
    }

    /// Indexes of the configured `subscriptions` to invoke now: `BeginListen` only for jobs
    /// still followed (listening stops some time after a job ended); everything else always.
    pub fn to_send(&self, subscriptions: &[Invocation]) -> Vec<usize> {
        let Gap::HpcPack { hpc, tracker, .. } = self else {
            return (0..subscriptions.len()).collect();
        };
        let listen = tracker.jobs_to_listen(hpc.job_ids(), Instant::now());
        (0..subscriptions.len())
            .filter(|&i| {
                let sub = &subscriptions[i];
                let job = sub.arguments.first().and_then(serde_json::Value::as_i64);
                !sub.method.eq_ignore_ascii_case("BeginListen")
                    || job.is_some_and(|j| listen.contains(&j))
            })
            .collect()
    }

    /// Whether a runtime subscription is still worth invoking: an HPC job that ended longer
    /// ago than `stop_listening_after_terminal_secs` is not, exactly as a configured one.
    pub fn still_listened(&self, target: &Target) -> bool {
        match (self, target) {
            (Gap::HpcPack { tracker, .. }, Target::HpcJob { job_id }) => {
                !tracker.stopped(*job_id, Instant::now())
            }
            _ => true,
        }
    }

    /// Lets the state see what is being published.
    pub fn observe(&mut self, events: &[Event]) {
        if let Gap::HpcPack { tracker, .. } = self {
            let now = Instant::now();
            for event in events {
                tracker.observe(event, now);
            }
        }
    }

    /// The reads that heal a new connection's gap: every job still listened to, configured
    /// first, then the `runtime` ones, each once. Read them after the subscriptions completed,
    /// so nothing can fall between a read and the listening.
    pub fn requests<'a>(
        &self,
        runtime: impl IntoIterator<Item = &'a Target>,
    ) -> Vec<ReconcileRequest> {
        let Gap::HpcPack { hpc, .. } = self else { return Vec::new() };
        let mut jobs = hpc.job_ids().to_vec();
        for target in runtime {
            if let Target::HpcJob { job_id } = target {
                if !jobs.contains(job_id) {
                    jobs.push(*job_id);
                }
            }
        }
        self.requests_for(&jobs)
    }

    /// The reads for subscriptions just added on a live connection: what they did before they
    /// were listened to arrives as reconciled changes.
    pub fn added(&self, targets: &[Target]) -> Vec<ReconcileRequest> {
        let jobs: Vec<i64> = targets
            .iter()
            .filter_map(|t| match t {
                Target::HpcJob { job_id } => Some(*job_id),
                _ => None,
            })
            .collect();
        self.requests_for(&jobs)
    }

    fn requests_for(&self, jobs: &[i64]) -> Vec<ReconcileRequest> {
        let Gap::HpcPack { tracker, base, .. } = self else { return Vec::new() };
        let listened = tracker.jobs_to_listen(jobs, Instant::now());
        listened.into_iter().map(|job| ReconcileRequest::new(base, job)).collect()
    }

    /// Reconciled events for what `job` (a read's answer) shows that was not seen live. `ctx`
    /// names the connection, the use and the job, so ids never repeat; pass the events to
    /// [`Gap::observe`] with everything else published.
    pub fn reconciled(&self, ctx: &MessageContext, job: &RestJob) -> Vec<Event> {
        let Gap::HpcPack { tracker, .. } = self else { return Vec::new() };
        to_events(ctx, &tracker.diff(job.id, job, Instant::now()))
    }
}
