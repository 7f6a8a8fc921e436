//! What a runtime subscription ([`Target`]) means on the wire for each profile: the server
//! methods that subscribe it and, where the server has them, the ones that undo it. Pure.

use super::{Invocation, Profile, SnapshotRequest};
use crate::subs::Target;

/// The invocations behind one runtime subscription.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expansion {
    /// Invoked when it is added and after every (re)connect.
    pub subscribe: Vec<Invocation>,
    /// Invoked when it is removed on a live connection; empty when the server has no such
    /// method (HPC Pack has no `EndListen`): then it is simply not invoked again.
    pub unsubscribe: Vec<Invocation>,
}

/// A target this hub's profile cannot follow; the text says what to give instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WrongKind(pub &'static str);

impl Profile {
    /// The invocations for `target`, or why this profile does not take it.
    pub fn expand(&self, target: &Target) -> Result<Expansion, WrongKind> {
        match (self, target) {
            (Profile::HpcPack(hpc), Target::HpcJob { job_id }) => Ok(Expansion {
                subscribe: hpc.subscriptions_for(&[*job_id]),
                unsubscribe: Vec::new(),
            }),
            (Profile::RedMist(rm), Target::RedmistEvent { event_id }) => Ok(Expansion {
                subscribe: rm.subscriptions_for(*event_id),
                unsubscribe: rm.unsubscriptions_for(*event_id),
            }),
            (_, Target::Method { classic_hub, method, arguments }) => Ok(Expansion {
                subscribe: vec![Invocation {
                    hub: classic_hub.clone(),
                    method: method.clone(),
                    arguments: arguments.clone(),
                    display: target.display(),
                }],
                unsubscribe: Vec::new(),
            }),
            (Profile::HpcPack(_), _) => {
                Err(WrongKind("an hpc_pack hub follows HPC jobs: give `job_id` (or `method`)"))
            }
            (Profile::RedMist(_), _) => Err(WrongKind(
                "a redmist hub follows RedMist events: give `event_id` (or `method`)",
            )),
            (Profile::Generic(_), _) => {
                Err(WrongKind("a generic hub takes `method` and `arguments`"))
            }
        }
    }

    /// The REST snapshot a runtime subscription wants after it is subscribed (RedMist events).
    pub fn snapshot_for(&self, target: &Target) -> Option<SnapshotRequest> {
        match (self, target) {
            (Profile::RedMist(rm), Target::RedmistEvent { event_id }) => {
                Some(rm.snapshot_request(*event_id))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HubConfig;

    fn profile(json: serde_json::Value) -> Profile {
        let config: HubConfig = serde_json::from_value(json).unwrap();
        Profile::from_config(&config)
    }

    fn methods(invocations: &[Invocation]) -> Vec<String> {
        invocations
            .iter()
            .map(|i| format!("{}{}", i.method, serde_json::json!(i.arguments)))
            .collect()
    }

    #[test]
    fn hpc_jobs_listen_on_each_hub_and_have_no_unsubscribe() {
        let hpc = profile(serde_json::json!({"name": "h", "url": "http://x/hpc",
            "dialect": "classic", "profile": "hpc_pack", "hpc_pack": {"job_ids": []}}));
        let e = hpc.expand(&Target::HpcJob { job_id: 9 }).unwrap();
        assert_eq!(methods(&e.subscribe), ["BeginListen[9]", "BeginListen[9]"]);
        let hubs: Vec<_> = e.subscribe.iter().map(|i| i.hub.clone().unwrap()).collect();
        assert_eq!(hubs, ["JobEventHub", "TaskEventHub"]);
        assert!(e.unsubscribe.is_empty());
        assert!(hpc.expand(&Target::RedmistEvent { event_id: 1 }).is_err());
    }

    #[test]
    fn redmist_events_subscribe_and_unsubscribe_with_exact_arity() {
        let rm = profile(serde_json::json!({"name": "r", "url": "http://x/status/event-status",
            "profile": "redmist", "redmist": {"event_ids": [], "control_logs": true}}));
        let e = rm.expand(&Target::RedmistEvent { event_id: 5 }).unwrap();
        assert_eq!(
            methods(&e.subscribe),
            ["SubscribeToEventV2[5]", "SubscribeToControlLogs[5,null]"]
        );
        assert_eq!(
            methods(&e.unsubscribe),
            ["UnsubscribeFromEventV2[5]", "UnsubscribeFromControlLogs[5]"]
        );
        let snapshot = rm.snapshot_for(&Target::RedmistEvent { event_id: 5 }).unwrap();
        assert!(snapshot.url.as_str().ends_with("eventId=5"), "{}", snapshot.url);
        assert!(rm.expand(&Target::HpcJob { job_id: 1 }).is_err());
    }

    #[test]
    fn any_profile_takes_a_method() {
        let generic = profile(serde_json::json!({"name": "g", "url": "http://x/hub"}));
        let target =
            Target::Method { classic_hub: None, method: "Join".into(), arguments: vec![1.into()] };
        assert_eq!(methods(&generic.expand(&target).unwrap().subscribe), ["Join[1]"]);
        assert!(generic.expand(&Target::HpcJob { job_id: 1 }).is_err());
    }
}
