//! Long operations and how far they got (spool replay after an outage, discovery's first scan):
//! each is an [`Operation`] that logs its start, its progress at most every few seconds and its
//! end, and keeps a view for `/status`. The views outlive the operations, so `/status` also shows
//! how the last one of each name ended.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use time::OffsetDateTime;
use tracing::info;

/// A progress log line at most this often per operation.
const LOG_EVERY: Duration = Duration::from_secs(5);
/// The shared view is refreshed at most this often while counting (acks can be frequent).
const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// Where an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpState {
    Running,
    Done,
    /// Ended before its work was done (shutdown, an error); `detail` says why.
    Stopped,
}

/// One operation as `/status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OperationView {
    pub name: String,
    pub state: OpState,
    pub done: u64,
    /// Unknown until the work is known (a paged listing), and it may grow (a spool still
    /// filling while it drains).
    pub total: Option<u64>,
    /// What is counted: `events`, `jobs`, `events listed`.
    pub unit: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub detail: Option<String>,
}

/// Every operation's latest view, by name. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Mutex<BTreeMap<String, OperationView>>>);

impl Progress {
    /// Starts (or restarts) the operation `name`.
    pub fn start(
        &self,
        name: impl Into<String>,
        unit: &'static str,
        total: Option<u64>,
    ) -> Operation {
        let name = name.into();
        let now = OffsetDateTime::now_utc();
        let view = OperationView {
            name: name.clone(),
            state: OpState::Running,
            done: 0,
            total,
            unit,
            started_at: now,
            updated_at: now,
            detail: None,
        };
        self.lock().insert(name.clone(), view);
        info!(operation = %name, total, unit, "Operation started.");
        let started = Instant::now();
        Operation {
            progress: self.clone(),
            name,
            done: 0,
            total,
            unit,
            started,
            last_log: started,
            last_publish: started,
            ended: false,
        }
    }

    /// Every operation, by name.
    pub fn views(&self) -> Vec<OperationView> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, OperationView>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running operation; dropping it unfinished records it as stopped.
#[derive(Debug)]
pub struct Operation {
    progress: Progress,
    name: String,
    done: u64,
    total: Option<u64>,
    unit: &'static str,
    started: Instant,
    last_log: Instant,
    last_publish: Instant,
    ended: bool,
}

impl Operation {
    /// `by` more units done.
    pub fn advance(&mut self, by: u64) {
        self.set(self.done.saturating_add(by), self.total);
    }

    /// Sets the count and the total (which may have grown).
    pub fn set(&mut self, done: u64, total: Option<u64>) {
        self.done = done;
        self.total = total;
        let now = Instant::now();
        if now.duration_since(self.last_log) >= LOG_EVERY {
            self.last_log = now;
            let percent = total.filter(|t| *t > 0).map(|t| done.min(t) * 100 / t);
            info!(operation = %self.name, done, total, percent, unit = self.unit, "Operation in progress.");
        }
        if now.duration_since(self.last_publish) >= PUBLISH_EVERY {
            self.last_publish = now;
            self.publish(OpState::Running, None);
        }
    }

    pub fn done(&self) -> u64 {
        self.done
    }

    /// The work is done; `detail` sums it up.
    pub fn finish(mut self, detail: impl Into<String>) {
        let detail = detail.into();
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        info!(operation = %self.name, done = self.done, unit = self.unit, elapsed_ms, %detail, "Operation done.");
        self.end(OpState::Done, detail);
    }

    /// The work stopped before it was done.
    pub fn stop(mut self, why: impl Into<String>) {
        let why = why.into();
        info!(operation = %self.name, done = self.done, unit = self.unit, %why, "Operation stopped.");
        self.end(OpState::Stopped, why);
    }

    fn end(&mut self, state: OpState, detail: String) {
        self.ended = true;
        self.publish(state, Some(detail));
    }

    fn publish(&self, state: OpState, detail: Option<String>) {
        let mut all = self.progress.lock();
        if let Some(view) = all.get_mut(&self.name) {
            view.state = state;
            view.done = self.done;
            view.total = self.total;
            view.updated_at = OffsetDateTime::now_utc();
            if detail.is_some() {
                view.detail = detail;
            }
        }
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        if !self.ended {
            self.end(OpState::Stopped, "ended before it was done".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_follow_an_operation_to_its_end() {
        let progress = Progress::default();
        let mut op = progress.start("spool_replay", "events", Some(10));
        assert_eq!(progress.views()[0].state, OpState::Running);
        op.advance(4);
        op.set(7, Some(12));
        op.finish("12 events published");
        let view = &progress.views()[0];
        assert_eq!((view.state, view.done, view.total), (OpState::Done, 7, Some(12)));
        assert_eq!(view.detail.as_deref(), Some("12 events published"));
    }

    #[test]
    fn an_abandoned_operation_shows_as_stopped() {
        let progress = Progress::default();
        drop(progress.start("discovery:hpc", "jobs", None));
        assert_eq!(progress.views()[0].state, OpState::Stopped);
        let again = progress.start("discovery:hpc", "jobs", None);
        assert_eq!(progress.views().len(), 1, "a restart replaces the view");
        again.stop("shutdown");
    }
}
