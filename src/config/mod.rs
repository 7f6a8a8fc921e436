//! Typed settings: compiled defaults, then the file, then `SIGNALR_BRIDGE__A__B` variables.
//!
//! Every field's doc comment is user documentation. Unknown keys are errors. Cross-field rules
//! live in [`Config::validate`]. Secrets are [`Secret`]s: they print and serialize redacted.
//! This module reads files; it opens no connections.

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The exit code for a bad configuration (sysexits `EX_CONFIG`).
pub const EXIT_CONFIG: i32 = 78;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Hubs to connect to; each gets its own connection task.
    #[serde(default)]
    pub hubs: Vec<HubConfig>,
    /// Where events go.
    pub sink: SinkConfig,
    /// The bounded queue between hub tasks and the publisher.
    #[serde(default)]
    pub queue: QueueConfig,
    /// The admin HTTP server: /livez, /readyz, /metrics, /status, and the optional
    /// subscriptions API.
    #[serde(default)]
    pub admin: AdminConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Graceful shutdown.
    #[serde(default)]
    pub shutdown: ShutdownConfig,
    /// The built-in simulator hub, run inside the bridge (for the demo and trials).
    #[serde(default)]
    pub simulator: Option<SimulatorConfig>,
    /// The built-in classic ASP.NET SignalR simulator with an HPC Pack personality.
    #[serde(default)]
    pub hpc_simulator: Option<HpcSimulatorConfig>,
}

/// The embedded HPC Pack simulator (classic SignalR at `http://<listen>/hpc`, HTTP Basic).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HpcSimulatorConfig {
    /// Listen address (loopback).
    #[serde(default = "default_hpc_sim_listen")]
    pub listen: SocketAddr,
    /// Job model steps per second; jobs are numbered from 1.
    #[serde(default = "default_hpc_sim_rate")]
    pub rate_per_sec: u32,
    /// Tasks in each simulated job.
    #[serde(default = "default_hpc_sim_tasks")]
    pub tasks_per_job: u32,
    /// The HTTP Basic user the simulator accepts.
    #[serde(default = "default_hpc_sim_user")]
    pub username: String,
    /// The HTTP Basic password the simulator accepts.
    #[serde(default = "default_hpc_sim_password")]
    pub password: Secret,
}

/// The in-memory queue.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Events held between hubs and the publisher; when full, hub reading pauses.
    #[serde(default = "default_queue_capacity")]
    pub capacity: usize,
    /// The disk spool the queue spills to when it is full; none by default (hubs pause).
    #[serde(default)]
    pub spool: Option<SpoolConfig>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig { capacity: default_queue_capacity(), spool: None }
    }
}

/// The admin HTTP server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Listen address; `127.0.0.1:0` picks a free port.
    #[serde(default = "default_admin_listen")]
    pub listen: SocketAddr,
    /// Set to false to run without the admin server.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The subscriptions API (`/subscriptions`), off by default.
    #[serde(default)]
    pub api: AdminApiConfig,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            listen: default_admin_listen(),
            enabled: true,
            api: AdminApiConfig::default(),
        }
    }
}

/// Log format.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Pretty on a terminal, JSON otherwise.
    #[default]
    Auto,
    Json,
    Pretty,
}

/// Logging.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `auto`, `json` or `pretty`.
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `info,signalr_bridge=debug`; `RUST_LOG` wins.
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Auto, level: default_log_level() }
    }
}

/// Graceful shutdown.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// After SIGTERM, wait at most this long for the queue to drain and acks to arrive.
    #[serde(default = "default_grace")]
    pub grace_period_secs: u64,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig { grace_period_secs: default_grace() }
    }
}

/// The embedded simulator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Listen address of the simulated hub (loopback only).
    #[serde(default = "default_sim_listen")]
    pub listen: SocketAddr,
    /// Car patches per second across all cars.
    #[serde(default = "default_sim_rate")]
    pub rate_per_sec: u32,
    /// Cars in the simulated race.
    #[serde(default = "default_sim_cars")]
    pub cars: u32,
    /// The RedMist event id the simulator serves.
    #[serde(default = "default_sim_event")]
    pub event_id: i64,
    /// When set, clients must present this bearer token.
    #[serde(default)]
    pub required_token: Option<Secret>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            listen: default_sim_listen(),
            rate_per_sec: default_sim_rate(),
            cars: default_sim_cars(),
            event_id: default_sim_event(),
            required_token: None,
        }
    }
}

fn default_queue_capacity() -> usize {
    10_000
}
fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}
fn default_true() -> bool {
    true
}
fn default_log_level() -> String {
    "info".into()
}
fn default_grace() -> u64 {
    30
}
fn default_sim_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5080))
}
fn default_sim_rate() -> u32 {
    20
}
fn default_sim_cars() -> u32 {
    12
}
fn default_hpc_sim_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5081))
}
fn default_hpc_sim_rate() -> u32 {
    4
}
fn default_hpc_sim_tasks() -> u32 {
    2
}
fn default_hpc_sim_user() -> String {
    "hpcadmin".into()
}
fn default_hpc_sim_password() -> Secret {
    Secret::new("hpc-password")
}
fn default_sim_event() -> i64 {
    42
}

mod admin;
mod auth;
mod discovery;
mod enums;
mod error;
mod hub;
mod kafka;
mod kafka_props;
mod kafka_security;
mod limits;
mod load;
mod sink;
mod spool;

pub use admin::{AdminApiConfig, STATE_FILE_NAME};
pub use auth::{ClientAuth, OAuth2Config};
pub use discovery::DiscoveryConfig;
pub use error::ConfigError;
pub use hub::*;
pub use kafka::*;
pub use kafka_props::{is_secret_property, PropertyProblem};
pub use kafka_security::{KafkaSasl, KafkaTls, SaslMechanism};
pub use load::load;
pub use signalr_proto::core::protocol::HubProtocol;
pub use signalr_proto::Secret;
pub use sink::*;
pub use spool::{FsyncPolicy, SpoolConfig, WhenFull};

impl Config {
    /// Loads and validates a file plus the process environment; see [`load`].
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        load(Some(path), std::env::vars())
    }
}
