//! `signalr-sim`: the simulator hubs on their own, for clients in other processes (the official
//! JavaScript clients, other languages, a bridge under test). Built with the `faults` feature,
//! so its `/_sim/*` routes can drop, silence, close or inject:
//!
//!     cargo run -p signalr-sim --features faults -- --listen 127.0.0.1:5080 --hpc-listen 127.0.0.1:5081

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use signalr_proto::Secret;
use signalr_sim::classic::{ClassicSimulator, ClassicSimulatorConfig};
use signalr_sim::{Simulator, SimulatorConfig};

/// Runs the RedMist simulator hub (ASP.NET Core SignalR) and, when asked, the classic HPC Pack
/// one, until Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "signalr-sim", version)]
struct Args {
    /// Listen address of the RedMist hub (loopback).
    #[arg(long, default_value = "127.0.0.1:5080")]
    listen: SocketAddr,
    /// Car updates per second.
    #[arg(long, default_value_t = 20)]
    rate: u32,
    /// Cars in the race.
    #[arg(long, default_value_t = 12)]
    cars: u32,
    /// The RedMist event id served.
    #[arg(long, default_value_t = 42)]
    event_id: i64,
    /// Require this bearer token (read from the environment, never from argv).
    #[arg(long, env = "SIGNALR_SIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Also run the classic HPC Pack simulator here (`http://ADDR/hpc`, user `hpcadmin`,
    /// password `hpc-password`).
    #[arg(long)]
    hpc_listen: Option<SocketAddr>,
    /// Steps per second of the HPC Pack job model.
    #[arg(long, default_value_t = 4)]
    hpc_rate: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("signalr-sim: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let hpc = match args.hpc_listen {
        Some(listen) => {
            let config = ClassicSimulatorConfig {
                listen,
                rate_per_sec: args.hpc_rate,
                ..Default::default()
            };
            match ClassicSimulator::start(config).await {
                Ok(s) => {
                    tracing::info!(url = %s.base_url(), "HPC Pack simulator listening.");
                    Some(s)
                }
                Err(e) => {
                    eprintln!("signalr-sim: cannot start the HPC simulator on {listen}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };
    let config = SimulatorConfig {
        listen: args.listen,
        rate_per_sec: args.rate,
        cars: args.cars,
        event_id: args.event_id,
        required_token: args.token.map(Secret::new),
    };
    match Simulator::start(config).await {
        Ok(s) => {
            tracing::info!(url = %s.hub_url(), "Simulator hub listening; Ctrl-C stops it.");
            let _keep = (&s, &hpc);
            let _ = tokio::signal::ctrl_c().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signalr-sim: cannot start the simulator on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}
