//! How an event is laid out in a Kafka record under the CloudEvents Kafka protocol binding:
//! structured mode (the envelope as the value) or binary mode (`ce_` headers, `data` as the
//! value). Pure; no I/O.

use rdkafka::message::{Header, OwnedHeaders};
use time::format_description::well_known::Rfc3339;

use crate::config::KafkaMode;
use crate::event::Event;

/// The content type of a structured-mode CloudEvent in JSON.
const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";
/// The content type of `data` in binary mode (the bridge's data is always JSON).
const JSON: &str = "application/json";

/// A record's value and headers, built once and kept for re-sending.
pub struct Record {
    pub value: Vec<u8>,
    pub headers: OwnedHeaders,
}

/// Lays `event` out for `mode`.
pub fn record(event: &Event, mode: KafkaMode) -> Record {
    match mode {
        KafkaMode::Structured => Record {
            value: event.to_json(),
            headers: OwnedHeaders::new_with_capacity(1)
                .insert(header("content-type", CLOUDEVENTS_JSON)),
        },
        KafkaMode::Binary => {
            Record { value: event.data.get().as_bytes().to_vec(), headers: binary_headers(event) }
        }
    }
}

/// Every envelope attribute as a `ce_` header (values are UTF-8 strings, as the binding says).
fn binary_headers(event: &Event) -> OwnedHeaders {
    // Formatting a valid OffsetDateTime as RFC 3339 fails only for years outside 0..=9999.
    let time = event.time.format(&Rfc3339).unwrap_or_default();
    OwnedHeaders::new_with_capacity(10)
        .insert(header("ce_specversion", "1.0"))
        .insert(header("ce_id", &event.id))
        .insert(header("ce_source", &event.source))
        .insert(header("ce_type", event.kind.as_str()))
        .insert(header("ce_subject", &event.subject))
        .insert(header("ce_time", &time))
        .insert(header("ce_dataschema", event.kind.schema_uri()))
        .insert(header("ce_partitionkey", &event.partition_key))
        .insert(header("content-type", JSON))
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header { key, value: Some(value) }
}

#[cfg(test)]
mod tests {
    use rdkafka::message::Headers;
    use serde_json::value::RawValue;

    use super::*;
    use crate::event::EventType;

    fn event() -> Event {
        Event {
            id: "conn:9".into(),
            source: "http://127.0.0.1/hub".into(),
            hub: "hpc".into(),
            kind: EventType::HpcJobStateChanged,
            subject: "jobs/7".into(),
            time: time::macros::datetime!(2024-05-01 12:00:00.5 UTC),
            partition_key: "7".into(),
            data: RawValue::from_string(r#"{"jobId":7}"#.into()).unwrap(),
        }
    }

    fn headers(r: &Record) -> Vec<(String, String)> {
        let text = |v: Option<&[u8]>| String::from_utf8(v.unwrap_or_default().to_vec()).unwrap();
        r.headers.iter().map(|h| (h.key.to_owned(), text(h.value))).collect()
    }

    #[test]
    fn structured_is_the_envelope_with_one_content_type_header() {
        let e = event();
        let r = record(&e, KafkaMode::Structured);
        assert_eq!(r.value, e.to_json());
        assert_eq!(headers(&r), [("content-type".to_owned(), CLOUDEVENTS_JSON.to_owned())]);
    }

    #[test]
    fn binary_is_data_with_ce_headers() {
        let r = record(&event(), KafkaMode::Binary);
        assert_eq!(r.value, br#"{"jobId":7}"#);
        let h = headers(&r);
        let get = |k: &str| h.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("ce_id"), Some("conn:9"));
        assert_eq!(get("ce_specversion"), Some("1.0"));
        assert_eq!(get("ce_type"), Some("com.microsoft.hpcpack.job.state_changed.v1"));
        assert_eq!(get("ce_time"), Some("2024-05-01T12:00:00.5Z"));
        assert_eq!(get("ce_partitionkey"), Some("7"));
        assert_eq!(get("content-type"), Some(JSON));
    }
}
