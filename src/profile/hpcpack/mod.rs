//! The HPC Pack 2016 profile: `BeginListen(jobId)` on each event hub after connecting, and
//! `JobStateChange` / `TaskStateChange` into typed, versioned state-change events. Pure: no I/O.
//!
//! State names are checked against the documented sets; an unknown name is kept in the event
//! (never dropped) and reported as [`Normalized::UnknownState`] so the hub task counts it.

pub mod reconcile;
pub mod rest;
mod state;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{generic, ArgumentError, DecodeError, Invocation, MessageContext, Normalized};
use crate::config::{HpcHub, HubConfig};
use crate::event::{Event, EventType};
pub use reconcile::JobTracker;
pub use state::{JobState, TaskState};

/// The HPC Pack profile of one hub. Shared, so cloning it per connection is cheap.
#[derive(Debug, Clone)]
pub struct HpcPack(Arc<Settings>);

#[derive(Debug)]
struct Settings {
    job_ids: Vec<i64>,
    hubs: Vec<HpcHub>,
    stop_listening_after: Duration,
}

/// `jobId`, `state`, `previousState`: the positional arguments of `JobStateChange`.
type JobArgs<'a> = (i64, Cow<'a, str>, Cow<'a, str>);
/// `jobId`, `taskId`, `instanceId`, `state`, `previousState` of `TaskStateChange`.
type TaskArgs<'a> = (i64, i64, i64, Cow<'a, str>, Cow<'a, str>);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateData<'a> {
    job_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_id: Option<i64>,
    state: &'a str,
    /// `None` (null) only when a reconciliation finds a job or task never seen before.
    previous_state: Option<&'a str>,
    /// The job or task reached Finished, Failed or Canceled.
    terminal: bool,
    /// Built from a REST reconciliation (see [`reconcile`]) rather than a hub event.
    reconciled: bool,
}

/// One state change of a job (`task` is `None`) or of a task (`(taskId, instanceId)`): the
/// single builder behind live and reconciled events, so both share type, subject and key.
pub(crate) struct Transition<'a> {
    pub job: i64,
    pub task: Option<(i64, i64)>,
    pub state: &'a str,
    pub previous: Option<&'a str>,
    pub terminal: bool,
    pub reconciled: bool,
}

impl Transition<'_> {
    /// The event under `jobs/{id}` or `jobs/{id}/tasks/{taskId}`, keyed by the job so a job's
    /// tasks stay in order with it.
    pub(crate) fn event(&self, ctx: &MessageContext, index: usize) -> Result<Event, DecodeError> {
        let data = StateData {
            job_id: self.job,
            task_id: self.task.map(|(task, _)| task),
            instance_id: self.task.map(|(_, instance)| instance),
            state: self.state,
            previous_state: self.previous,
            terminal: self.terminal,
            reconciled: self.reconciled,
        };
        let job = self.job;
        let (kind, subject) = match self.task {
            None => (EventType::HpcJobStateChanged, format!("jobs/{job}")),
            Some((task, _)) => (EventType::HpcTaskStateChanged, format!("jobs/{job}/tasks/{task}")),
        };
        Ok(ctx.event(index, kind, subject, job.to_string(), raw(&data)?))
    }
}

impl HpcPack {
    pub fn from_config(hub: &HubConfig) -> HpcPack {
        let hpc = hub.hpc_pack.clone();
        let stop = hpc.as_ref().map_or(300, |h| h.stop_listening_after_terminal_secs);
        let (job_ids, hubs) = hpc.map(|h| (h.job_ids, h.hubs)).unwrap_or_default();
        let stop_listening_after = Duration::from_secs(stop);
        HpcPack(Arc::new(Settings { job_ids, hubs, stop_listening_after }))
    }

    /// The configured job ids, in order (pass them to [`JobTracker::jobs_to_listen`]).
    pub fn job_ids(&self) -> &[i64] {
        &self.0.job_ids
    }

    /// An empty tracker with the configured `stop_listening_after_terminal_secs`; the hub task
    /// keeps it across sessions.
    pub fn tracker(&self) -> JobTracker {
        JobTracker::new(self.0.stop_listening_after)
    }

