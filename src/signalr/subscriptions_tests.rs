use std::sync::Arc;

use super::*;
use crate::status::HubStatus;
use crate::subs::Origin;
use crate::telemetry::Metrics;

/// Only what subscriptions use of a hub: no queue, no transport, no credentials.
struct Parts {
    spec: Spec,
    report: Report,
    dynamic: crate::subs::Set,
}

impl Parts {
    fn subscriptions(
        &self,
        configured: impl IntoIterator<Item = usize>,
        listen: impl Fn(&Target) -> bool,
    ) -> Subscriptions {
        Subscriptions::with(&self.spec, &self.report, &self.dynamic, configured, listen)
    }

    fn all(&self) -> Subscriptions {
        self.subscriptions(0..self.spec.subscriptions.len(), |_| true)
    }
}

fn hub(config: serde_json::Value) -> Parts {
    let spec = Spec::new(serde_json::from_value(config).unwrap());
    let status = Arc::new(HubStatus::new(spec.config.name.clone()));
    let dynamic = status.dynamic.clone();
    let report = Report::new(spec.name.clone(), Arc::new(Metrics::new()), status);
    report.show_configured(&spec.subscriptions);
    Parts { spec, report, dynamic }
}

fn hpc() -> Parts {
    hub(serde_json::json!({"name": "hpc", "url": "http://127.0.0.1:1/hpc", "dialect": "classic",
        "profile": "hpc_pack", "hpc_pack": {"job_ids": [1]}}))
}

fn redmist() -> Parts {
    hub(serde_json::json!({"name": "rm", "url": "http://127.0.0.1:1/status/event-status",
        "profile": "redmist", "redmist": {"event_ids": [42]}}))
}

fn shown(calls: &[(u64, Invocation)]) -> Vec<String> {
    calls.iter().map(|(_, i)| format!("{}{}", i.method, serde_json::json!(i.arguments))).collect()
}

fn answer_all(subs: &mut Subscriptions, calls: &[(u64, Invocation)]) -> Vec<Settled> {
    calls.iter().map(|(id, _)| subs.completed(&id.to_string(), Ok(()))).collect()
}

#[test]
fn configured_then_runtime_at_connect_three_at_a_time() {
    let hub = hpc();
    hub.dynamic.add(Target::HpcJob { job_id: 7 }, Origin::Api);
    let mut subs = hub.all();
    let first = subs.due();
    assert_eq!(shown(&first), ["BeginListen[1]", "BeginListen[1]", "BeginListen[7]"]);
    assert!(subs.due().is_empty(), "three outstanding at most");
    answer_all(&mut subs, &first[..1]);
    let second = subs.due();
    assert_eq!(shown(&second), ["BeginListen[7]"]);
    let settled = answer_all(&mut subs, &[first[1].clone(), first[2].clone(), second[0].clone()]);
    assert_eq!(settled.last(), Some(&Settled::Round));
    assert_eq!(hub.dynamic.outcome(&"job-7".into()).last_result, LastResult::Ok);
    let view = hub.report.view();
    assert_eq!(view.state, crate::telemetry::HubState::Subscribed);
    let configured: Vec<_> =
        view.subscriptions.iter().map(|v| (&v.last_result, v.at.is_some())).collect();
    assert_eq!(configured, [(&LastResult::Ok, true), (&LastResult::Ok, true)]);
}

#[test]
fn an_addition_on_a_live_connection_is_invoked_at_once_and_reported() {
    let hub = redmist();
    let mut subs = hub.all();
    let calls = subs.due();
    assert_eq!(answer_all(&mut subs, &calls), [Settled::Round]);
    hub.dynamic.add(Target::RedmistEvent { event_id: 5 }, Origin::Api);
    subs.refresh(|_| true);
    let calls = subs.due();
    assert_eq!(shown(&calls), ["SubscribeToEventV2[5]"]);
    let settled = answer_all(&mut subs, &calls);
    assert_eq!(settled, [Settled::Added(Target::RedmistEvent { event_id: 5 })]);
}

