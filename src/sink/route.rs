//! Where an event goes on NATS: the subject from the configured template, and the headers that
//! carry its identity (`Nats-Msg-Id`) and CloudEvents attributes. Pure; no I/O.

use async_nats::header::{HeaderMap, HeaderValue, NATS_MESSAGE_ID};

use crate::event::Event;

/// The content type of a structured-mode CloudEvent in JSON.
const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// The subject for `event`: `{hub}`, `{type}` and `{key}` in `template` replaced.
///
/// `{type}` keeps its dots (it is a fixed, valid token sequence). `{hub}` and `{key}` come from
/// configuration and the wire, so every character that would split or wildcard a subject
/// (`.`, `/`, whitespace, `*`, `>`) becomes `_`, and an empty value becomes `_`, so one event
/// can never land on a subject another routing key owns. Unknown placeholders stay as written;
/// [`validate_template`] rejects them at start.
pub fn subject(template: &str, event: &Event) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        match &after[..=close] {
            "{hub}" => push_token(&mut out, &event.hub),
            "{type}" => out.push_str(event.kind.as_str()),
            "{key}" => push_token(&mut out, &event.partition_key),
            other => out.push_str(other),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Appends `value` as one subject token.
fn push_token(out: &mut String, value: &str) {
    if value.is_empty() {
        out.push('_');
        return;
    }
    out.extend(value.chars().map(|c| match c {
        '.' | '/' | '*' | '>' => '_',
        c if c.is_whitespace() || c.is_control() => '_',
        c => c,
    }));
}

/// Checks at start that `template` renders to a valid, wildcard-free publish subject.
pub fn validate_template(template: &str) -> Result<(), String> {
    let sample = template.replace("{hub}", "h").replace("{type}", "t.v1").replace("{key}", "k");
    if sample.contains(['{', '}']) {
        return Err(format!(
            "subject template {template:?}: unknown placeholder (known: {{hub}} {{type}} {{key}})"
        ));
    }
    let bad_token = |t: &str| t.is_empty() || t == "*" || t == ">";
    if sample.chars().any(|c| c.is_whitespace()) || sample.split('.').any(bad_token) {
        return Err(format!(
            "subject template {template:?}: empty token, space or wildcard in the subject"
        ));
    }
    Ok(())
}

/// The headers of one published event: its id for JetStream de-duplication, and the
/// CloudEvents attributes consumers can filter on without parsing the body.
pub fn headers(event: &Event) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(NATS_MESSAGE_ID, header_value(&event.id));
    map.insert("ce-specversion", "1.0");
    map.insert("ce-id", header_value(&event.id));
    map.insert("ce-type", event.kind.as_str());
    map.insert("ce-source", header_value(&event.source));
    map.insert("Content-Type", CLOUDEVENTS_JSON);
    map
}

/// A header value that cannot break the NATS header block: async-nats panics on CR or LF, and
/// ids and sources come from the wire and from configuration.
fn header_value(value: &str) -> HeaderValue {
    value.parse().unwrap_or_else(|_| HeaderValue::from(value.replace(['\r', '\n'], " ").as_str()))
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;
    use crate::event::EventType;

    fn event(hub: &str, kind: EventType, key: &str) -> Event {
        Event {
            id: "conn:1".into(),
            source: "http://127.0.0.1/hub".into(),
            hub: hub.into(),
            kind,
            subject: "s".into(),
            time: time::OffsetDateTime::UNIX_EPOCH,
            partition_key: key.into(),
            data: RawValue::from_string("{}".into()).unwrap(),
        }
    }

    #[test]
    fn subject_table() {
        use EventType::*;
        let cases: &[(&str, &str, EventType, &str, &str)] = &[
            (
                "signalr.{hub}.{type}",
                "redmist",
                RedMistCarPatched,
                "42/7",
                "signalr.redmist.racing.redmist.car.patched.v1",
            ),
            ("ev.{hub}.{key}", "redmist", RedMistCarPatched, "42/7", "ev.redmist.42_7"),
            ("ev.{key}", "h", GenericInvocation, "a.b c*d>e/f", "ev.a_b_c_d_e_f"),
            ("ev.{key}.x", "h", GenericInvocation, "", "ev._.x"),
            ("ev.{hub}", "my.hub", GenericInvocation, "", "ev.my_hub"),
            ("fixed.subject", "h", RedMistReset, "k", "fixed.subject"),
            ("ev.{other}.{hub}", "h", RedMistReset, "k", "ev.{other}.h"),
            ("ev.{hub", "h", RedMistReset, "k", "ev.{hub"),
            ("ev.{key}", "h", RedMistReset, "tab\there", "ev.tab_here"),
        ];
        for (template, hub, kind, key, want) in cases {
            assert_eq!(subject(template, &event(hub, *kind, key)), *want, "{template} {key:?}");
        }
    }

    #[test]
    fn validate_template_table() {
        let ok = ["signalr.{hub}.{type}", "a.{key}", "x"];
        for t in ok {
            assert!(validate_template(t).is_ok(), "{t}");
        }
        let bad = ["", "a..b", "a.*", "a.>", "a b", "a.{nope}", ".a", "a."];
        for t in bad {
            assert!(validate_template(t).is_err(), "{t}");
        }
    }

    #[test]
    fn headers_carry_id_and_cloudevents_attributes() {
        let map = headers(&event("h", EventType::RedMistReset, "k"));
        let get = |name: &str| map.get(name).map(|v| v.as_str().to_owned());
        assert_eq!(get("Nats-Msg-Id").as_deref(), Some("conn:1"));
        assert_eq!(get("ce-id").as_deref(), Some("conn:1"));
        assert_eq!(get("ce-specversion").as_deref(), Some("1.0"));
        assert_eq!(get("ce-type").as_deref(), Some("racing.redmist.session.reset.v1"));
        assert_eq!(get("ce-source").as_deref(), Some("http://127.0.0.1/hub"));
        assert_eq!(get("Content-Type").as_deref(), Some(CLOUDEVENTS_JSON));
    }

    #[test]
    fn headers_survive_line_breaks_in_wire_ids() {
        let mut e = event("h", EventType::RedMistReset, "k");
        e.id = "evil\r\nX-Injected: 1".into();
        let map = headers(&e);
        assert_eq!(map.get("Nats-Msg-Id").unwrap().as_str(), "evil  X-Injected: 1");
    }
}
