//! Gap reconciliation for HPC Pack: remembers the last state seen of every listened job and
//! task, compares it with what the REST API reports after a new connection (events sent while
//! no connection existed are lost for good), and turns the differences into reconciled events.
//! Pure: `super::rest` says what to read and parses it; `signalr::rest` sends the reads and
//! fills [`RestJob`]; `super::super::gap` holds the tracker for the hub task.
//!
//! The hub task owns one [`JobTracker`] for its whole life (it survives sessions) and feeds it
//! every HPC event it publishes, live or reconciled: after [`to_events`] the caller must call
//! [`JobTracker::observe`] on each produced event, so the same difference is not reported again.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{JobState, TaskState, Transition};
use crate::event::{Event, EventType};
use crate::profile::MessageContext;

/// A job as the REST API reports it (`GET /hpc/jobs/{id}` and its tasks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestJob {
    pub id: i64,
    pub state: String,
    pub tasks: Vec<RestTask>,
}

/// One task (or parametric sweep instance) of a [`RestJob`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestTask {
    /// The task's id within its job (`JobTaskId`), as in `TaskStateChange`.
    pub task_id: i64,
    /// The sweep instance; 0 for an ordinary task.
    pub instance_id: i64,
    pub state: String,
}

/// A difference between the last state seen and the REST state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub job_id: i64,
    /// `(taskId, instanceId)` for a task, `None` for the job itself.
    pub task: Option<(i64, i64)>,
    /// The canonical state name now (an unknown name as the server sent it).
    pub state: String,
    /// The last state seen; `None` when the job or task was never seen.
    pub previous: Option<String>,
}

/// What the tracker knows of one job.
#[derive(Debug, Default)]
struct Seen {
    state: Option<String>,
    /// When the job was first seen in a terminal state (cleared by a requeue).
    terminal_since: Option<Instant>,
    tasks: BTreeMap<(i64, i64), String>,
}

/// The last state seen of every job and task, and when each job ended.
#[derive(Debug)]
pub struct JobTracker {
    stop_after: Duration,
    jobs: HashMap<i64, Seen>,
}

/// The identity and state fields of an HPC event's `data`; the rest is ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeenData<'a> {
    job_id: i64,
    task_id: Option<i64>,
    instance_id: Option<i64>,
    #[serde(borrow)]
    state: std::borrow::Cow<'a, str>,
}

impl JobTracker {
    /// A tracker that stops listening to a job `stop_listening_after` after it ended
    /// (`stop_listening_after_terminal_secs`).
    pub fn new(stop_listening_after: Duration) -> JobTracker {
        JobTracker { stop_after: stop_listening_after, jobs: HashMap::new() }
    }

    /// Records the state an HPC job or task event carries; other events are ignored. HPC
    /// traffic is low, so reading the small `data` object back is cheap enough.
    pub fn observe(&mut self, event: &Event, now: Instant) {
        let is_job = match event.kind {
            EventType::HpcJobStateChanged => true,
            EventType::HpcTaskStateChanged => false,
            _ => return,
        };
        let Ok(data) = serde_json::from_str::<SeenData>(event.data.get()) else { return };
        let seen = self.jobs.entry(data.job_id).or_default();
        if is_job {
            let state = JobState::parse(&data.state);
            if !state.is_terminal() {
                seen.terminal_since = None;
            } else if seen.terminal_since.is_none() {
                seen.terminal_since = Some(now);
            }
            seen.state = Some(state.as_str().to_owned());
        } else if let Some(task) = data.task_id {
            let key = (task, data.instance_id.unwrap_or(0));
            seen.tasks.insert(key, TaskState::parse(&data.state).as_str().to_owned());
        }
    }

    /// The differences between what was last seen of `job_id` and `rest`: the job's own
    /// state, then each task's; when the job has ended its change comes after its tasks',
    /// the order the scheduler itself reports them in. A job no longer listened to (ended
    /// longer than the configured time before `now`) yields nothing.
    pub fn diff(&self, job_id: i64, rest: &RestJob, now: Instant) -> Vec<Change> {
        if self.stopped(job_id, now) {
            return Vec::new();
        }
        let seen = self.jobs.get(&job_id);
        let mut changes = Vec::new();
        let job_state = JobState::parse(&rest.state);
        let job_change = differs(seen.and_then(|s| s.state.as_deref()), job_state.as_str())
            .map(|previous| change(job_id, None, job_state.as_str(), previous));
        if !job_state.is_terminal() {
            changes.extend(job_change.clone());
        }
        for task in &rest.tasks {
            let key = (task.task_id, task.instance_id);
            let state = TaskState::parse(&task.state);
            let last = seen.and_then(|s| s.tasks.get(&key)).map(String::as_str);
            if let Some(previous) = differs(last, state.as_str()) {
                changes.push(change(job_id, Some(key), state.as_str(), previous));
            }
        }
        if job_state.is_terminal() {
            changes.extend(job_change);
        }
        changes
    }

    /// The configured jobs still worth listening to at `now`: all but those that ended more
    /// than `stop_listening_after_terminal_secs` ago. Order is kept.
    pub fn jobs_to_listen(&self, configured: &[i64], now: Instant) -> Vec<i64> {
        configured.iter().copied().filter(|&job| !self.stopped(job, now)).collect()
    }

    /// The job ended more than `stop_listening_after_terminal_secs` before `now`.
    pub fn stopped(&self, job: i64, now: Instant) -> bool {
        let since = self.jobs.get(&job).and_then(|s| s.terminal_since);
        since.is_some_and(|t| now.saturating_duration_since(t) >= self.stop_after)
    }
}

/// `Some(previous)` when `now` differs (ignoring case) from the last state seen.
fn differs<'a>(last: Option<&'a str>, now: &str) -> Option<Option<&'a str>> {
    match last {
        Some(last) if last.eq_ignore_ascii_case(now) => None,
        last => Some(last),
    }
}

fn change(job_id: i64, task: Option<(i64, i64)>, state: &str, previous: Option<&str>) -> Change {
    Change { job_id, task, state: state.to_owned(), previous: previous.map(str::to_owned) }
}

/// Reconciled events for `changes`, with the same types, subjects and keys as live ones and
/// `reconciled: true`. Ids come from `ctx.wire` plus each change's position, so `ctx` should
/// name the new connection and a record number of its own. Feed the result back to
/// [`JobTracker::observe`].
pub fn to_events(ctx: &MessageContext, changes: &[Change]) -> Vec<Event> {
    changes
        .iter()
        .enumerate()
        .filter_map(|(index, change)| {
            let terminal = match change.task {
                None => JobState::parse(&change.state).is_terminal(),
                Some(_) => TaskState::parse(&change.state).is_terminal(),
            };
            let transition = Transition {
                job: change.job_id,
                task: change.task,
                state: &change.state,
                previous: change.previous.as_deref(),
                terminal,
                reconciled: true,
            };
            // Serializing ints and strings cannot fail; an error would drop only this change.
            transition.event(ctx, index).ok()
        })
        .collect()
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