#[test]
fn a_removal_unsubscribes_where_the_profile_can() {
    let hub = redmist();
    let event = Target::RedmistEvent { event_id: 5 };
    hub.dynamic.add(event.clone(), Origin::Discovery);
    let mut subs = hub.subscriptions([], |_| true);
    let calls = subs.due();
    answer_all(&mut subs, &calls);
    hub.dynamic.remove(&event.key(), Origin::Discovery).unwrap();
    subs.refresh(|_| true);
    let calls = subs.due();
    assert_eq!(shown(&calls), ["UnsubscribeFromEventV2[5]"]);
    // A result for the unsubscribe settles nothing about the (gone) subscription.
    assert_eq!(answer_all(&mut subs, &calls), [Settled::Nothing]);
    assert!(subs.done());
}

#[test]
fn a_removal_before_sending_drops_the_queued_invocations() {
    let hub = hpc();
    let mut subs = hub.all();
    hub.dynamic.add(Target::HpcJob { job_id: 8 }, Origin::Api);
    subs.refresh(|_| true);
    hub.dynamic.remove(&"job-8".into(), Origin::Api).unwrap();
    subs.refresh(|_| true);
    let calls = subs.due();
    assert_eq!(shown(&calls), ["BeginListen[1]", "BeginListen[1]"], "HPC has no EndListen");
}

#[test]
fn a_target_the_filter_refuses_is_skipped_and_says_so() {
    let hub = hpc();
    hub.dynamic.add(Target::HpcJob { job_id: 9 }, Origin::Api);
    let mut subs = hub.subscriptions([], |_| false);
    assert!(subs.due().is_empty());
    assert!(subs.done());
    assert!(matches!(hub.dynamic.outcome(&"job-9".into()).last_result, LastResult::Skipped(_)));
}

#[test]
fn a_failed_invocation_marks_the_runtime_subscription_failed() {
    let hub = hpc();
    let mut subs = hub.subscriptions([], |_| true);
    hub.dynamic.add(Target::HpcJob { job_id: 3 }, Origin::Api);
    subs.refresh(|_| true);
    let calls = subs.due();
    assert_eq!(calls.len(), 2);
    let (ok, bad) = (calls[0].0.to_string(), calls[1].0.to_string());
    assert_eq!(subs.completed(&bad, Err("no such job".into())), Settled::Nothing);
    assert_eq!(subs.completed(&ok, Ok(())), Settled::Nothing);
    assert_eq!(
        hub.dynamic.outcome(&"job-3".into()).last_result,
        LastResult::Error("no such job".into())
    );
}

#[test]
fn removed_and_added_again_between_two_looks_is_undone_and_done_again() {
    let hub = redmist();
    let event = Target::RedmistEvent { event_id: 6 };
    hub.dynamic.add(event.clone(), Origin::Api);
    let mut subs = hub.subscriptions([], |_| true);
    let calls = subs.due();
    answer_all(&mut subs, &calls);
    hub.dynamic.remove(&event.key(), Origin::Api).unwrap();
    hub.dynamic.add(event.clone(), Origin::Api);
    subs.refresh(|_| true);
    let calls = subs.due();
    assert_eq!(shown(&calls), ["UnsubscribeFromEventV2[6]", "SubscribeToEventV2[6]"]);
    answer_all(&mut subs, &calls);
    assert_eq!(hub.dynamic.outcome(&event.key()).last_result, LastResult::Ok, "not left pending");
}

#[test]
fn a_removal_before_anything_was_sent_unsubscribes_nothing() {
    let hub = redmist();
    let mut subs = hub.subscriptions([], |_| true);
    let event = Target::RedmistEvent { event_id: 9 };
    hub.dynamic.add(event.clone(), Origin::Api);
    subs.refresh(|_| true);
    hub.dynamic.remove(&event.key(), Origin::Api).unwrap();
    subs.refresh(|_| true);
    assert!(subs.due().is_empty(), "neither subscribed nor unsubscribed");
    assert!(subs.done());
}
