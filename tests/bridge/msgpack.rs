//! The same seeded RedMist session bridged over JSON and over MessagePack at once (two hubs of
//! one bridge on one simulator, every record broadcast to both) gives the same events, field for
//! field; only the connection part of the ids differs, as each connection has its own.

use std::collections::HashSet;

use serde_json::Value;
use signalr_sim::race::{Group, Race, SimInvocation};

use super::{file_sink, lines, WAIT};
use crate::support::*;

/// Seeded race output, all sent to the event group both hubs subscribe to: car and session
/// patches, in-car updates, control logs, and a reset in the middle.
fn session(ticks: usize) -> Vec<SimInvocation> {
    let mut race = Race::new(42, 8, 7);
    let mut out: Vec<SimInvocation> = (0..ticks).flat_map(|_| race.tick()).collect();
    out.extend(race.reset());
    out.extend((0..ticks).flat_map(|_| race.tick()));
    for invocation in &mut out {
        invocation.group = Group::Event(42);
    }
    out
}

/// Events one record yields: one per car for car patches, one otherwise.
fn expected_events(invocations: &[SimInvocation]) -> usize {
    invocations
        .iter()
        .map(|i| match i.target {
            "ReceiveCarPatches" => {
                let args: Value = serde_json::from_str(&i.arguments).unwrap();
                args[0].as_array().unwrap().len()
            }
            _ => 1,
        })
        .sum()
}

/// A hub's events from the hub's own records (snapshots come over REST at their own pace).
fn from_hub(events: &[Value], source: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["source"] == source && e["type"] != "racing.redmist.session.snapshot.v1")
        .cloned()
        .collect()
}

