//! `signalr-bridge tail`: watch one hub live in the terminal. The hub runs exactly as in the
//! bridge (the same hub task, reconnect loop and profile, into the same bounded queue); where
//! the bridge has a publisher, `tail` has a printer that reads the queue, filters, and writes
//! events, connection notices (from the hub's status) and logs, under a status footer.
//! It publishes nothing and serves no admin port.

mod args;
#[cfg(test)]
mod args_tests;
mod call;
mod filter;
mod footer;
mod logs;
mod redact;
mod render;
mod screen;
mod watch;
#[cfg(test)]
mod watch_tests;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use signalr_sim::{classic::ClassicSimulator, Simulator};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use crate::config::{shown_url, Config, HubConfig};
use crate::queue;
use crate::signalr::{run_hub, transport::SetupError, Hub};
use crate::status::HubStatus;
use crate::telemetry::Metrics;

pub use args::{ColorArg, HubArgs, ShowArgs, TailArgs, UsageError, EXIT_USAGE};
pub use call::{parse_call, CallError};
pub use filter::Filter;
pub use redact::Redactor;
pub use watch::{Notice, Watcher};

use footer::{Footer, Rate};
use logs::LogLine;
use render::{info_line, notice_line, Paint};
use screen::{Mode, Screen};

/// Events the hub may read ahead of the printer; then it waits (backpressure, as in the bridge).
const QUEUE_CAPACITY: usize = 1024;
/// How often the hub's status is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// The footer is redrawn every this many looks (and at once on a notice).
const FOOTER_EVERY: u32 = 5;
/// Events printed per flush, so a fast hub does not starve the status look.
const BATCH: usize = 256;

/// Why `tail` could not run.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error("setting up the hub connection: {0}")]
    Setup(#[from] SetupError),
    #[error("starting the embedded simulator on {addr}: {source}")]
    Simulator { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("installing the signal handlers: {0}")]
    Signals(std::io::Error),
}

