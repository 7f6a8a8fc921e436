//! Runtime subscriptions: per hub, what the bridge listens to beyond its config, added while it
//! runs by the admin API or by discovery. One [`Set`] per hub is the single place they live:
//! the API and discovery change it, the hub task watches it and invokes the difference on the
//! live connection (and everything again after each reconnect), and [`store`] keeps the API's
//! part across restarts. What a target means on the wire (which server methods) is the
//! profile's business, not this module's.

mod result;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;

pub use result::LastResult;

/// Most runtime subscriptions one hub may hold: a bound on what the API can make it keep.
pub const MAX_PER_HUB: usize = 1000;

/// What a runtime subscription follows. A closed set: one kind per profile, plus any method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// An HPC Pack job: `BeginListen(jobId)` on each configured event hub.
    HpcJob { job_id: i64 },
    /// A RedMist event: what the profile subscribes for each configured event.
    RedmistEvent { event_id: i64 },
    /// Any server method with its arguments (on a classic hub, `classic_hub` names the hub).
    Method {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        classic_hub: Option<String>,
        method: String,
        #[serde(default)]
        arguments: Vec<serde_json::Value>,
    },
}

impl Target {
    /// The stable id the API names it by: `job-17`, `event-42`, `method-<hash>`.
    pub fn key(&self) -> Key {
        match self {
            Target::HpcJob { job_id } => Key(format!("job-{job_id}")),
            Target::RedmistEvent { event_id } => Key(format!("event-{event_id}")),
            Target::Method { classic_hub, method, arguments } => {
                let text = serde_json::json!([classic_hub, method, arguments]).to_string();
                Key(format!("method-{:016x}", fnv1a(text.as_bytes())))
            }
        }
    }

    /// How `/status` and logs show it: never a method's arguments (they may hold codes).
    pub fn display(&self) -> String {
        match self {
            Target::HpcJob { job_id } => format!("job {job_id}"),
            Target::RedmistEvent { event_id } => format!("event {event_id}"),
            Target::Method { method, arguments, .. } => {
                format!("{method}({} argument(s))", arguments.len())
            }
        }
    }
}

/// FNV-1a, 64 bits: a hash that stays the same across builds, so ids stay stable.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// A runtime subscription's id within its hub.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Key(String);

impl Key {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Key {
        Key(text.to_owned())
    }
}

/// Who added a runtime subscription; only the API's are persisted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Api,
    Discovery,
}

/// One runtime subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub target: Target,
    pub origin: Origin,
    pub added_at: OffsetDateTime,
    /// Which add made it: one removed and added again is a new subscription.
    pub generation: u64,
}

/// Every runtime subscription of a hub, by id.
pub type Desired = BTreeMap<Key, Entry>;

/// What [`Set::add`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    New(Entry),
    /// Already there (an API add adopts a discovered one: it is then kept and persisted).
    Exists(Entry),
    /// The hub holds [`MAX_PER_HUB`] already.
    Full,
}

/// Why [`Set::remove`] removed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    #[error("no runtime subscription `{0}` on this hub (configured ones change in the config)")]
    NotFound(Key),
    #[error("`{0}` was found by discovery; narrow the discovery filters to drop it")]
    Discovered(Key),
    /// Discovery leaves alone what the API added (or adopted).
    #[error("`{0}` was added through the admin API; only the API removes it")]
    Kept(Key),
}

/// How one runtime subscription's invocations last ended, on the current connection.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub last_result: LastResult,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
}

/// One runtime subscription as `/status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DynamicView {
    pub id: Key,
    pub subscription: String,
    pub origin: Origin,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// One hub's runtime subscriptions. Cheap to clone; all clones share the set.
