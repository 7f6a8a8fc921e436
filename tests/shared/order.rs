//! What a consumer of the broker must see after an outage: every event the hubs produced, each
//! once, and per partition key in wire order. Used by the tests that read a stream or topic back.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};

/// `(connection, record, index)` of an event id `conn:record[:index]`.
fn position(id: &str) -> (String, u64, u64) {
    let mut parts = id.rsplitn(3, ':').collect::<Vec<_>>();
    parts.reverse();
    let num = |s: &str| s.parse::<u64>().ok();
    match parts.as_slice() {
        [conn, record, index] if num(record).is_some() => {
            (conn.to_string(), num(record).unwrap(), num(index).unwrap_or(0))
        }
        _ => {
            let (conn, record) = id.rsplit_once(':').unwrap();
            (conn.to_owned(), num(record).unwrap(), 0)
        }
    }
}

/// Each id once; per partition key, ids in wire order (within each id sequence: records of a
/// connection, snapshots of a connection); as many as the bridge enqueued.
pub fn check(events: &[(String, String)], enqueued: u64) {
    let mut seen = HashSet::new();
    let mut last: HashMap<(&str, String), (u64, u64)> = HashMap::new();
    for (key, id) in events {
        assert!(seen.insert(id.clone()), "stored twice: {id}");
        let (sequence, record, index) = position(id);
        let here = (record, index);
        if let Some(before) = last.get(&(key.as_str(), sequence.clone())) {
            assert!(*before < here, "out of order for {key}: {before:?} then {id}");
        }
        last.insert((key, sequence), here);
    }
    assert_eq!(events.len() as u64, enqueued, "every event the hub produced, none lost");
}

/// `(partition key, event id)` of every message in JetStream `stream`, in stream order.
pub async fn jetstream_events(
    js: &async_nats::jetstream::Context,
    stream: &str,
) -> Vec<(String, String)> {
    let mut s = js.get_stream(stream).await.unwrap();
    let last = s.info().await.unwrap().state.last_sequence;
    let mut events = Vec::new();
    for seq in 1..=last {
        let msg = s.get_raw_message(seq).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
        events.push((
            body["partitionkey"].as_str().unwrap().to_owned(),
            body["id"].as_str().unwrap().to_owned(),
        ));
    }
    events
}

/// `(record key, event id)` of Kafka records read back, in the order read (per partition, the
/// partition's order).
pub fn kafka_events(messages: &[rdkafka::message::OwnedMessage]) -> Vec<(String, String)> {
    use rdkafka::message::Message;
    messages
        .iter()
        .map(|m| {
            let body: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
            (key, body["id"].as_str().unwrap().to_owned())
        })
        .collect()
}