/// Runs the command; the exit code says how it went.
pub fn command(args: TailArgs, runtime: &tokio::runtime::Runtime) -> ExitCode {
    let (hub, config) = match args.hub.resolve(&|var| std::env::var(var).ok()) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("signalr-bridge tail: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let mode = Mode::detect(args.show.json, args.show.color);
    let logs = logs::capture(args.show.verbose);
    match runtime.block_on(run(hub, config, &args.show, mode, logs)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("signalr-bridge tail: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The counts behind the footer.
struct Counts {
    received: u64,
    shown: u64,
    rate: Rate,
}

async fn run(
    config: HubConfig,
    file: Option<Config>,
    show: &ShowArgs,
    mode: Mode,
    mut logs: tokio::sync::mpsc::Receiver<LogLine>,
) -> Result<(), TailError> {
    let style = mode.style;
    let mut screen = Screen::new(mode, Redactor::for_hub(&config));
    let _simulators = start_simulators(file.as_ref(), &config, &mut screen).await?;
    screen.info(&info_line(style, now(), Paint::Dim, &header(&config)));
    let metrics = Arc::new(Metrics::new());
    let status = Arc::new(HubStatus::new(config.name.clone()));
    let stop = CancellationToken::new();
    let (tx, mut rx) = queue::channel(QUEUE_CAPACITY, None);
    let hub = Arc::new(Hub::new(
        config,
        tx,
        metrics.clone(),
        status.clone(),
        stop.clone(),
        &Default::default(),
    )?);
    let name = hub.spec.name.clone();
    let task = tokio::spawn(run_hub(hub, stop.clone()));
    let filter = Filter::new(&show.targets, &show.subjects);
    let mut watcher = Watcher::new();
    let mut counts = Counts { received: 0, shown: 0, rate: Rate::new(Instant::now()) };
    let mut look = tokio::time::interval(LOOK_EVERY);
    let mut looks: u32 = 0;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(TailError::Signals)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(TailError::Signals)?;
    let mut done = false;
    while !done {
        tokio::select! {
            next = rx.recv() => {
                let Some(first) = next else { break };
                // Notices first: what happened to the connection came before these events.
                look_at(&mut watcher, &status, &mut screen);
                let mut event = Some(first);
                for _ in 0..BATCH {
                    let Some(next) = event.take() else { break };
                    counts.received += 1;
                    counts.rate.add(Instant::now(), 1);
                    if filter.shows(&next.event) {
                        screen.event(&next.event);
                        counts.shown += 1;
                        if show.max_events.is_some_and(|max| counts.shown >= max) {
                            done = true;
                            break;
                        }
                    }
                    event = rx.try_recv();
                }
            }
            Some(line) = logs.recv() => screen.info(&log_line(style, &line)),
            _ = look.tick() => {
                let noticed = look_at(&mut watcher, &status, &mut screen);
                looks = looks.wrapping_add(1);
                if mode.tty && (noticed || looks % FOOTER_EVERY == 1) {
                    let state = status.snapshot().state;
                    let footer = Footer {
                        hub: &name,
                        state,
                        per_sec: counts.rate.per_sec(Instant::now()),
                        received: counts.received,
                        shown: counts.shown,
                        reconnects: metrics.counter_value("reconnects_total", &[("hub", &name)]),
                        decode_errors: metrics
                            .counter_value("decode_errors_total", &[("hub", &name)]),
                    };
                    screen.footer(footer.line(style, screen.width().saturating_sub(1)));
                }
            }
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
        }
        if screen.flush().is_err() {
            // stdout is gone (the reader of the pipe quit): nothing left to show.
            break;
        }
    }
    stop.cancel();
    let _ = task.await;
    let _ = screen.finish();
    Ok(())
}

/// Prints what changed in the hub's status since the last look; true when anything did.
fn look_at(watcher: &mut Watcher, status: &HubStatus, screen: &mut Screen) -> bool {
    let notices = watcher.look(status.snapshot(), now());
    for notice in &notices {
        screen.info(&notice_line(screen.mode().style, now(), notice));
    }
    !notices.is_empty()
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn log_line(style: render::Style, line: &LogLine) -> String {
    let (paint, level) = match line.level {
        tracing::Level::ERROR => (Paint::Bad, "error"),
        tracing::Level::WARN => (Paint::Warn, "warning"),
        _ => (Paint::Dim, "log"),
    };
    info_line(style, now(), paint, &format!("{level}: {}", line.text))
}

/// A config value's name as the config file spells it.
fn spelled(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The first line: which hub, where, how (the URL with its secrets hidden).
fn header(hub: &HubConfig) -> String {
    let mut how = vec![spelled(hub.dialect), spelled(hub.profile)];
    if hub.dialect == crate::config::Dialect::Core {
        how.push(spelled(hub.protocol));
    }
    format!("watching hub `{}` at {} ({})", hub.name, shown_url(&hub.url), how.join(", "))
}

/// The config's embedded simulators that `hub` connects to, started here as `run` would; one
/// whose port is taken is assumed to be running already (a bridge on the same config).
async fn start_simulators(
    file: Option<&Config>,
    hub: &HubConfig,
    screen: &mut Screen,
) -> Result<(Option<Simulator>, Option<ClassicSimulator>), TailError> {
    let style = screen.mode().style;
    let aims_at = |addr: std::net::SocketAddr| hub.url.port_or_known_default() == Some(addr.port());
    let mut started = (None, None);
    let taken = |e: &std::io::Error| e.kind() == std::io::ErrorKind::AddrInUse;
    let note = |screen: &mut Screen, addr| {
        let text = format!("a simulator already listens on {addr}; using it");
        screen.info(&info_line(style, now(), Paint::Dim, &text));
    };
    if let Some(sim) = file.and_then(|c| c.simulator.clone()).filter(|s| aims_at(s.listen)) {
        let addr = sim.listen;
        match Simulator::start(crate::app::redmist_sim(&sim)).await {
            Ok(s) => started.0 = Some(s),
            Err(e) if taken(&e) => note(screen, addr),
            Err(source) => return Err(TailError::Simulator { addr, source }),
        }
    }
    if let Some(sim) = file.and_then(|c| c.hpc_simulator.as_ref()).filter(|s| aims_at(s.listen)) {
        let addr = sim.listen;
        match ClassicSimulator::start(crate::app::classic_sim(sim)).await {
            Ok(s) => started.1 = Some(s),
            Err(e) if taken(&e) => note(screen, addr),
            Err(source) => return Err(TailError::Simulator { addr, source }),
        }
    }
    Ok(started)
}
