//! The one-line status footer: connection state, events per second, counts, reconnects; and
//! the sliding rate behind it. Pure: the caller passes clocks and counts.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::render::{clean, Paint, Style};
use crate::telemetry::HubState;

/// The rate is averaged over this long.
const WINDOW: Duration = Duration::from_secs(5);

/// Events per second over the last [`WINDOW`], from arrivals counted in 100 ms buckets.
#[derive(Debug)]
pub struct Rate {
    start: Instant,
    /// (bucket number since `start`, events in it), oldest first.
    buckets: VecDeque<(u64, u64)>,
}

impl Rate {
    pub fn new(start: Instant) -> Rate {
        Rate { start, buckets: VecDeque::new() }
    }

    fn bucket(&self, at: Instant) -> u64 {
        (at.saturating_duration_since(self.start).as_millis() / 100) as u64
    }

    /// `count` events arrived at `at`.
    pub fn add(&mut self, at: Instant, count: u64) {
        let bucket = self.bucket(at);
        match self.buckets.back_mut() {
            Some((last, n)) if *last == bucket => *n += count,
            _ => self.buckets.push_back((bucket, count)),
        }
    }

    /// Events per second over the window ending at `now` (over less right after the start).
    pub fn per_sec(&mut self, now: Instant) -> f64 {
        let window = (WINDOW.as_millis() / 100) as u64;
        let now_bucket = self.bucket(now);
        while self.buckets.front().is_some_and(|(b, _)| b + window <= now_bucket) {
            self.buckets.pop_front();
        }
        let total: u64 = self.buckets.iter().map(|(_, n)| n).sum();
        // The buckets the window spans so far (fewer right after the start), one second at least.
        let span = (now_bucket + 1).min(window) as f64 / 10.0;
        total as f64 / span.max(1.0)
    }
}

/// What the footer shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Footer<'a> {
    pub hub: &'a str,
    pub state: HubState,
    pub per_sec: f64,
    /// Events received, and how many passed the filters.
    pub received: u64,
    pub shown: u64,
    pub reconnects: u64,
    pub decode_errors: u64,
}

impl Footer<'_> {
    /// The footer, at most `width` characters wide (before colour codes).
    pub fn line(&self, style: Style, width: usize) -> String {
        let mut text = format!(
            " {} | {} | {:.1} events/s | ",
            clean(self.hub),
            self.state.as_str(),
            self.per_sec
        );
        if self.shown == self.received {
            let _ = write!(text, "{} events", self.received);
        } else {
            let _ = write!(text, "{} events, {} shown", self.received, self.shown);
        }
        let _ = write!(text, " | {} reconnects", self.reconnects);
        if self.decode_errors > 0 {
            let _ = write!(text, " | {} undecodable", self.decode_errors);
        }
        text.push_str(" | Ctrl-C quits ");
        let text: String = text.chars().take(width).collect();
        let mut out = String::with_capacity(text.len() + 12);
        let paint = match self.state {
            HubState::Subscribed | HubState::Connected => Paint::Footer,
            _ => Paint::Bad,
        };
        style.paint(&mut out, paint, &text);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_averages_over_the_window_and_forgets_older_arrivals() {
        let t0 = Instant::now();
        let mut rate = Rate::new(t0);
        assert_eq!(rate.per_sec(t0), 0.0);
        for i in 0..50 {
            rate.add(t0 + Duration::from_millis(i * 100), 2);
        }
        // 100 events over the first 5 s.
        assert!((rate.per_sec(t0 + Duration::from_millis(4950)) - 20.0).abs() < 1e-9);
        // 10 s later, nothing arrived in the window.
        assert_eq!(rate.per_sec(t0 + Duration::from_secs(15)), 0.0);
    }

    #[test]
    fn rate_right_after_the_start_divides_by_one_second_at_least() {
        let t0 = Instant::now();
        let mut rate = Rate::new(t0);
        rate.add(t0 + Duration::from_millis(10), 3);
        assert_eq!(rate.per_sec(t0 + Duration::from_millis(20)), 3.0);
    }

    fn footer() -> Footer<'static> {
        Footer {
            hub: "redmist",
            state: HubState::Subscribed,
            per_sec: 12.25,
            received: 40,
            shown: 40,
            reconnects: 1,
            decode_errors: 0,
        }
    }

    #[test]
    fn footer_line_plain_and_cut_to_width() {
        let plain = Style { color: false };
        assert_eq!(
            footer().line(plain, 200),
            " redmist | subscribed | 12.2 events/s | 40 events | 1 reconnects | Ctrl-C quits "
        );
        let filtered = Footer { shown: 3, decode_errors: 2, ..footer() }.line(plain, 200);
        assert!(filtered.contains("40 events, 3 shown") && filtered.contains("2 undecodable"));
        assert_eq!(footer().line(plain, 20).chars().count(), 20);
    }

    #[test]
    fn footer_line_colour_follows_state() {
        let colour = Style { color: true };
        assert!(footer().line(colour, 200).starts_with("\x1b[7m"));
        let down = Footer { state: HubState::Backoff, ..footer() };
        assert!(down.line(colour, 200).starts_with("\x1b[1;31m"));
    }
}
