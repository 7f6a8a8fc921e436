//! The spool's replay as a long operation: once the backlog is worth reporting (events left by
//! an earlier run, or at least [`REPORT_FROM`] waiting, as after a broker outage), every
//! acknowledgement counts towards it, the total following the backlog as it grows or shrinks,
//! until the spool is empty. Small spills under a burst are not reported.

use crate::progress::{Operation, Progress};

/// A backlog this large is a replay worth a progress report.
pub const REPORT_FROM: u64 = 1000;
const NAME: &str = "spool_replay";

/// The replay operation, if one is under way.
#[derive(Debug)]
pub struct Replay {
    progress: Progress,
    /// The spool held events at start: the first replay is reported whatever its size.
    recovered: bool,
    op: Option<Operation>,
}

impl Replay {
    pub fn new(progress: Progress, recovered: bool) -> Replay {
        Replay { progress, recovered, op: None }
    }

    /// The spool holds `pending` unacknowledged events (after a read or an append).
    pub fn seen(&mut self, pending: u64) {
        self.acked(0, pending);
    }

    /// `acked` more events were delivered; `pending` are left.
    pub fn acked(&mut self, acked: u64, pending: u64) {
        if self.op.is_none() && pending > 0 && (self.recovered || pending >= REPORT_FROM) {
            self.recovered = false;
            self.op = Some(self.progress.start(NAME, "events", Some(pending)));
            return;
        }
        let Some(op) = self.op.as_mut() else { return };
        let done = op.done() + acked;
        op.set(done, Some(done + pending));
        if pending == 0 {
            if let Some(op) = self.op.take() {
                op.finish(format!("{done} events published from the spool"));
            }
        }
    }
}

impl super::Spill {
    /// Reports the spool's replay (what an earlier run left, or a backlog after an outage) as a
    /// long operation in `progress`.
    pub fn with_progress(self, progress: Progress) -> super::Spill {
        let mut state = self.lock();
        let recovered = state.spool.unread() > 0;
        state.replay = Some(Replay::new(progress, recovered));
        drop(state);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::OpState;

    fn view(progress: &Progress) -> Option<(OpState, u64, Option<u64>)> {
        progress.views().first().map(|v| (v.state, v.done, v.total))
    }

    #[test]
    fn a_large_backlog_is_reported_until_the_spool_is_empty() {
        let progress = Progress::default();
        let mut replay = Replay::new(progress.clone(), false);
        replay.seen(10);
        assert_eq!(view(&progress), None, "a small spill is not a replay");
        replay.seen(REPORT_FROM);
        replay.acked(400, REPORT_FROM - 400 + 50); // 50 more spooled meanwhile
        replay.acked(650, 0);
        assert_eq!(view(&progress), Some((OpState::Done, 1050, Some(1050))));
    }

    #[test]
    fn events_left_by_an_earlier_run_are_reported_however_few() {
        let progress = Progress::default();
        let mut replay = Replay::new(progress.clone(), true);
        replay.seen(3);
        assert_eq!(view(&progress).map(|v| v.0), Some(OpState::Running));
        replay.acked(3, 0);
        assert_eq!(view(&progress), Some((OpState::Done, 3, Some(3))));
    }
}
