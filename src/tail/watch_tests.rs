//! Unit tests of [`Watcher`]: status snapshots in, notices out.

use std::time::Duration;

use time::macros::datetime;
use time::OffsetDateTime;

use super::watch::{Notice, Watcher};
use crate::status::{HubView, SubscriptionView};
use crate::subs::LastResult;
use crate::telemetry::HubState;

const T0: OffsetDateTime = datetime!(2026-05-01 10:00:00 UTC);

fn view(state: HubState) -> HubView {
    HubView {
        name: "h".into(),
        state,
        connection: None,
        last_message_at: None,
        last_error: None,
        retry_at: None,
        connects: 0,
        subscriptions: vec![SubscriptionView {
            invocation: "BeginListen(42)".into(),
            last_result: LastResult::Pending,
            at: None,
        }],
        dynamic: Vec::new(),
    }
}

fn connected(connects: u64) -> HubView {
    HubView { connects, connection: Some(format!("c{connects}")), ..view(HubState::Connected) }
}

fn subscribed(connects: u64, at: OffsetDateTime, result: LastResult) -> HubView {
    let mut v = HubView { state: HubState::Subscribed, ..connected(connects) };
    v.subscriptions[0].last_result = result;
    v.subscriptions[0].at = Some(at);
    v
}

fn backoff(connects: u64, error: &str, retry_at: OffsetDateTime) -> HubView {
    HubView {
        last_error: Some(error.into()),
        retry_at: Some(retry_at),
        connects,
        ..view(HubState::Backoff)
    }
}

#[test]
fn look_follows_a_clean_start() {
    let mut w = Watcher::new();
    assert_eq!(w.look(view(HubState::Connecting), T0), [Notice::Connecting]);
    assert_eq!(
        w.look(connected(1), T0),
        [Notice::Connected { connection: Some("c1".into()), again: false }]
    );
    assert_eq!(
        w.look(subscribed(1, T0, LastResult::Ok), T0),
        [
            Notice::Subscribed { invocation: "BeginListen(42)".into() },
            Notice::Listening { subscriptions: 1 }
        ]
    );
    assert_eq!(w.look(subscribed(1, T0, LastResult::Ok), T0), []);
}

#[test]
fn look_reports_a_refused_subscription() {
    let mut w = Watcher::new();
    w.look(connected(1), T0);
    let notices = w.look(subscribed(1, T0, LastResult::Error("no such job".into())), T0);
    assert_eq!(
        notices[0],
        Notice::SubscriptionFailed {
            invocation: "BeginListen(42)".into(),
            error: "no such job".into()
        }
    );
}

#[test]
fn look_reports_drop_with_retry_and_each_failed_attempt() {
    let mut w = Watcher::new();
    w.look(subscribed(1, T0, LastResult::Ok), T0);
    let retry = T0 + Duration::from_secs(2);
    assert_eq!(
        w.look(backoff(1, "connection reset", retry), T0),
        [Notice::Dropped {
            reason: "connection reset".into(),
            retry_in: Some(Duration::from_secs(2))
        }]
    );
    // The next attempt failed between two looks: a new retry time says so.
    let later = retry + Duration::from_secs(4);
    assert_eq!(
        w.look(backoff(1, "connection reset", later), retry),
        [Notice::Dropped {
            reason: "connection reset".into(),
            retry_in: Some(Duration::from_secs(4))
        }]
    );
    assert_eq!(w.look(view(HubState::Connecting), later), [Notice::Connecting]);
    let at = later + Duration::from_secs(1);
    let notices = w.look(subscribed(2, at, LastResult::Ok), at);
    assert_eq!(notices[0], Notice::Connected { connection: Some("c2".into()), again: true });
    assert!(notices.contains(&Notice::Subscribed { invocation: "BeginListen(42)".into() }));
}

#[test]
fn look_infers_a_drop_and_reconnect_it_did_not_see() {
    let mut w = Watcher::new();
    w.look(subscribed(1, T0, LastResult::Ok), T0);
    let at = T0 + Duration::from_secs(1);
    let notices = w.look(subscribed(2, at, LastResult::Ok), at);
    assert!(matches!(&notices[0], Notice::Dropped { retry_in: None, .. }), "{notices:?}");
    assert_eq!(notices[1], Notice::Connected { connection: Some("c2".into()), again: true });
    assert!(notices.contains(&Notice::Listening { subscriptions: 1 }), "{notices:?}");
}

#[test]
fn look_first_seen_in_backoff_and_stopped() {
    let mut w = Watcher::new();
    let notices = w.look(backoff(0, "refused", T0), T0);
    assert_eq!(notices[0], Notice::Connecting);
    assert!(matches!(&notices[1], Notice::Dropped { reason, .. } if reason == "refused"));
    assert_eq!(w.look(view(HubState::Stopped), T0), [Notice::Stopped]);
}
