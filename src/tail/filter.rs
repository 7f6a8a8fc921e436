//! Which events `tail` shows: `--target` patterns against the hub method an event came from,
//! `--subject` patterns against its CloudEvents subject. Patterns know one wildcard, `*`, for
//! any run of characters. Pure.

use crate::event::Event;
use crate::profile::origin;

/// A `*` pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// The literal pieces between stars (lower-cased when the match ignores case).
    pieces: Vec<String>,
    ignore_case: bool,
}

impl Pattern {
    fn new(text: &str, ignore_case: bool) -> Pattern {
        let text = if ignore_case { text.to_lowercase() } else { text.to_owned() };
        Pattern { pieces: text.split('*').map(str::to_owned).collect(), ignore_case }
    }

    fn matches(&self, text: &str) -> bool {
        let lowered;
        let mut rest = if self.ignore_case {
            lowered = text.to_lowercase();
            lowered.as_str()
        } else {
            text
        };
        let (first, others) = self.pieces.split_first().expect("split gives one piece at least");
        let Some(after) = rest.strip_prefix(first.as_str()) else { return false };
        rest = after;
        let Some((last, middle)) = others.split_last() else { return rest.is_empty() };
        for piece in middle {
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last.as_str())
    }
}

/// The `--target` and `--subject` filters; an empty list lets everything through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    targets: Vec<Pattern>,
    subjects: Vec<Pattern>,
}

impl Filter {
    /// Targets match case-insensitively (SignalR method names do); subjects exactly.
    pub fn new(targets: &[String], subjects: &[String]) -> Filter {
        Filter {
            targets: targets.iter().map(|t| Pattern::new(t, true)).collect(),
            subjects: subjects.iter().map(|s| Pattern::new(s, false)).collect(),
        }
    }

    /// Whether `event` passes both filters.
    pub fn shows(&self, event: &Event) -> bool {
        let subject_ok =
            self.subjects.is_empty() || self.subjects.iter().any(|p| p.matches(&event.subject));
        subject_ok
            && (self.targets.is_empty() || {
                let origin = origin(event);
                let target = origin.as_ref().map_or("", |o| o.as_str());
                self.targets.iter().any(|p| p.matches(target))
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;
    use crate::event::{EventType, WireId};

    fn event(kind: EventType, subject: &str, data: &str) -> Event {
        Event {
            id: WireId { connection: "c".into(), record: 1 }.event_id(0),
            source: "http://h/".into(),
            hub: "h".into(),
            kind,
            subject: subject.into(),
            time: time::OffsetDateTime::UNIX_EPOCH,
            partition_key: "k".into(),
            data: RawValue::from_string(data.into()).unwrap(),
        }
    }

    #[test]
    fn pattern_matches_stars_anywhere() {
        let cases = [
            ("events/42/cars/7", "events/42/cars/7", true),
            ("events/42/cars/7", "events/42/cars/70", false),
            ("events/*/cars/7", "events/42/cars/7", true),
            ("events/*", "events/42/cars/7/control-log", true),
            ("*/control-log", "events/42/cars/7/control-log", true),
            ("*/control-log", "events/42/cars/7", false),
            ("*", "", true),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("a*b*c", "a-c-b-c", true),
            ("a*b*c", "a-c-b", false),
            ("", "", true),
            ("", "x", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(Pattern::new(pattern, false).matches(text), expected, "{pattern} {text}");
        }
    }

    #[test]
    fn filter_target_ignores_case_subject_does_not() {
        let car = event(EventType::RedMistCarPatched, "events/42/cars/7", "{}");
        let by_target = Filter::new(&["receivecar*".into()], &[]);
        assert!(by_target.shows(&car));
        assert!(!by_target.shows(&event(EventType::RedMistSessionPatched, "events/42", "{}")));
        assert!(!Filter::new(&[], &["Events/42/*".into()]).shows(&car));
        assert!(Filter::new(&[], &["events/42/*".into()]).shows(&car));
    }

    #[test]
    fn filter_needs_both_and_any_pattern_of_each() {
        let car = event(EventType::RedMistCarPatched, "events/42/cars/7", "{}");
        let targets = ["ReceiveSessionPatch".to_owned(), "ReceiveCarPatches".to_owned()];
        assert!(Filter::new(&targets, &["*/cars/7".into()]).shows(&car));
        assert!(!Filter::new(&targets, &["*/cars/8".into()]).shows(&car));
        assert!(Filter::default().shows(&car));
    }

    #[test]
    fn filter_target_of_generic_event_comes_from_its_data() {
        let data = r#"{"hub":"h","target":"ChatHub.Send","arguments":[]}"#;
        let generic = event(EventType::GenericInvocation, "h/ChatHub.Send", data);
        assert!(Filter::new(&["chathub.*".into()], &[]).shows(&generic));
        assert!(!Filter::new(&["Send".into()], &[]).shows(&generic));
    }
}
