//! The bridge's logs while `tail` runs: they go to the screen as lines between the events (one
//! writer keeps the footer whole), not to stderr. Warnings and errors always; INFO with
//! `--verbose`; `RUST_LOG` overrides both.

use std::fmt::{self, Write as _};

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Log lines kept for the screen while it is busy; more are dropped (the screen is for
/// watching, the metrics keep the counts).
const BACKLOG: usize = 256;

/// One log event, formatted: `message key=value ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: Level,
    pub text: String,
}

/// Targets whose warnings repeat what the connection notices already say ("dropped: …",
/// "subscription refused: …"); shown with `--verbose` only.
const SAID_BY_NOTICES: [&str; 2] = ["signalr_bridge::signalr", "signalr_bridge::signalr::dispatch"];

struct ToScreen {
    tx: mpsc::Sender<LogLine>,
    verbose: bool,
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for ToScreen {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !self.verbose && *meta.level() == Level::WARN && SAID_BY_NOTICES.contains(&meta.target())
        {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        fields.message.push_str(&fields.rest);
        let _ = self.tx.try_send(LogLine { level: *meta.level(), text: fields.message });
    }
}

/// Routes the process's logs to the returned receiver. Call once, before the hub starts; a
/// second call (tests) keeps the first subscriber and gets a receiver that stays empty.
pub fn capture(verbose: bool) -> mpsc::Receiver<LogLine> {
    let (tx, rx) = mpsc::channel(BACKLOG);
    let default = if verbose { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::registry().with(filter).with(ToScreen { tx, verbose }).try_init();
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_formats_message_then_fields_and_skips_what_notices_say() {
        let (tx, mut rx) = mpsc::channel(8);
        let subscriber = tracing_subscriber::registry().with(ToScreen { tx, verbose: false });
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(hub = "h", reason = "json", "Hub input could not be decoded; skipped.");
            tracing::warn!(target: "signalr_bridge::signalr", "Hub connection lost.");
            tracing::error!(target: "signalr_bridge::signalr", "Hub refused our credentials.");
        });
        let first = rx.try_recv().unwrap();
        assert_eq!(first.level, Level::WARN);
        assert_eq!(first.text, "Hub input could not be decoded; skipped. hub=h reason=json");
        assert_eq!(rx.try_recv().unwrap().text, "Hub refused our credentials.");
        assert!(rx.try_recv().is_err());
    }
}
