//! What `App::start` sets up before anything runs: the spool, the subscriptions API with its
//! saved state, and the embedded simulators' settings.

use std::sync::Arc;

use anyhow::Context;
use tracing::{info, warn};

use crate::admin::api::{Api, ApiHub};
use crate::admin::bearer::TokenSource;
use crate::admin::check::check_target;
use crate::config::{Config, SpoolConfig};
use crate::queue::Spill;
use crate::signalr::Hub;
use crate::spool::Spool;
use crate::subs::store::Store;
use crate::subs::Origin;
use crate::telemetry::Metrics;

/// Opens the spool directory and reports what an earlier run left in it; its replays are
/// reported in `progress`.
pub(super) fn open_spool(
    config: &SpoolConfig,
    metrics: &Arc<Metrics>,
    progress: &crate::progress::Progress,
) -> anyhow::Result<Spill> {
    let (spool, recovered) = Spool::open(config.options())
        .with_context(|| format!("opening the spool in {}", config.dir.display()))?;
    metrics.spool.cut(recovered.cut_bytes);
    metrics.queued_from_earlier_run(recovered.events);
    if recovered.events > 0 || recovered.cut_bytes > 0 {
        info!(
            dir = %config.dir.display(),
            events = recovered.events,
            cut_bytes = recovered.cut_bytes,
            "Spool holds events from an earlier run; publishing them first."
        );
    }
    let spill = Spill::new(spool, config.when_full, metrics.clone());
    Ok(spill.with_progress(progress.clone()))
}

/// The subscriptions API when enabled: its token source, and its state file read back into the
/// hubs' runtime sets. A state file that cannot be read stops the start: silently dropping what
/// operators added is worse than asking them to look.
pub(super) fn admin_api(
    config: &Config,
    hubs: &[Arc<Hub>],
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Option<Api>> {
    if !config.admin.api.enabled {
        return Ok(None);
    }
    let token = TokenSource::from_config(&config.admin.api).context("the admin API token")?;
    let store = config.subscriptions_state_file().map(|path| Arc::new(Store::new(path)));
    let Some(store) = store else {
        warn!("The admin API has no state file (set admin.api.state_file or queue.spool): subscriptions it adds last until the process ends.");
        let hubs = hubs.iter().map(ApiHub::new).collect();
        return Ok(Some(Api { hubs, token, store: None, metrics: metrics.clone() }));
    };
    let saved = store.load().context("reading the admin API state file (fix or remove it)")?;
    for (name, targets) in saved {
        let Some(hub) = hubs.iter().find(|h| *h.spec.name == *name) else {
            warn!(hub = %name, "The state file names a hub that is not configured; its subscriptions are dropped at the next change.");
            continue;
        };
        for target in targets {
            match check_target(hub, &target) {
                Ok(()) => {
                    hub.dynamic.add(target, Origin::Api);
                }
                Err(e) => {
                    warn!(hub = %name, error = %e, "A saved subscription no longer fits its hub; dropped.")
                }
            }
        }
        info!(hub = %name, subscriptions = hub.dynamic.desired().len(), path = %store.path().display(), "Runtime subscriptions restored.");
    }
    let hubs = hubs.iter().map(ApiHub::new).collect();
    Ok(Some(Api { hubs, token, store: Some(store), metrics: metrics.clone() }))
}

/// The RedMist simulator's settings from the config section.
pub fn redmist_sim(c: &crate::config::SimulatorConfig) -> signalr_sim::SimulatorConfig {
    signalr_sim::SimulatorConfig {
        listen: c.listen,
        rate_per_sec: c.rate_per_sec,
        cars: c.cars,
        event_id: c.event_id,
        required_token: c.required_token.clone(),
    }
}

/// The classic simulator's settings from the config section (the rest: the real server's).
pub fn classic_sim(
    c: &crate::config::HpcSimulatorConfig,
) -> signalr_sim::classic::ClassicSimulatorConfig {
    signalr_sim::classic::ClassicSimulatorConfig {
        listen: c.listen,
        user: c.username.clone(),
        password: c.password.expose().to_string(),
        rate_per_sec: c.rate_per_sec,
        tasks_per_job: c.tasks_per_job,
        ..Default::default()
    }
}