    /// Hub names for `connectionData`: classic hubs are fixed when the connection is made.
    pub fn hub_names(&self) -> Vec<&'static str> {
        self.0.hubs.iter().map(|h| h.as_str()).collect()
    }

    /// `BeginListen(jobId)` for every job on every configured hub, jobs in order.
    pub fn subscriptions(&self) -> Vec<Invocation> {
        self.subscriptions_for(&self.0.job_ids)
    }

    /// `BeginListen(jobId)` for `jobs` (e.g. [`JobTracker::jobs_to_listen`]) on every hub.
    pub fn subscriptions_for(&self, jobs: &[i64]) -> Vec<Invocation> {
        let mut all = Vec::with_capacity(jobs.len() * self.0.hubs.len());
        for &job in jobs {
            for hub in &self.0.hubs {
                all.push(Invocation {
                    hub: Some(hub.as_str().to_owned()),
                    method: "BeginListen".to_owned(),
                    arguments: vec![serde_json::Value::from(job)],
                    display: format!("{}.BeginListen({job})", hub.as_str()),
                });
            }
        }
        all
    }

    /// The server methods this profile turns into typed events (`normalize` below).
    pub const TARGETS: &'static [&'static str] = &["JobStateChange", "TaskStateChange"];

    /// Turns one invocation into events; on error nothing is pushed for it. `hub` is the
    /// classic hub name from the frame (`None` on the Core path): a known method arriving from
    /// the other hub is not what it seems, so it goes out as a generic event.
    pub fn normalize(
        &self,
        ctx: &MessageContext,
        hub: Option<&str>,
        target: &str,
        arguments: &RawValue,
        out: &mut Vec<Event>,
    ) -> Result<Normalized, DecodeError> {
        let from = |expected: HpcHub| hub.is_none_or(|h| h.eq_ignore_ascii_case(expected.as_str()));
        if target.eq_ignore_ascii_case("JobStateChange") && from(HpcHub::JobEventHub) {
            job_event(ctx, target, arguments, out)
        } else if target.eq_ignore_ascii_case("TaskStateChange") && from(HpcHub::TaskEventHub) {
            task_event(ctx, target, arguments, out)
        } else {
            let shown = match hub {
                Some(hub) => Cow::Owned(format!("{hub}.{target}")),
                None => Cow::Borrowed(target),
            };
            out.push(generic::invocation_event(ctx, 0, &shown, arguments)?);
            Ok(Normalized::UnknownTarget)
        }
    }
}

/// `JobStateChange(id, state, previousState)` ⇒ one event under `jobs/{id}`.
fn job_event(
    ctx: &MessageContext,
    target: &str,
    arguments: &RawValue,
    out: &mut Vec<Event>,
) -> Result<Normalized, DecodeError> {
    let (job, state, previous): JobArgs = decode(target, arguments, 3)?;
    let (state, previous) = (JobState::parse(&state), JobState::parse(&previous));
    let change = Transition {
        job,
        task: None,
        state: state.as_str(),
        previous: Some(previous.as_str()),
        terminal: state.is_terminal(),
        reconciled: false,
    };
    out.push(change.event(ctx, 0)?);
    Ok(outcome(state.unknown().or(previous.unknown())))
}

/// `TaskStateChange(id, taskId, instanceId, state, previousState)` ⇒ one event under
/// `jobs/{id}/tasks/{taskId}`.
fn task_event(
    ctx: &MessageContext,
    target: &str,
    arguments: &RawValue,
    out: &mut Vec<Event>,
) -> Result<Normalized, DecodeError> {
    let (job, task, instance, state, previous): TaskArgs = decode(target, arguments, 5)?;
    let (state, previous) = (TaskState::parse(&state), TaskState::parse(&previous));
    let change = Transition {
        job,
        task: Some((task, instance)),
        state: state.as_str(),
        previous: Some(previous.as_str()),
        terminal: state.is_terminal(),
        reconciled: false,
    };
    out.push(change.event(ctx, 0)?);
    Ok(outcome(state.unknown().or(previous.unknown())))
}

fn outcome(unknown: Option<&str>) -> Normalized {
    match unknown {
        Some(name) => Normalized::UnknownState(name.to_owned()),
        None => Normalized::Known,
    }
}

/// The argument array straight into its typed tuple; on failure, a second look names the
/// problem (wrong count, or which argument has the wrong type).
fn decode<'a, T: Deserialize<'a>>(
    target: &str,
    arguments: &'a RawValue,
    expected: usize,
) -> Result<T, DecodeError> {
    serde_json::from_str(arguments.get()).map_err(|source| {
        let all: Vec<&RawValue> = serde_json::from_str(arguments.get()).unwrap_or_default();
        if all.len() != expected {
            let got = all.len();
            return ArgumentError::Arity { target: target.to_owned(), expected, got }.into();
        }
        // Ids are integers and the last two (states) strings: the first that is not is the
        // culprit.
        let fits = |i: usize, a: &&RawValue| match i + 2 >= expected {
            true => a.get().starts_with('"'),
            false => a.get().parse::<i64>().is_ok(),
        };
        let index = all.iter().enumerate().position(|(i, a)| !fits(i, a)).unwrap_or(0);
        ArgumentError::Json { target: target.to_owned(), index, source }.into()
    })
}

fn raw(data: &StateData<'_>) -> Result<Box<RawValue>, DecodeError> {
    serde_json::value::to_raw_value(data).map_err(|source| {
        ArgumentError::Json { target: "state change".to_owned(), index: 0, source }.into()
    })
}
