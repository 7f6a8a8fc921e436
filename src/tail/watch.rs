//! What happened to the connection between two looks at the hub's status: the notices `tail`
//! prints ("connected", "subscribed: …", "dropped: …, retrying in 2s"). Pure: the caller takes
//! the snapshots. Changes between two looks are inferred from counters and timestamps, so a
//! drop and reconnect quicker than one look still shows.

use std::time::Duration;

use time::OffsetDateTime;

use crate::status::HubView;
use crate::subs::LastResult;
use crate::telemetry::HubState;

/// One thing worth a line.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A connection attempt started.
    Connecting,
    /// A connection is up (`again` after an earlier one).
    Connected { connection: Option<String>, again: bool },
    /// A subscription's invocation succeeded.
    Subscribed { invocation: String },
    /// The server refused a subscription.
    SubscriptionFailed { invocation: String, error: String },
    /// Every subscription has answered: invocations flow from here on.
    Listening { subscriptions: usize },
    /// The connection failed or was lost.
    Dropped { reason: String, retry_in: Option<Duration> },
    /// The hub task ended.
    Stopped,
}

/// Remembers the last look at a hub's status.
#[derive(Debug)]
pub struct Watcher {
    last: Option<HubView>,
}

impl Default for Watcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Watcher {
    pub fn new() -> Watcher {
        Watcher { last: None }
    }

    /// What changed since the last look; `now` is the wall clock, for "retrying in".
    pub fn look(&mut self, view: HubView, now: OffsetDateTime) -> Vec<Notice> {
        let notices = match &self.last {
            None => first_look(&view, now),
            Some(before) => changes(before, &view, now),
        };
        self.last = Some(view);
        notices
    }
}

fn first_look(view: &HubView, now: OffsetDateTime) -> Vec<Notice> {
    let fresh = HubView {
        state: HubState::Connecting,
        connection: None,
        last_error: None,
        retry_at: None,
        connects: 0,
        subscriptions: Vec::new(),
        ..view.clone()
    };
    let mut out = vec![Notice::Connecting];
    out.extend(changes(&fresh, view, now));
    out
}

fn changes(before: &HubView, view: &HubView, now: OffsetDateTime) -> Vec<Notice> {
    use HubState::{Backoff, Connecting, Stopped, Subscribed};
    let mut out = Vec::new();
    let reconnected = view.connects > before.connects;
    // A new connection after one we saw up, with no drop seen in between: it went unseen.
    let unseen_drop =
        reconnected && before.connects > 0 && !matches!(before.state, Backoff | Connecting);
    let unseen_failure =
        view.last_error.is_some() && view.last_error != before.last_error && view.state != Backoff;
    if unseen_drop || unseen_failure {
        let reason = view.last_error.clone().unwrap_or_else(|| "connection lost".into());
        out.push(Notice::Dropped { reason, retry_in: None });
    }
    if reconnected {
        out.push(Notice::Connected {
            connection: view.connection.clone(),
            again: view.connects > 1,
        });
    }
    for sub in &view.subscriptions {
        let earlier = before.subscriptions.iter().find(|s| s.invocation == sub.invocation);
        let changed = earlier.is_none_or(|e| e.at != sub.at || e.last_result != sub.last_result);
        if !changed || sub.at.is_none() {
            continue;
        }
        match &sub.last_result {
            LastResult::Error(error) => {
                let invocation = sub.invocation.clone();
                out.push(Notice::SubscriptionFailed { invocation, error: error.clone() });
            }
            LastResult::Ok => out.push(Notice::Subscribed { invocation: sub.invocation.clone() }),
            LastResult::Pending | LastResult::Skipped(_) => {}
        }
    }
    let entered = view.state != before.state;
    match view.state {
        Connecting if entered => out.push(Notice::Connecting),
        Subscribed if entered || reconnected => {
            out.push(Notice::Listening { subscriptions: view.subscriptions.len() })
        }
        // A new retry time is a new failed attempt, even when the look missed the attempt.
        Backoff if entered || view.retry_at != before.retry_at => out.push(Notice::Dropped {
            reason: view.last_error.clone().unwrap_or_else(|| "no reason given".into()),
            retry_in: view.retry_at.map(|at| (at - now).try_into().unwrap_or(Duration::ZERO)),
        }),
        Stopped if entered => out.push(Notice::Stopped),
        _ => {}
    }
    out
}
