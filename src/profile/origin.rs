//! Which hub method an event came from, read back from the event alone: for showing and
//! filtering events (`signalr-bridge tail --target`), not for routing. Events do not carry the
//! target (it would cost the hot path a string per event); each typed event kind comes from
//! one documented target, and generic events name theirs in `data.target`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{Event, EventType};

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A hub invocation of this method (classic: `Hub.Method` for generic events, as the
    /// generic data names it).
    Target(Cow<'a, str>),
    /// The RedMist REST snapshot fetched after subscribing and after a reset: no invocation.
    Snapshot,
}

impl Origin<'_> {
    /// The method name, or `snapshot`.
    pub fn as_str(&self) -> &str {
        match self {
            Origin::Target(target) => target,
            Origin::Snapshot => "snapshot",
        }
    }
}

/// The method a typed event kind is made from; `None` for generic events (their data says)
/// and snapshots. RedMist's legacy `ReceiveMessage` also carries car patch lists; those events
/// are car patches like any other and show as `ReceiveCarPatches`.
fn typed_target(kind: EventType) -> Option<&'static str> {
    Some(match kind {
        EventType::GenericInvocation | EventType::RedMistSessionSnapshot => return None,
        EventType::RedMistSessionPatched => "ReceiveSessionPatch",
        EventType::RedMistCarPatched => "ReceiveCarPatches",
        EventType::RedMistReset => "ReceiveReset",
        EventType::RedMistControlLog => "ReceiveControlLog",
        EventType::RedMistInCarUpdated => "ReceiveInCarUpdateV2",
        EventType::RedMistLegacyStatus => "ReceiveMessage",
        EventType::HpcJobStateChanged => "JobStateChange",
        EventType::HpcTaskStateChanged => "TaskStateChange",
    })
}

#[derive(Deserialize)]
struct GenericData<'a> {
    #[serde(borrow)]
    target: Cow<'a, str>,
}

/// Where `event` came from; `None` only for a generic event whose data lacks a target (the
/// bridge never makes one).
pub fn origin(event: &Event) -> Option<Origin<'_>> {
    if event.kind == EventType::RedMistSessionSnapshot {
        return Some(Origin::Snapshot);
    }
    if let Some(target) = typed_target(event.kind) {
        return Some(Origin::Target(Cow::Borrowed(target)));
    }
    let data: GenericData<'_> = serde_json::from_str(event.data.get()).ok()?;
    Some(Origin::Target(data.target))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, value::RawValue};

    use super::*;
    use crate::config::HubConfig;
    use crate::event::WireId;
    use crate::profile::{MessageContext, Profile};

    fn profile(hub: serde_json::Value) -> Profile {
        let config: HubConfig = serde_json::from_value(hub).unwrap();
        Profile::from_config(&config)
    }

    fn normalize(profile: &Profile, hub: Option<&str>, target: &str, args: &str) -> Vec<Event> {
        let ctx = MessageContext {
            hub: "h".into(),
            source: "http://h/".into(),
            wire: WireId { connection: "c".into(), record: 1 },
            received: time::OffsetDateTime::UNIX_EPOCH,
        };
        let args = RawValue::from_string(args.to_owned()).unwrap();
        let mut out = Vec::new();
        profile.normalize_in_hub(&ctx, hub, target, &args, &mut out).unwrap();
        assert!(!out.is_empty(), "{target} made no event");
        out
    }

    fn targets(events: &[Event]) -> Vec<String> {
        events.iter().map(|e| origin(e).unwrap().as_str().to_owned()).collect()
    }

    /// The mapping is held to the profiles: every documented target, run through the real
    /// normalizer, reads back as itself.
    #[test]
    fn origin_of_redmist_events_is_the_invoked_target() {
        let rm = profile(json!({"name": "rm", "url": "http://h/", "profile": "redmist",
            "redmist": {"event_ids": [42]}}));
        let cases = [
            ("ReceiveCarPatches", r#"[[{"number":"7"},{"number":"8"}]]"#),
            ("ReceiveSessionPatch", r#"[{"eventId":42}]"#),
            ("ReceiveReset", "[]"),
            ("ReceiveControlLog", r#"[{"cn":"7","entries":[]}]"#),
            ("ReceiveInCarUpdateV2", r#"[{"n":"7","c":[]}]"#),
            ("ReceiveMessage", r#"["{\"isReset\":true}"]"#),
            ("SomethingNew", r#"[1,"two"]"#),
        ];
        for (target, args) in cases {
            let events = normalize(&rm, None, target, args);
            assert!(targets(&events).iter().all(|t| t == target), "{target}: {events:?}");
        }
    }

    #[test]
    fn origin_of_hpc_events_is_the_invoked_target() {
        let hpc = profile(json!({"name": "hpc", "url": "http://h/hpc", "dialect": "classic",
            "profile": "hpc_pack", "hpc_pack": {"job_ids": [17]}}));
        let job =
            normalize(&hpc, Some("JobEventHub"), "JobStateChange", r#"[17,"Running","Queued"]"#);
        assert_eq!(targets(&job), ["JobStateChange"]);
        let task = normalize(
            &hpc,
            Some("TaskEventHub"),
            "TaskStateChange",
            r#"[17,1,0,"Running","Dispatching"]"#,
        );
        assert_eq!(targets(&task), ["TaskStateChange"]);
    }

    #[test]
    fn origin_of_generic_events_is_read_from_data() {
        let generic = profile(json!({"name": "g", "url": "http://h/"}));
        let core = normalize(&generic, None, "Tick\"Tock", "[1]");
        assert_eq!(targets(&core), ["Tick\"Tock"]);
        let classic = normalize(&generic, Some("ChatHub"), "Send", r#"["hi"]"#);
        assert_eq!(targets(&classic), ["ChatHub.Send"]);
    }

    #[test]
    fn origin_of_a_snapshot_is_no_target() {
        let mut event =
            normalize(&profile(json!({"name": "g", "url": "http://h/"})), None, "X", "[]")
                .remove(0);
        event.kind = EventType::RedMistSessionSnapshot;
        assert_eq!(origin(&event), Some(Origin::Snapshot));
        assert_eq!(Origin::Snapshot.as_str(), "snapshot");
    }
}
