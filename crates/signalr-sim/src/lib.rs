//! SignalR hubs to test against: the server side of ASP.NET Core SignalR (JSON and MessagePack
//! hub protocols over WebSockets) with RedMist's `StatusHub` personality, and of classic ASP.NET
//! SignalR 2.x with HPC Pack's (`classic`), for the bridge's demo, tests and benchmarks. A
//! library, and the `signalr-sim` binary that runs both for clients in other processes.
//!
//! The fault-injection controls (`/_sim/*`, and the [`SimControl`] methods that drop, silence,
//! close, forget, refuse or inject) exist only with the `faults` cargo feature, which tests and
//! benchmarks enable and the bridge's own build does not.
//!
//! - `server`: HTTP routes (negotiate, upgrade, REST snapshot, bearer checks); `events`: the
//!   public live events listing.
//! - `connection`: one task per socket (handshake, records, pings, control commands).
//! - `frame` / `hub`: pure framing (JSON; MessagePack in `frame::msgpack`, with RedMist payloads
//!   as positional arrays from `race::positional`) and hub-method binding.
//! - `state`: shared state and the group fan-out; `control`: [`SimControl`]; `faults` (the
//!   `faults` feature): drops, silences, closes, injections, refusals, and `/_sim/*`.
//! - `access` / `oauth`: negotiate redirects, token checks and the OAuth2 token endpoint;
//!   `tokens`: negotiated connection tokens, and the stateful connections they resume.
//! - `race`: the race model that yields the invocations (not the transport); `feed`: its car
//!   patches pre-rendered and stamped, sent as fast as subscribers read (benchmarks).
//! - `classic`: the classic ASP.NET SignalR 2.x simulator with HPC Pack's personality.

// Without the `faults` feature the machinery behind the fault controls (connection commands,
// drop and silence switches) stays compiled but has no entry point. Dead code is checked in the
// build with the feature, which is the one CI lints.
#![forbid(unsafe_code)]
#![cfg_attr(not(feature = "faults"), allow(dead_code))]

mod access;
pub mod classic;
mod connection;
mod control;
mod events;
#[cfg(feature = "faults")]
mod faults;
pub mod feed;
mod frame;
mod hub;
mod oauth;
pub mod race;
mod server;
mod state;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use signalr_proto::Secret;
use tokio::net::TcpListener;
use tokio_util::sync::DropGuard;

pub use access::{OAuthClient, Redirect};
pub use control::{FeedRun, SimControl};
pub use events::{LiveEvent, LIVE_EVENTS_PATH};
use state::Shared;

/// What the RedMist simulator serves: where, how fast, and to whom.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Listen address of the simulated hub (port 0 picks one).
    pub listen: SocketAddr,
    /// Car patches per second across all cars (0: no ticker; tests broadcast through
    /// [`SimControl`]).
    pub rate_per_sec: u32,
    /// Cars in the simulated race.
    pub cars: u32,
    /// The RedMist event id the simulator serves.
    pub event_id: i64,
    /// When set, clients must present this bearer token.
    pub required_token: Option<Secret>,
}

impl Default for SimulatorConfig {
    /// 127.0.0.1:5080, 20 patches a second, 12 cars, event 42, no token: the bridge's demo.
    fn default() -> Self {
        SimulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 5080)),
            rate_per_sec: 20,
            cars: 12,
            event_id: 42,
            required_token: None,
        }
    }
}

/// The hub path (RedMist serves `/event-status` under a `/status` path base).
pub const HUB_PATH: &str = "/status/event-status";
/// The RedMist REST snapshot path.
pub const SNAPSHOT_PATH: &str = "/status/v2/Events/GetCurrentSessionStateJson";

/// Clocks and limits; the defaults are ASP.NET Core's. Tests shorten them.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// A Ping goes out after this long without sending anything.
    pub keep_alive: Duration,
    /// A client silent this long after its first Ping is dropped.
    pub client_timeout: Duration,
    /// A client that has not completed its handshake record by then gets an error and a close.
    pub handshake_timeout: Duration,
    /// A negotiated token not used by a WebSocket within this is forgotten (then 404).
    pub negotiate_token_ttl: Duration,
    /// Records queued per connection before broadcasting waits for it.
    pub queue_capacity: usize,
    /// A connection whose queue stays full this long is dropped.
    pub slow_client_timeout: Duration,
    /// Seed of the race model.
    pub seed: u64,
    /// Agree to stateful reconnect when a client asks in negotiate (.NET 8+
    /// `AllowStatefulReconnects`); a dropped transport may then be resumed within
    /// `negotiate_token_ttl` (the server's `DisconnectTimeout`).
    pub stateful_reconnect: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            keep_alive: Duration::from_secs(15),
            client_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(15),
            negotiate_token_ttl: Duration::from_secs(15),
            queue_capacity: 1024,
            slow_client_timeout: Duration::from_secs(10),
            seed: 1,
            stateful_reconnect: true,
        }
    }
}

/// A running simulator; dropping it stops the server, the ticker and every connection.
pub struct Simulator {
    pub addr: SocketAddr,
    control: SimControl,
    _stop: DropGuard,
}

impl Simulator {
    /// Starts with ASP.NET Core's default clocks.
    pub async fn start(config: SimulatorConfig) -> std::io::Result<Simulator> {
        Simulator::start_with(config, SimOptions::default()).await
    }

    /// Binds `config.listen` (port 0 picks one), serves, and ticks the race at
    /// `config.rate_per_sec` (0: no ticker; tests broadcast through [`SimControl`]).
    pub async fn start_with(
        config: SimulatorConfig,
        options: SimOptions,
    ) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, options));
        let cancel = shared.cancel.clone();
        let app = server::router(shared.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                result = axum::serve(server::no_delay(listener), app) => {
                    if let Err(error) = result {
                        tracing::error!(%error, "Simulator server stopped.");
                    }
                }
            }
        });
        if shared.config.rate_per_sec > 0 {
            tokio::spawn(tick(shared.clone()));
        }
        let base = url::Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?;
        tracing::info!(%addr, "Simulator listening.");
        let stop = shared.cancel.clone().drop_guard();
        Ok(Simulator { addr, control: SimControl { shared, base }, _stop: stop })
    }

    /// `http://<addr>/status/event-status`.
    pub fn hub_url(&self) -> url::Url {
        self.control.hub_url()
    }

    /// `http://<addr>/status/v2/Events/GetCurrentSessionStateJson?eventId=<event>`.
    pub fn snapshot_url(&self) -> url::Url {
        self.control.snapshot_url()
    }

    pub fn control(&self) -> SimControl {
        self.control.clone()
    }
}

/// Advances the race `rate_per_sec` times a second and broadcasts what each tick yields.
/// Timers resolve to about a millisecond, so each wake runs every tick that is due; a full
/// client queue slows the ticker down, and it never catches up more than a second's worth.
async fn tick(shared: Arc<Shared>) {
    let rate = u64::from(shared.config.rate_per_sec);
    let period = Duration::from_secs_f64(1.0 / rate as f64).max(Duration::from_millis(1));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    let mut done: u64 = 0;
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = interval.tick() => {}
        }
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        done = done.max(due.saturating_sub(rate));
        while done < due {
            done += 1;
            let invocations = shared.with_race(|race| race.tick());
            for invocation in &invocations {
                shared.broadcast(invocation).await;
            }
        }
    }
}