#[derive(Debug, Clone)]
pub struct Set(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    desired: watch::Sender<Arc<Desired>>,
    outcomes: Mutex<HashMap<Key, Outcome>>,
    generations: AtomicU64,
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl Set {
    pub fn new() -> Set {
        let inner = Inner {
            desired: watch::Sender::new(Arc::default()),
            outcomes: Mutex::default(),
            generations: AtomicU64::new(0),
        };
        Set(Arc::new(inner))
    }

    /// Adds `target` unless it is there; watchers see the change at once.
    pub fn add(&self, target: Target, origin: Origin) -> Added {
        let key = target.key();
        let mut added = Added::Full;
        self.0.desired.send_if_modified(|desired| {
            if let Some(entry) = desired.get(&key) {
                let mut entry = entry.clone();
                let adopt = origin == Origin::Api && entry.origin == Origin::Discovery;
                if adopt {
                    entry.origin = Origin::Api;
                    let mut next = (**desired).clone();
                    next.insert(key.clone(), entry.clone());
                    *desired = Arc::new(next);
                }
                added = Added::Exists(entry);
                return adopt;
            }
            if desired.len() >= MAX_PER_HUB {
                return false;
            }
            let generation = self.0.generations.fetch_add(1, Ordering::Relaxed);
            let added_at = OffsetDateTime::now_utc();
            let entry = Entry { target, origin, added_at, generation };
            let mut next = (**desired).clone();
            next.insert(key.clone(), entry.clone());
            *desired = Arc::new(next);
            added = Added::New(entry);
            true
        });
        if matches!(added, Added::New(_)) {
            self.record(&key, LastResult::Pending);
        }
        added
    }

    /// Removes `key` when `by` is the origin that owns it.
    pub fn remove(&self, key: &Key, by: Origin) -> Result<Entry, RemoveError> {
        let mut result = Err(RemoveError::NotFound(key.clone()));
        self.0.desired.send_if_modified(|desired| {
            let Some(entry) = desired.get(key) else { return false };
            if entry.origin != by {
                result = Err(match by {
                    Origin::Api => RemoveError::Discovered(key.clone()),
                    Origin::Discovery => RemoveError::Kept(key.clone()),
                });
                return false;
            }
            let mut next = (**desired).clone();
            result = next.remove(key).ok_or_else(|| RemoveError::NotFound(key.clone()));
            *desired = Arc::new(next);
            true
        });
        if result.is_ok() {
            self.outcomes().remove(key);
        }
        result
    }

    /// The set now.
    pub fn desired(&self) -> Arc<Desired> {
        self.0.desired.borrow().clone()
    }

    /// A receiver that wakes on every change (the hub task's).
    pub fn watch(&self) -> watch::Receiver<Arc<Desired>> {
        self.0.desired.subscribe()
    }

    /// Records how `key`'s invocations ended on the current connection.
    pub fn record(&self, key: &Key, result: LastResult) {
        let at = OffsetDateTime::now_utc();
        let outcome = Outcome { last_result: result, at: Some(at) };
        self.outcomes().insert(key.clone(), outcome);
    }

    /// The last outcome recorded for `key`.
    pub fn outcome(&self, key: &Key) -> Outcome {
        let pending = || Outcome { last_result: LastResult::Pending, at: None };
        self.outcomes().get(key).cloned().unwrap_or_else(pending)
    }

    /// Every runtime subscription with its outcome, in id order.
    pub fn views(&self) -> Vec<DynamicView> {
        self.desired()
            .iter()
            .map(|(key, entry)| DynamicView {
                id: key.clone(),
                subscription: entry.target.display(),
                origin: entry.origin,
                added_at: entry.added_at,
                outcome: self.outcome(key),
            })
            .collect()
    }

    /// The API's subscriptions, the part a restart must keep.
    pub fn persisted(&self) -> Vec<Target> {
        let desired = self.desired();
        let api = desired.values().filter(|e| e.origin == Origin::Api);
        api.map(|e| e.target.clone()).collect()
    }

    fn outcomes(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Outcome>> {
        // Outcomes are display only: a poisoned lock still holds usable data.
        self.0.outcomes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests;
