//! Wiring and the ordered shutdown. Start: the embedded simulators, the spool and the queue,
//! the hubs, the admin server (so `/livez` answers and `/readyz` explains from the first
//! second), then the hub tasks and the publisher, which connects the sink in the background
//! and waits out a broker that is down. Shutdown: stop reading hubs, drain the queue, wait for
//! acks within the grace period, stop the admin server last.

mod publish;
mod setup;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

pub use publish::Fatal;
pub use setup::{classic_sim, redmist_sim};

use crate::config::Config;
use crate::queue;
use crate::signalr::transport::Transports;
use crate::signalr::{run_hub, Hub};
use crate::sink::PublisherReport;
use crate::status::AppStatus;
use crate::telemetry::Metrics;

/// The exit code of a run that stopped with events lost (neither delivered nor kept in the
/// spool).
pub const EXIT_LOST: u8 = 3;

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
    /// Set when the sink can never work; [`run`] stops then.
    pub fatal: Arc<Fatal>,
    _simulators: (Option<signalr_sim::Simulator>, Option<signalr_sim::classic::ClassicSimulator>),
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
        let spill = match &config.queue.spool {
            Some(spool) => Some(setup::open_spool(spool, &metrics, &status.progress)?),
            None => None,
        };
        let (tx, rx) = queue::channel(config.queue.capacity, spill);
        metrics.info.set_queue_capacity(config.queue.capacity);
        metrics.info.set_spool_max_bytes(config.queue.spool.as_ref().map_or(0, |s| s.max_bytes));
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
        let api = setup::admin_api(&config, &hubs, &metrics)?;
        // Before the sink: liveness and the reason for not being ready, whatever the broker does.
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
        let hard_stop = CancellationToken::new();
        let fatal = Arc::new(Fatal::default());
        let publisher = publish::spawn(
            config.sink.clone(),
            rx,
            metrics.clone(),
            status.clone(),
            hard_stop.clone(),
            fatal.clone(),
        );
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
        let label = crate::sink::label(&config.sink);
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
            fatal,
            _simulators: (simulator, hpc_simulator),
        })
    }

    /// Ordered shutdown; returns what the publisher delivered and what it could not (a
    /// publisher that failed reports nothing).
    pub async fn shutdown(self) -> PublisherReport {
        self.finish().await.unwrap_or_default()
    }

    /// [`App::shutdown`]; `Err` when the publisher task failed, so nobody knows what was lost.
    async fn finish(self) -> Result<PublisherReport, tokio::task::JoinError> {
        info!(
            grace_secs = self.grace.as_secs(),
            "Shutting down: closing hubs, draining the queue."
        );
        self.status.begin_shutdown();
        // Visible to a scrape during the grace period, and in the log.
        // Waiting: in memory or spooled, not yet taken by the publisher (spooled: of those and
        // of the ones taken, how many the spool still holds).
        let (waiting, spooled) = (self.metrics.queue_depth().max(0), self.metrics.spool.events());
        self.metrics.info.set_pending_at_shutdown(waiting);
        if waiting > 0 || spooled > 0 {
            info!(waiting, spooled, "Events not yet delivered at the start of the shutdown.");
        }
        self.hubs_stop.cancel();
        let hard_stop = self.hard_stop.clone();
        let grace = self.grace;
        let fatal = self.fatal.clone();
        let timer = tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(grace) => {}
                // No sink to drain into: close the queue at once (into the spool, if any), which
                // also frees hubs waiting for room in it.
                () = fatal.happened.cancelled() => {}
            }
            hard_stop.cancel();
        });
        for task in self.hub_tasks {
            let _ = task.await;
        }
        let joined = self.publisher.await;
        timer.abort();
        let mut report = match joined {
            Ok(report) => report,
            Err(e) => {
                error!(error = %e, "Publisher task failed; what it held is unaccounted for.");
                return Err(e);
            }
        };
        // Read from a hub after the queue had closed: lost too.
        let dropped = self.metrics.counter_value("events_dropped_total", &[]);
        if dropped > 0 {
            error!(dropped, "Events read from hubs after the queue closed were lost.");
            report.undelivered += dropped;
            report.lost += dropped;
        }
        self.admin_stop.cancel();
        if let Some(task) = self.admin_task {
            let _ = task.await;
        }
        info!(
            delivered = report.delivered,
            undelivered = report.undelivered,
            lost = report.lost,
            "Shutdown complete."
        );
        Ok(report)
    }
}

/// Runs until SIGTERM or SIGINT, or until the sink turns out never to work, then shuts down.
/// What could not be delivered within the grace period has already been logged with its count
/// and counted in a metric. A sink that can never work is the error (a [`crate::sink::SinkError`]).
pub async fn run(config: Config) -> anyhow::Result<PublisherReport> {
    let app = App::start(config).await?;
    let fatal = app.fatal.clone();
    tokio::select! {
        () = wait_for_signal() => {}
        () = fatal.happened.cancelled() => {}
    }
    let report = app.finish().await;
    match (fatal.take(), report) {
        // Exit code 78 wins over lost events: the log has the count.
        (Some(error), _) => Err(anyhow::Error::new(error).context("the sink cannot work")),
        (None, Ok(report)) => Ok(report),
        (None, Err(e)) => Err(anyhow::Error::new(e).context("the publisher task failed")),
    }
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
