//! Discovery: per hub, a REST poll that finds what to subscribe to (HPC Pack: running and queued
//! jobs; RedMist: live events) and keeps the hub's runtime set ([`crate::subs::Set`]) in step,
//! as origin `discovery`: the same path the admin API's subscriptions take, so the hub task
//! invokes them at once and after every reconnect. What disappears from the listing is removed
//! (RedMist: at once, which unsubscribes; HPC: after `stop_listening_after_terminal_secs`, the
//! same grace a configured job gets after it ends). The first scan reports its progress.

mod hpc;
pub mod pattern;
mod redmist;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::config::DiscoveryConfig;
use crate::profile::Profile;
use crate::progress::{Operation, Progress};
use crate::signalr::Hub;
use crate::subs::{Added, Desired, Key, Origin, Target};

/// Why a poll found nothing this time (it is tried again at the next interval).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("credentials: {0}")]
    Credentials(String),
    #[error(transparent)]
    Hpc(#[from] crate::signalr::rest::ListError),
    #[error("live events listing: {0}")]
    Http(String),
    #[error("live events listing is not understood: {0}")]
    Malformed(String),
}

/// What one poll changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub add: Vec<Target>,
    pub remove: Vec<Key>,
    /// Found but not followed: the limit is reached.
    pub waiting: usize,
}

/// Compares what discovery follows in `desired` with what the poll `found` (in preference
/// order). Missing ones go after `linger` (`None`: at once), remembered in `missing_since`; new
/// ones are added while fewer than `limit` found ones are followed. What the API added is
/// neither counted nor touched.
pub fn plan(
    desired: &Desired,
    found: &[Target],
    limit: usize,
    missing_since: &mut HashMap<Key, Instant>,
    now: Instant,
    linger: Option<Duration>,
) -> Plan {
    let found_keys: HashSet<Key> = found.iter().map(Target::key).collect();
    let discovered = desired.iter().filter(|(_, e)| e.origin == Origin::Discovery);
    let mut plan = Plan::default();
    let mut following = 0;
    for (key, _) in discovered {
        if found_keys.contains(key) {
            following += 1;
            missing_since.remove(key);
            continue;
        }
        let since = *missing_since.entry(key.clone()).or_insert(now);
        if linger.is_none_or(|l| now.saturating_duration_since(since) >= l) {
            plan.remove.push(key.clone());
        }
    }
    missing_since.retain(|key, _| desired.contains_key(key) && !plan.remove.contains(key));
    let mut room = limit.saturating_sub(following);
    for target in found {
        if desired.contains_key(&target.key()) {
            continue;
        }
        if room == 0 {
            plan.waiting += 1;
            continue;
        }
        plan.add.push(target.clone());
        room -= 1;
    }
    plan
}

/// Polls until the hub shuts down.
pub async fn run(hub: Arc<Hub>, config: DiscoveryConfig, progress: Progress) {
    let linger = match &hub.spec.profile {
        Profile::HpcPack(_) => {
            let secs = hub
                .spec
                .config
                .hpc_pack
                .as_ref()
                .map_or(300, |h| h.stop_listening_after_terminal_secs);
            Some(Duration::from_secs(secs))
        }
        _ => None,
    };
    let unit = if linger.is_some() { "jobs listed" } else { "events listed" };
    let mut first =
        Some(progress.start(format!("discovery_first_scan:{}", hub.spec.name), unit, None));
    let mut missing_since = HashMap::new();
    let interval = Duration::from_secs(config.interval_secs);
    loop {
        let scanned = tokio::select! {
            _ = hub.shutdown.cancelled() => return,
            scanned = scan(&hub, &config, first.as_mut()) => scanned,
        };
        match scanned {
            Ok(found) => {
                hub.report.metrics().admin.discovery_poll(&hub.spec.name, "ok");
                let desired = hub.dynamic.desired();
                let now = Instant::now();
                let plan =
                    plan(&desired, &found, config.max_followed, &mut missing_since, now, linger);
                let summary = apply(&hub, &found, plan);
                if let Some(op) = first.take() {
                    op.finish(summary);
                }
            }
            Err(error) => {
                hub.report.metrics().admin.discovery_poll(&hub.spec.name, "error");
                warn!(hub = %hub.spec.name, %error, "Discovery poll failed; trying again at the next interval.");
            }
        }
        tokio::select! {
            _ = hub.shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

async fn scan(
    hub: &Hub,
    config: &DiscoveryConfig,
    op: Option<&mut Operation>,
) -> Result<Vec<Target>, ScanError> {
    match &hub.spec.profile {
        Profile::HpcPack(_) => hpc::scan(hub, config, op).await,
        Profile::RedMist(_) => redmist::scan(hub, config, op).await,
        // Config validation keeps discovery off generic hubs.
        Profile::Generic(_) => Ok(Vec::new()),
    }
}

/// Changes the hub's runtime set as planned; returns a one-line summary.
fn apply(hub: &Hub, found: &[Target], plan: Plan) -> String {
    for target in plan.add {
        let key = target.key();
        match hub.dynamic.add(target, Origin::Discovery) {
            Added::New(entry) => {
                hub.report.metrics().admin.change(&hub.spec.name, "added", "discovery");
                info!(hub = %hub.spec.name, subscription = %key, found = %entry.target.display(), "Discovered; subscribing.");
            }
            Added::Exists(_) => {}
            Added::Full => {
                warn!(hub = %hub.spec.name, subscription = %key, "Discovered, but the hub holds as many runtime subscriptions as it may.");
                break;
            }
        }
    }
    for key in plan.remove {
        if hub.dynamic.remove(&key, Origin::Discovery).is_ok() {
            hub.report.metrics().admin.change(&hub.spec.name, "removed", "discovery");
            info!(hub = %hub.spec.name, subscription = %key, "No longer listed; discovery stops following it.");
        }
    }
    if plan.waiting > 0 {
        info!(hub = %hub.spec.name, waiting = plan.waiting, "Discovery's limit (max_followed) is reached; the rest wait for room.");
    }
    format!("{} found, {} waiting for room", found.len(), plan.waiting)
}

#[cfg(test)]
mod tests;
