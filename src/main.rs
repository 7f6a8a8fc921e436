//! The `signalr-bridge` command: run the bridge, check a config, or watch one hub live
//! (`tail`). The simulator hubs run alone as `signalr-sim` (crates/signalr-sim).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use signalr_bridge::config::{Config, SinkKind, EXIT_CONFIG};

/// mimalloc instead of glibc's malloc: with events allocated on hub tasks and freed on the
/// publisher's thread, glibc spent about 30% of the bridge's CPU in malloc, free and arena
/// consolidation under load (perf, benches/compare), and its arenas held on to memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Bridges SignalR hubs into NATS, Kafka, files or stdout as CloudEvents."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connect to every configured hub and publish to the configured sink until SIGTERM.
    Run {
        /// The config file (YAML, TOML or JSON); `SIGNALR_BRIDGE__A__B` variables override it.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Validate a config and print it resolved, secrets redacted.
    CheckConfig {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Watch one hub live: its invocations decoded and normalized as the bridge would publish
    /// them, its connection state, errors and rate. Publishes nothing.
    Tail(Box<signalr_bridge::tail::TailArgs>),
}

/// Parses the command line. Every usage error, whatever the command, exits with `EX_USAGE`
/// (64); `--help` and `--version` exit 0.
fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            ExitCode::from(signalr_bridge::tail::EXIT_USAGE)
        } else {
            ExitCode::SUCCESS
        }
    })
}

fn load(path: &std::path::Path) -> Result<Config, ExitCode> {
    Config::from_file(path).map_err(|e| {
        eprintln!("signalr-bridge: {e}");
        ExitCode::from(EXIT_CONFIG as u8)
    })
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("signalr-bridge: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::CheckConfig { config } => match load(&config) {
            Ok(cfg) => {
                println!("{}", serde_json::to_string_pretty(&cfg).expect("config serializes"));
                eprintln!("signalr-bridge: {} is valid", config.display());
                if let Some(nats) =
                    cfg.sink.nats.as_ref().filter(|_| cfg.sink.kind == SinkKind::Nats)
                {
                    if let Some(warning) =
                        runtime.block_on(signalr_bridge::sink::probe::stream_window(nats))
                    {
                        eprintln!("signalr-bridge: warning: {warning}");
                    }
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run { config } => {
            let cfg = match load(&config) {
                Ok(cfg) => cfg,
                Err(code) => return code,
            };
            signalr_bridge::telemetry::init_logging(&cfg.log);
            match runtime.block_on(signalr_bridge::app::run(cfg)) {
                Ok(report) if report.lost > 0 => ExitCode::from(signalr_bridge::app::EXIT_LOST),
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "The bridge stopped with an error.");
                    // A sink no waiting can fix, or a spool another process holds, is a
                    // configuration problem: EX_CONFIG.
                    use signalr_bridge::spool::SpoolError;
                    let sink = e.downcast_ref::<signalr_bridge::sink::SinkError>();
                    let spool = e.downcast_ref::<SpoolError>();
                    if sink.is_some_and(|s| s.is_permanent())
                        || matches!(spool, Some(SpoolError::Locked { .. }))
                    {
                        ExitCode::from(EXIT_CONFIG as u8)
                    } else {
                        ExitCode::FAILURE
                    }
                }
            }
        }
        Command::Tail(args) => signalr_bridge::tail::command(*args, &runtime),
    }
}
