//! How `tail` lines look: one event or one notice per line, coloured when asked. Pure: text
//! in, text out. Everything that came from the hub is cleaned of control characters first, so
//! a hub cannot move the cursor or recolour the operator's terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

use time::OffsetDateTime;

use super::watch::Notice;
use crate::event::Event;
use crate::profile::origin;

/// Human data is cut after this many characters; `--json` prints it whole.
const MAX_DATA_CHARS: usize = 1000;

/// What a piece of a line is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Dim,
    Target,
    Subject,
    Good,
    Warn,
    Bad,
    Footer,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Dim => "\x1b[2m",
            Paint::Target => "\x1b[1;36m",
            Paint::Subject => "\x1b[32m",
            Paint::Good => "\x1b[1;32m",
            Paint::Warn => "\x1b[1;33m",
            Paint::Bad => "\x1b[1;31m",
            Paint::Footer => "\x1b[7m",
        }
    }
}

/// Colour on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Appends `text`, coloured when colour is on.
    pub fn paint(&self, out: &mut String, paint: Paint, text: &str) {
        if self.color {
            out.push_str(paint.code());
            out.push_str(text);
            out.push_str("\x1b[0m");
        } else {
            out.push_str(text);
        }
    }
}

/// `text` with control characters (escape sequences' start included) shown as `?`.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(text.chars().map(|c| if c.is_control() { '?' } else { c }).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// `10:00:01.234Z`: the clock is enough on a live screen.
fn clock(out: &mut String, time: OffsetDateTime) {
    let t = time.to_offset(time::UtcOffset::UTC);
    let _ =
        write!(out, "{:02}:{:02}:{:02}.{:03}Z ", t.hour(), t.minute(), t.second(), t.millisecond());
}

/// One event for people: clock, hub method, subject, then the normalized data.
pub fn event_line(style: Style, event: &Event) -> String {
    let mut out = String::with_capacity(96 + event.data.get().len().min(MAX_DATA_CHARS));
    let mut dim = String::new();
    clock(&mut dim, event.time);
    style.paint(&mut out, Paint::Dim, &dim);
    let origin = origin(event);
    let target = origin.as_ref().map_or("?", |o| o.as_str());
    style.paint(&mut out, Paint::Target, &clean(target));
    out.push(' ');
    style.paint(&mut out, Paint::Subject, &clean(&event.subject));
    out.push(' ');
    // JSON escapes every control character, so the data needs no cleaning.
    let data = event.data.get();
    match data.char_indices().nth(MAX_DATA_CHARS) {
        None => out.push_str(data),
        Some((cut, _)) => {
            out.push_str(&data[..cut]);
            style.paint(&mut out, Paint::Dim, &format!("… ({} bytes)", data.len()));
        }
    }
    out
}

/// One notice: clock, `--`, what happened.
pub fn notice_line(style: Style, at: OffsetDateTime, notice: &Notice) -> String {
    let (paint, text) = match notice {
        Notice::Connecting => (Paint::Warn, "connecting".to_owned()),
        Notice::Connected { connection, again } => {
            let verb = if *again { "reconnected" } else { "connected" };
            match connection {
                Some(id) => (Paint::Good, format!("{verb} (connection {})", clean(id))),
                None => (Paint::Good, verb.to_owned()),
            }
        }
        Notice::Subscribed { invocation } => {
            (Paint::Good, format!("subscribed: {}", clean(invocation)))
        }
        Notice::SubscriptionFailed { invocation, error } => {
            (Paint::Bad, format!("subscription refused: {}: {}", clean(invocation), clean(error)))
        }
        Notice::Listening { subscriptions: 0 } => {
            (Paint::Good, "listening (no subscriptions); waiting for invocations".to_owned())
        }
        Notice::Listening { subscriptions } => {
            (Paint::Good, format!("listening ({subscriptions} subscriptions answered)"))
        }
        Notice::Dropped { reason, retry_in } => {
            let mut text = format!("dropped: {}", clean(reason));
            if let Some(wait) = retry_in {
                let _ = write!(text, ", retrying in {:.1}s", wait.as_secs_f64());
            }
            (Paint::Bad, text)
        }
        Notice::Stopped => (Paint::Warn, "stopped".to_owned()),
    };
    info_line(style, at, paint, &text)
}

