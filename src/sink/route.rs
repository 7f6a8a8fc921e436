//! Where an event goes: the NATS subject or Kafka topic from the configured template, and the
//! NATS headers that carry its identity (`Nats-Msg-Id`) and CloudEvents attributes. Pure; no I/O.

use async_nats::header::{HeaderMap, HeaderName, HeaderValue, NATS_MESSAGE_ID};

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
    render(template, event, push_token)
}

/// The longest topic name Kafka accepts.
const MAX_TOPIC_LEN: usize = 249;

/// The Kafka topic for `event`: like [`subject`], but every character Kafka does not allow in a
/// topic name (anything but letters, digits, `.`, `_`, `-`) in `{hub}` and `{key}` becomes
/// `_`, and the name is cut at Kafka's 249-character limit.
pub fn topic(template: &str, event: &Event) -> String {
    let mut topic = render(template, event, push_topic_part);
    if topic.len() > MAX_TOPIC_LEN {
        // A template that skipped validation may hold non-ASCII: cut on a character boundary.
        let cut = (0..=MAX_TOPIC_LEN).rev().find(|&i| topic.is_char_boundary(i)).unwrap_or(0);
        topic.truncate(cut);
    }
    topic
}

/// Appends `value` as part of a topic name; the result is always ASCII.
fn push_topic_part(out: &mut String, value: &str) {
    if value.is_empty() {
        out.push('_');
        return;
    }
    let legal = crate::config::is_topic_char;
    out.extend(value.chars().map(|c| if legal(c) { c } else { '_' }));
}

/// `template` with `{hub}`, `{type}` and `{key}` replaced; `push` appends wire-borne values.
fn render(template: &str, event: &Event, push: fn(&mut String, &str)) -> String {
    let push_token = push;
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

// Names made once: from a `&str`, each insert would validate and copy the name.
const CE_SPECVERSION: HeaderName = HeaderName::from_static("ce-specversion");
const CE_ID: HeaderName = HeaderName::from_static("ce-id");
const CE_TYPE: HeaderName = HeaderName::from_static("ce-type");
const CE_SOURCE: HeaderName = HeaderName::from_static("ce-source");
const CONTENT_TYPE: HeaderName = HeaderName::from_static("Content-Type");

/// The headers of one published event: its id for JetStream de-duplication, and the
/// CloudEvents attributes consumers can filter on without parsing the body.
pub fn headers(event: &Event) -> HeaderMap {
    let id = header_value(&event.id);
    let mut map = HeaderMap::new();
    map.insert(CE_ID, id.clone());
    map.insert(NATS_MESSAGE_ID, id);
    map.insert(CE_SPECVERSION, "1.0");
    map.insert(CE_TYPE, event.kind.as_str());
    map.insert(CE_SOURCE, header_value(&event.source));
    map.insert(CONTENT_TYPE, CLOUDEVENTS_JSON);
    map
}

/// A header value that cannot break the NATS header block: async-nats panics on CR or LF, and
/// ids and sources come from the wire and from configuration.
pub fn header_value(value: &str) -> HeaderValue {
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
    fn topic_table() {
        use EventType::*;
        let cases: &[(&str, &str, EventType, &str, &str)] = &[
            ("signalr.{hub}", "hpc", HpcJobStateChanged, "7", "signalr.hpc"),
            (
                "jobs.{type}",
                "hpc",
                HpcTaskStateChanged,
                "7",
                "jobs.com.microsoft.hpcpack.task.state_changed.v1",
            ),
            ("ev-{key}", "h", RedMistCarPatched, "42/7 x:é", "ev-42_7_x__"),
            ("ev-{key}", "h", RedMistCarPatched, "", "ev-_"),
            ("ev.{hub}", "my.hub", GenericInvocation, "", "ev.my.hub"),
        ];
        for (template, hub, kind, key, want) in cases {
            assert_eq!(topic(template, &event(hub, *kind, key)), *want, "{template} {key:?}");
        }
        let long = "k".repeat(400);
        assert_eq!(topic("t.{key}", &event("h", RedMistReset, &long)).len(), 249);
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
