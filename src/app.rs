//! Wiring: the simulator (if embedded), the sink and its publisher, one task per hub, the admin
//! server; and the ordered shutdown: stop reading hubs, drain the queue, wait for acks within the
//! grace period, stop the admin server last.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::admin::api::{Api, ApiHub};
use crate::admin::bearer::TokenSource;
use crate::admin::check::check_target;
use crate::config::{Config, SpoolConfig};
use crate::queue::{self, Spill};
use crate::signalr::transport::Transports;
use crate::signalr::{run_hub, Hub};
use crate::sink::{run_publisher, PublisherReport, Sink};
use crate::spool::Spool;
use crate::status::AppStatus;
use crate::subs::store::Store;
use crate::subs::Origin;
use crate::telemetry::Metrics;

/// A started bridge.
pub struct App {
    pub status: Arc<AppStatus>,
    pub metrics: Arc<Metrics>,
    /// The admin server's bound address, when enabled.
    pub admin_addr: Option<SocketAddr>,
    hubs_stop: CancellationToken,
    hard_stop: CancellationToken,
    admin_stop: CancellationToken,
    grace: Duration,
    hub_tasks: Vec<JoinHandle<()>>,
    publisher: JoinHandle<PublisherReport>,
    admin_task: Option<JoinHandle<()>>,
    _simulators: (Option<signalr_sim::Simulator>, Option<signalr_sim::classic::ClassicSimulator>),
}

/// Opens the spool directory and reports what an earlier run left in it; its replays are
/// reported in `progress`.
fn open_spool(
    config: &SpoolConfig,
    metrics: &Arc<Metrics>,
    progress: &crate::progress::Progress,
) -> anyhow::Result<Spill> {
    let (spool, recovered) = Spool::open(config.options())
        .with_context(|| format!("opening the spool in {}", config.dir.display()))?;
    metrics.spool.cut(recovered.cut_bytes);
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
fn admin_api(
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

impl App {
    /// Starts everything the config names. Fails when the sink or a hub cannot be set up.
    pub async fn start(config: Config) -> anyhow::Result<App> {
        let metrics = Arc::new(Metrics::new());
        let status = Arc::new(AppStatus::new(config.hubs.iter().map(|h| h.name.clone())));
        let simulator = match &config.simulator {
            Some(sim) => {
                let s =
                    signalr_sim::Simulator::start(redmist_sim(sim)).await.with_context(|| {
                        format!("starting the embedded simulator on {}", sim.listen)
                    })?;
                info!(url = %s.hub_url(), "Embedded simulator hub started.");
                Some(s)
            }
            None => None,
        };
        let hpc_simulator = match &config.hpc_simulator {
            Some(sim) => {
                let s = signalr_sim::classic::ClassicSimulator::start(classic_sim(sim))
                    .await
                    .with_context(|| {
                        format!("starting the embedded HPC simulator on {}", sim.listen)
                    })?;
                info!(url = %s.base_url(), "Embedded HPC Pack simulator started.");
                Some(s)
            }
            None => None,
        };
        let sink = Sink::connect(&config.sink).await.context("connecting the sink")?;
        let label = sink.label();
        status.set_sink_connected(true);
        let spill = match &config.queue.spool {
            Some(spool) => Some(open_spool(spool, &metrics, &status.progress)?),
            None => None,
        };
        let (tx, rx) = queue::channel(config.queue.capacity, spill);
        let hard_stop = CancellationToken::new();
        let publisher = tokio::spawn(run_publisher(
            sink,
            rx,
            metrics.clone(),
            status.clone(),
            hard_stop.clone(),
        ));
        let hubs_stop = CancellationToken::new();
        let mut hubs = Vec::new();
        let transports = Transports::default();
        for (config, hub_status) in config.hubs.iter().zip(&status.hubs) {
            let hub = Hub::new(
                config.clone(),
                tx.clone(),
                metrics.clone(),
                hub_status.clone(),
                hubs_stop.clone(),
                &transports,
            )
            .with_context(|| format!("setting up hub `{}`", config.name))?;
            hubs.push(Arc::new(hub));
        }
        drop(tx);
        // Restored before the hubs start, so their first connect invokes them too.
        let api = admin_api(&config, &hubs, &metrics)?;
        let mut hub_tasks: Vec<JoinHandle<()>> =
            hubs.iter().map(|hub| tokio::spawn(run_hub(hub.clone(), hubs_stop.clone()))).collect();
        for hub in &hubs {
            if let Some(discovery) = hub.spec.config.discovery.clone() {
                let progress = status.progress.clone();
                hub_tasks.push(tokio::spawn(crate::discovery::run(
                    hub.clone(),
                    discovery,
                    progress,
                )));
            }
        }
        let admin_stop = CancellationToken::new();
        let (admin_addr, admin_task) = if config.admin.enabled {
            let (addr, task) = crate::admin::serve(
                config.admin.listen,
                status.clone(),
                metrics.clone(),
                api,
                admin_stop.clone(),
            )
            .await
            .with_context(|| format!("binding the admin server to {}", config.admin.listen))?;
            info!(%addr, api = config.admin.api.enabled, "Admin server listening (/livez /readyz /metrics /status).");
            (Some(addr), Some(task))
        } else {
            (None, None)
        };
        info!(hubs = config.hubs.len(), sink = label, "Bridge started.");
        Ok(App {
            status,
            metrics,
            admin_addr,
            hubs_stop,
            hard_stop,
            admin_stop,
            grace: Duration::from_secs(config.shutdown.grace_period_secs),
            hub_tasks,
            publisher,
            admin_task,
            _simulators: (simulator, hpc_simulator),
        })
    }

    /// Ordered shutdown; returns what the publisher delivered and what it could not.
    pub async fn shutdown(self) -> PublisherReport {
        info!(
            grace_secs = self.grace.as_secs(),
            "Shutting down: closing hubs, draining the queue."
        );
        self.status.begin_shutdown();
        self.hubs_stop.cancel();
        let hard_stop = self.hard_stop.clone();
        let grace = self.grace;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            hard_stop.cancel();
        });
        for task in self.hub_tasks {
            let _ = task.await;
        }
        let report = match self.publisher.await {
            Ok(report) => report,
            Err(e) => {
                error!(error = %e, "Publisher task failed.");
                PublisherReport::default()
            }
        };
        timer.abort();
        self.admin_stop.cancel();
        if let Some(task) = self.admin_task {
            let _ = task.await;
        }
        info!(delivered = report.delivered, undelivered = report.undelivered, "Shutdown complete.");
        report
    }
}

/// Runs until SIGTERM or SIGINT, then shuts down. What could not be delivered within the grace
/// period has already been logged with its count and counted in a metric.
pub async fn run(config: Config) -> anyhow::Result<PublisherReport> {
    let app = App::start(config).await?;
    wait_for_signal().await;
    Ok(app.shutdown().await)
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
    tokio::select! {
        _ = term.recv() => info!("SIGTERM received."),
        _ = tokio::signal::ctrl_c() => info!("SIGINT received."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulators_defaults_are_the_configs() {
        let from_config = redmist_sim(&crate::config::SimulatorConfig::default());
        let own = signalr_sim::SimulatorConfig::default();
        assert_eq!(
            (from_config.listen, from_config.rate_per_sec, from_config.cars, from_config.event_id),
            (own.listen, own.rate_per_sec, own.cars, own.event_id)
        );
        assert_eq!((from_config.required_token, own.required_token), (None, None));
    }
}