/// A line in the notice layout with a given colour (logs and the header use it too).
pub fn info_line(style: Style, at: OffsetDateTime, paint: Paint, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 24);
    let mut dim = String::new();
    clock(&mut dim, at);
    dim.push_str("-- ");
    style.paint(&mut out, Paint::Dim, &dim);
    style.paint(&mut out, paint, &clean(text));
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::value::RawValue;

    use super::*;
    use crate::event::{EventType, WireId};

    const PLAIN: Style = Style { color: false };
    const COLOUR: Style = Style { color: true };

    fn car(subject: &str, data: &str) -> Event {
        Event {
            id: WireId { connection: "c".into(), record: 1 }.event_id(0),
            source: "http://h/".into(),
            hub: "h".into(),
            kind: EventType::RedMistCarPatched,
            subject: subject.into(),
            time: time::macros::datetime!(2026-05-01 10:00:01.234 UTC),
            partition_key: "k".into(),
            data: RawValue::from_string(data.into()).unwrap(),
        }
    }

    #[test]
    fn event_line_plain_shows_clock_target_subject_data() {
        let line = event_line(PLAIN, &car("events/42/cars/7", r#"{"number":"7"}"#));
        assert_eq!(line, r#"10:00:01.234Z ReceiveCarPatches events/42/cars/7 {"number":"7"}"#);
    }

    #[test]
    fn event_line_colour_only_when_asked() {
        let coloured = event_line(COLOUR, &car("events/42/cars/7", "{}"));
        assert!(coloured.contains("\x1b[1;36mReceiveCarPatches\x1b[0m"), "{coloured:?}");
        assert!(!event_line(PLAIN, &car("events/42/cars/7", "{}")).contains('\x1b'));
    }

    #[test]
    fn event_line_cleans_control_characters_from_hub_text() {
        let line = event_line(PLAIN, &car("events/42/cars/\x1b[2J7\n", r#"{"a":"\u001b"}"#));
        assert!(!line.contains('\x1b') && !line.contains('\n'), "{line:?}");
        assert!(line.contains("events/42/cars/?[2J7?"), "{line:?}");
    }

    #[test]
    fn event_line_cuts_long_data_at_a_char_boundary() {
        let data = format!(r#"{{"a":"{}"}}"#, "é".repeat(2000));
        let line = event_line(PLAIN, &car("s", &data));
        assert!(
            line.ends_with(&format!("… ({} bytes)", data.len())),
            "{}",
            &line[line.len() - 40..]
        );
        assert!(line.chars().count() < MAX_DATA_CHARS + 80);
    }

    #[test]
    fn notice_line_texts() {
        let at = time::macros::datetime!(2026-05-01 10:00:02 UTC);
        let cases = [
            (Notice::Connecting, "connecting"),
            (
                Notice::Connected { connection: Some("ab".into()), again: false },
                "connected (connection ab)",
            ),
            (Notice::Connected { connection: None, again: true }, "reconnected"),
            (
                Notice::Subscribed { invocation: "BeginListen(42)".into() },
                "subscribed: BeginListen(42)",
            ),
            (
                Notice::SubscriptionFailed {
                    invocation: "X(1 argument(s))".into(),
                    error: "no".into(),
                },
                "subscription refused: X(1 argument(s)): no",
            ),
            (
                Notice::Dropped {
                    reason: "timeout".into(),
                    retry_in: Some(Duration::from_millis(2000)),
                },
                "dropped: timeout, retrying in 2.0s",
            ),
            (Notice::Dropped { reason: "gone".into(), retry_in: None }, "dropped: gone"),
            (Notice::Stopped, "stopped"),
        ];
        for (notice, text) in cases {
            assert_eq!(notice_line(PLAIN, at, &notice), format!("10:00:02.000Z -- {text}"));
        }
    }
}
