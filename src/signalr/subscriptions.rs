//! The bridge's own invocations on one connection: the configured subscriptions first, then the
//! hub's runtime ones ([`crate::subs::Set`]) kept in step with that set while the connection
//! lives: an added one is invoked at once, a removed one is unsubscribed where the profile has a
//! method for it. A new connection starts from nothing, so everything is invoked again.
//! No socket here: the session sends what [`Subscriptions::next`] hands out.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::watch;
use tracing::{info, warn};

use super::report::Report;
use super::{Hub, Spec};
use crate::profile::{Invocation, Profile};
use crate::subs::{Desired, Entry, Key, LastResult, Target};
use crate::telemetry::HubState;

/// RedMist allows three parallel invocations per client; more would queue server-side anyway.
const MAX_PARALLEL_INVOCATIONS: usize = 3;

/// Which book an invocation's result goes to.
#[derive(Debug, Clone)]
enum Slot {
    Configured(usize),
    Dynamic(Key),
    Unsubscribe(Key),
}

#[derive(Debug)]
struct Call {
    slot: Slot,
    invocation: Invocation,
}

/// What a result settled, beyond its own bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Nothing,
    /// The first round (everything due at connect) has answered: the hub is subscribed.
    Round,
    /// A runtime subscription added later has answered, all of it successfully.
    Added(Target),
}

/// One connection's subscriptions.
pub struct Subscriptions {
    to_send: VecDeque<Call>,
    /// invocation id -> call.
    outstanding: HashMap<String, Call>,
    /// Runtime subscriptions invoked (or queued) on this connection, as they were then.
    applied: BTreeMap<Key, Entry>,
    /// Invocations of each runtime subscription still unanswered, and those that failed.
    unanswered: HashMap<Key, usize>,
    failed: HashSet<Key>,
    round_done: bool,
    next_id: u64,
    changes: watch::Receiver<Arc<Desired>>,
    profile: Profile,
    report: Report,
    dynamic: crate::subs::Set,
}

impl Subscriptions {
    /// The `configured` subscriptions of the hub (by index), then its runtime ones that
    /// `listen` accepts (HPC Pack: not jobs that ended long ago).
    pub fn new(
        hub: &Hub,
        configured: impl IntoIterator<Item = usize>,
        listen: impl Fn(&Target) -> bool,
    ) -> Subscriptions {
        Subscriptions::with(&hub.spec, &hub.report, &hub.dynamic, configured, listen)
    }

    /// [`Subscriptions::new`] from the parts of a hub it uses: what to invoke, where to report
    /// outcomes, and the runtime set.
    pub fn with(
        spec: &Spec,
        report: &Report,
        dynamic: &crate::subs::Set,
        configured: impl IntoIterator<Item = usize>,
        listen: impl Fn(&Target) -> bool,
    ) -> Subscriptions {
        let mut changes = dynamic.watch();
        let desired = changes.borrow_and_update().clone();
        let to_send = configured
            .into_iter()
            .filter_map(|i| {
                let invocation = spec.subscriptions.get(i)?.clone();
                Some(Call { slot: Slot::Configured(i), invocation })
            })
            .collect();
        let mut subs = Subscriptions {
            to_send,
            outstanding: HashMap::new(),
            applied: BTreeMap::new(),
            unanswered: HashMap::new(),
            failed: HashSet::new(),
            round_done: false,
            next_id: 0,
            changes,
            profile: spec.profile.clone(),
            report: report.clone(),
            dynamic: dynamic.clone(),
        };
        subs.apply(&desired, listen);
        // Nothing to invoke at connect: the (empty) first round is over already.
        subs.round_done = subs.done();
        subs
    }

    /// True when nothing is left to send or to wait for.
    pub fn done(&self) -> bool {
        self.to_send.is_empty() && self.outstanding.is_empty()
    }