/// `conn:record` or `conn:record:index` -> (conn, index).
fn id_parts(event: &Value) -> (String, Option<String>) {
    let id = event["id"].as_str().unwrap();
    let (rest, last) = id.rsplit_once(':').unwrap();
    match rest.rsplit_once(':') {
        // A UUID has no colons, so a second one means an index.
        Some((conn, _record)) => (conn.to_owned(), Some(last.to_owned())),
        None => (rest.to_owned(), None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redmist_over_messagepack_gives_the_same_events_as_over_json() {
    let sim = simulator(0, None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let json_hub = redmist_hub("rm-json", &sim, "    source: urn:json\n    protocol: json\n");
    let mp_hub = redmist_hub("rm-mp", &sim, "    source: urn:mp\n    protocol: messagepack\n");
    let yaml = format!("hubs:\n{json_hub}{mp_hub}{}", file_sink(&out, ""));
    let app = start(config(&yaml)).await;
    eventually(WAIT, "both hubs subscribed", || app.status.ready()).await;
    assert_eq!(sim.control().protocol_counts(), (1, 1), "one connection in each protocol");

    let invocations = session(150);
    let per_hub = expected_events(&invocations);
    for invocation in invocations {
        sim.control().broadcast(invocation).await;
    }
    let published = || counter(&app, "events_published_total", &[]);
    eventually(WAIT, "every record bridged on both hubs", || {
        let events = lines(&out);
        from_hub(&events, "urn:json").len() >= per_hub
            && from_hub(&events, "urn:mp").len() >= per_hub
    })
    .await;
    assert!(published() > 0);
    let mp_status = app.status.hubs[1].snapshot();
    assert_eq!(mp_status.connects, 1, "the MessagePack session never dropped");
    assert_eq!(counter(&app, "decode_errors_total", &[]), 0, "nothing failed to decode");
    app.shutdown().await;

    let events = lines(&out);
    let (json, mp) = (from_hub(&events, "urn:json"), from_hub(&events, "urn:mp"));
    assert_eq!((json.len(), mp.len()), (per_hub, per_hub));
    let types: HashSet<&str> = mp.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for kind in ["car.patched", "session.patched", "session.reset", "control_log", "in_car_updated"]
    {
        assert!(types.iter().any(|t| t.contains(kind)), "{kind} missing from {types:?}");
    }
    let mp_connection = mp_status.connection.unwrap();
    let mut ids = HashSet::new();
    for (j, m) in json.iter().zip(&mp) {
        for field in ["type", "subject", "partitionkey", "datacontenttype", "dataschema", "data"] {
            assert_eq!(j[field], m[field], "{field} differs:\n{j}\n{m}");
        }
        let ((_, j_index), (m_conn, m_index)) = (id_parts(j), id_parts(m));
        assert_eq!(m_conn, mp_connection, "ids name the connection");
        assert_eq!(j_index, m_index, "same item index within the record");
        assert!(ids.insert(m["id"].as_str().unwrap().to_owned()), "unique id {}", m["id"]);
    }
}

/// A framed non-blocking invocation with `arguments` (given as JSON) written as MessagePack.
fn record(target: &str, arguments: serde_json::Value) -> Vec<u8> {
    use signalr_proto::core::msgpack;
    msgpack::framed(&msgpack::server_invocation(target, &msgpack::json_value(&arguments)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messagepack_is_counted_and_a_broken_stream_reconnects() {
    let sim = simulator(0, None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let hub = redmist_hub("rm", &sim, "    protocol: messagepack\n");
    let app = start(config(&format!("hubs:\n{hub}{}", file_sink(&out, "")))).await;
    eventually(WAIT, "ready", || app.status.ready()).await;

    // One frame: a good car, a car of the wrong shape, a cut record body, an unknown type, and
    // a target no profile knows.
    let mut car = vec![Value::Null; 21];
    (car[2], car[20]) = (serde_json::json!("999"), serde_json::json!(3));
    let mut frame = record("ReceiveCarPatches", serde_json::json!([[car]]));
    frame.extend(record("ReceiveCarPatches", serde_json::json!(["oops"])));
    frame.extend([0x02, 0x93, 0x01]);
    frame.extend([0x02, 0x91, 0x63]);
    frame.extend(record("SomethingNew", serde_json::json!([1, {"a": true}])));
    sim.control().inject_raw_binary(frame);
    eventually(WAIT, "decode errors counted", || {
        counter(&app, "decode_errors_total", &[("reason", "argument_type")]) >= 1
            && counter(&app, "decode_errors_total", &[("reason", "too_few_items")]) >= 1
            && counter(&app, "unknown_targets_total", &[("target", "SomethingNew")]) >= 1
    })
    .await;
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "the session survived bad records");

    // A length prefix past 2^31-1 cannot be resynchronised: the bridge reconnects.
    sim.control().inject_raw_binary(vec![0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]);
    eventually(WAIT, "framing error counted", || {
        counter(&app, "decode_errors_total", &[("reason", "msgpack_framing")]) == 1
    })
    .await;
    eventually(WAIT, "reconnected", || app.status.hubs[0].snapshot().connects == 2).await;
    eventually(WAIT, "ready again", || app.status.ready()).await;
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);

    let events = lines(&out);
    assert!(events.iter().any(|e| e["subject"] == "events/42/cars/999"), "the good car was kept");
    assert!(events.iter().any(|e| e["data"]["target"] == "SomethingNew"
        && e["data"]["arguments"] == serde_json::json!([1, {"a": true}])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messagepack_close_and_silence_reconnect_with_the_json_reasons() {
    let sim = simulator(0, None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let hub = redmist_hub("rm", &sim, "    protocol: messagepack\n");
    let app = start(config(&format!("hubs:\n{hub}{}", file_sink(&out, "")))).await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    assert_eq!(sim.control().protocol_counts(), (0, 1));
    sim.control().close(true);
    eventually(WAIT, "close_allow_reconnect", || {
        counter(&app, "reconnects_total", &[("reason", "close_allow_reconnect")]) == 1
    })
    .await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    sim.control().close_with_error("Going away.", false);
    eventually(WAIT, "close", || counter(&app, "reconnects_total", &[("reason", "close")]) == 1)
        .await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    sim.control().go_silent(std::time::Duration::from_secs(5));
    eventually(WAIT, "server_timeout", || {
        counter(&app, "reconnects_total", &[("reason", "server_timeout")]) >= 1
    })
    .await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    // The silenced connection notices its client left once the silence ends.
    eventually(WAIT, "every reconnect speaks MessagePack", || {
        sim.control().protocol_counts() == (0, 1)
    })
    .await;
    assert_eq!(counter(&app, "decode_errors_total", &[]), 0);
    assert_eq!(app.shutdown().await.undelivered, 0);
}
