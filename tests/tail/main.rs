//! `signalr-bridge tail` as operators run it: the real binary against the built-in simulators
//! (RedMist-like ASP.NET Core hub, classic HPC Pack hub), in a tmux pseudo-terminal (decoded
//! invocations, connection notices, the footer, colour, no secret on screen) and in a plain
//! pipe (`--json` lines, filters, no colour), plus its usage errors.

mod pane;
mod pipe;
mod tty;

use std::time::Duration;

use signalr_sim::classic::{ClassicSimulator, ClassicSimulatorConfig};
use signalr_sim::SimulatorConfig;
use signalr_sim::{SimOptions, Simulator};

pub const BIN: &str = env!("CARGO_BIN_EXE_signalr-bridge");

/// The RedMist-like hub, 50 car updates a second, asking for `token` when given.
pub async fn redmist(token: Option<&str>) -> Simulator {
    let config = SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 50,
        cars: 6,
        event_id: 42,
        required_token: token.map(signalr_bridge::config::Secret::new),
    };
    Simulator::start_with(config, SimOptions::default()).await.unwrap()
}

/// The classic HPC Pack hub, its jobs driven by the test (HTTP Basic `hpcadmin`, `password`).
pub async fn hpc(password: &str) -> ClassicSimulator {
    ClassicSimulator::start(ClassicSimulatorConfig {
        password: password.to_owned(),
        rate_per_sec: 0,
        keep_alive: Duration::from_secs(2),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// `tail` flags for the RedMist hub of `sim`.
pub fn redmist_args(sim: &Simulator) -> Vec<String> {
    let url = sim.hub_url().to_string();
    ["tail", "--url", &url, "--profile", "redmist", "--event-id", "42", "--skip-negotiation"]
        .map(str::to_owned)
        .to_vec()
}

/// `args` after the binary, as a command line for the pane.
pub fn command(args: &[String]) -> Vec<String> {
    std::iter::once(BIN.to_owned()).chain(args.iter().cloned()).collect()
}
