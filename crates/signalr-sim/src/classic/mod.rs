//! The classic ASP.NET SignalR 2.x simulator with HPC Pack's personality: the server side of
//! `/hpc/signalr/{negotiate,connect,start,reconnect,abort,ping}` over WebSockets, HTTP Basic auth,
//! `JobEventHub` / `TaskEventHub`, and the `/hpc/jobs` REST API, for the demo and tests.
//! It does not change the ASP.NET Core simulator beside it.
//!
//! - `wire` / `replay`: pure cursor, groups token, envelope and replay-buffer formats.
//! - `hpc`: the seeded job/task model; `session` / `state`: connections and event routing.
//! - `server` / `rest`: HTTP routes; `connection`: one task per socket; `control`: tests.
//! - `feed`: pre-rendered HPC frames sent as fast as clients read (benchmarks).

mod connection;
mod control;
pub mod feed;
mod hpc;
mod hub;
mod replay;
mod rest;
mod server;
mod session;
mod state;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::DropGuard;

pub use control::ClassicControl;
use state::Shared;

/// The hubs HPC Pack declares, in their canonical spelling.
pub const JOB_HUB: &str = "JobEventHub";
pub const TASK_HUB: &str = "TaskEventHub";

/// Settings of the classic simulator; the defaults are the real server's (SignalR 2.2 era).
#[derive(Debug, Clone)]
pub struct ClassicSimulatorConfig {
    /// Where to listen; port 0 picks one.
    pub listen: SocketAddr,
    /// The HTTP Basic credentials every request must carry.
    pub user: String,
    pub password: String,
    /// `ProtocolVersion` in the negotiate answer (an HPC Pack 2016 server says "1.5").
    pub protocol_version: String,
    /// `{}` goes out this often; the negotiated KeepAliveTimeout is twice it.
    pub keep_alive: Duration,
    /// A connection without a transport this long is forgotten (OnDisconnected).
    pub disconnect_timeout: Duration,
    /// `TransportConnectTimeout` in the negotiate answer.
    pub transport_connect_timeout: Duration,
    /// Messages kept per connection for `/reconnect` replays.
    pub replay_capacity: usize,
    /// Model steps per second (0: none; tests drive the model through [`ClassicControl`]).
    pub rate_per_sec: u32,
    /// Tasks in each job the ticker submits.
    pub tasks_per_job: u32,
    /// Seed of the model's choices.
    pub seed: u64,
}

impl Default for ClassicSimulatorConfig {
    fn default() -> Self {
        ClassicSimulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            user: "hpcadmin".to_string(),
            password: "hpc-password".to_string(),
            protocol_version: "1.5".to_string(),
            keep_alive: Duration::from_secs(10),
            disconnect_timeout: Duration::from_secs(30),
            transport_connect_timeout: Duration::from_secs(5),
            replay_capacity: 1000,
            rate_per_sec: 0,
            tasks_per_job: 2,
            seed: 1,
        }
    }
}

/// A running classic simulator; dropping it stops the server, its tasks and every socket.
pub struct ClassicSimulator {
    pub addr: SocketAddr,
    control: ClassicControl,
    _stop: DropGuard,
}

impl ClassicSimulator {
    /// Binds, serves, and starts the reaper (and the ticker when `rate_per_sec` > 0).
    pub async fn start(config: ClassicSimulatorConfig) -> std::io::Result<ClassicSimulator> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let cancel = shared.cancel.clone();
        let app = server::router(shared.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                result = axum::serve(crate::server::no_delay(listener), app) => {
                    if let Err(error) = result {
                        tracing::error!(%error, "Classic simulator server stopped.");
                    }
                }
            }
        });
        tokio::spawn(reap(shared.clone()));
        if shared.config.rate_per_sec > 0 {
            tokio::spawn(tick(shared.clone()));
        }
        tracing::info!(%addr, "Classic simulator listening.");
        let stop = shared.cancel.clone().drop_guard();
        Ok(ClassicSimulator { addr, control: ClassicControl { shared, addr }, _stop: stop })
    }

    /// `http://<addr>/hpc`: what an HPC Pack client is configured with.
    pub fn base_url(&self) -> url::Url {
        self.control.base_url()
    }

    pub fn control(&self) -> ClassicControl {
        self.control.clone()
    }
}

/// Forgets connections left without a transport for DisconnectTimeout.
async fn reap(shared: Arc<Shared>) {
    let period = (shared.config.disconnect_timeout / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut interval = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = interval.tick() => shared.reap(),
        }
    }
}

/// Steps the model `rate_per_sec` times a second.
async fn tick(shared: Arc<Shared>) {
    let period = Duration::from_secs_f64(1.0 / f64::from(shared.config.rate_per_sec));
    let mut interval = tokio::time::interval(period.max(Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let tasks = shared.config.tasks_per_job;
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = interval.tick() => shared.with_model(|model| ((), model.tick(tasks))),
        }
    }
}