    /// Waits until the hub's runtime set changes (for ever once it cannot change).
    pub async fn changed(&mut self) {
        if self.changes.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Brings this connection in step with the hub's runtime set, if it changed.
    pub fn refresh(&mut self, listen: impl Fn(&Target) -> bool) {
        // `changed()` may have marked the new value seen already; comparing costs little.
        let desired = self.changes.borrow_and_update().clone();
        self.apply(&desired, listen);
    }

    fn apply(&mut self, desired: &Desired, listen: impl Fn(&Target) -> bool) {
        // Removed, or removed and added again since (then it is undone and done again).
        let gone: Vec<Key> = self
            .applied
            .iter()
            .filter(|(k, e)| desired.get(*k).is_none_or(|now| now.generation != e.generation))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            let Some(Entry { target, .. }) = self.applied.remove(&key) else { continue };
            let queued = self.to_send.len();
            self.to_send.retain(|c| !matches!(&c.slot, Slot::Dynamic(k) if *k == key));
            let queued = queued - self.to_send.len();
            // Nothing of it reached the server (all still queued): nothing to undo.
            let sent = self.unanswered.remove(&key).is_none_or(|left| left > queued);
            self.failed.remove(&key);
            let undo = match self.profile.expand(&target) {
                Ok(expansion) if sent => expansion.unsubscribe,
                _ => Vec::new(),
            };
            info!(hub = %self.report.name(), subscription = %key, unsubscribe = undo.len(), "Runtime subscription removed.");
            for invocation in undo {
                self.to_send.push_back(Call { slot: Slot::Unsubscribe(key.clone()), invocation });
            }
        }
        for (key, entry) in desired {
            if self.applied.contains_key(key) {
                continue;
            }
            if !listen(&entry.target) {
                self.dynamic.record(key, LastResult::Skipped("the job ended".into()));
                continue;
            }
            let invocations = match self.profile.expand(&entry.target) {
                Ok(expansion) => expansion.subscribe,
                Err(e) => {
                    self.dynamic.record(key, LastResult::Error(e.to_string()));
                    continue;
                }
            };
            self.applied.insert(key.clone(), entry.clone());
            if invocations.is_empty() {
                continue;
            }
            self.dynamic.record(key, LastResult::Pending);
            self.unanswered.insert(key.clone(), invocations.len());
            for invocation in invocations {
                self.to_send.push_back(Call { slot: Slot::Dynamic(key.clone()), invocation });
            }
        }
    }

    /// The next invocations to send (at most three outstanding), as (id, invocation).
    pub fn due(&mut self) -> Vec<(u64, Invocation)> {
        let mut out = Vec::new();
        while self.outstanding.len() < MAX_PARALLEL_INVOCATIONS {
            let Some(call) = self.to_send.pop_front() else { break };
            let id = self.next_id;
            self.next_id += 1;
            if let Slot::Configured(index) = call.slot {
                self.report.configured_pending(index);
            }
            out.push((id, call.invocation.clone()));
            self.outstanding.insert(id.to_string(), call);
        }
        out
    }

    /// Records a result and says what it settled; the hub is marked subscribed whenever
    /// nothing is left outstanding.
    pub fn completed(&mut self, invocation_id: &str, outcome: Result<(), String>) -> Settled {
        let Some(call) = self.outstanding.remove(invocation_id) else {
            let unknown = format!("result for unknown invocation {invocation_id}");
            self.report.decode_error("unexpected_completion", &unknown);
            return Settled::Nothing;
        };
        let sub = &call.invocation;
        let label = if outcome.is_ok() { "ok" } else { "error" };
        self.report.completion(&sub.method, label);
        let result = match &outcome {
            Ok(()) => {
                info!(hub = %self.report.name(), invocation = %sub.display, "Subscription succeeded.");
                LastResult::Ok
            }
            Err(error) => {
                warn!(hub = %self.report.name(), invocation = %sub.display, %error, "Invocation failed on the server.");
                LastResult::Error(error.clone())
            }
        };
        let mut added = None;
        match call.slot {
            Slot::Configured(index) => self.report.configured_answered(index, result),
            Slot::Dynamic(key) => added = self.dynamic_answered(key, result),
            Slot::Unsubscribe(key) => {
                info!(hub = %self.report.name(), subscription = %key, outcome = label, "Unsubscribe answered.");
            }
        }
        if self.done() {
            self.report.set_state(HubState::Subscribed);
            if !std::mem::replace(&mut self.round_done, true) {
                return Settled::Round;
            }
        }
        // Before the first round is done, that round's snapshots will cover it.
        match added {
            Some(target) if self.round_done => Settled::Added(target),
            _ => Settled::Nothing,
        }
    }

    /// Books one answer of a runtime subscription; its target once all answered well.
    fn dynamic_answered(&mut self, key: Key, result: LastResult) -> Option<Target> {
        if !self.applied.contains_key(&key) {
            return None; // removed meanwhile
        }
        if result != LastResult::Ok {
            self.failed.insert(key.clone());
            self.dynamic.record(&key, result);
        }
        let left = self.unanswered.get_mut(&key)?;
        *left = left.saturating_sub(1);
        if *left > 0 {
            return None;
        }
        self.unanswered.remove(&key);
        if self.failed.remove(&key) {
            return None;
        }
        self.dynamic.record(&key, LastResult::Ok);
        self.applied.get(&key).map(|e| e.target.clone())
    }
}

#[cfg(test)]
#[path = "subscriptions_tests.rs"]
mod tests;
