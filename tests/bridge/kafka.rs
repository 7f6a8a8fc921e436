//! End to end for the Kafka sink: the classic simulator's job lifecycle through the bridge into
//! a topic on the real Kafka-compatible broker (tansu on 127.0.0.1:9092, started by
//! scripts/test), read back with an assigned consumer (tansu answers group joins slowly).

use std::collections::HashSet;
use std::time::Duration;

use rdkafka::message::Message;

use crate::classic::{classic_sim, hpc_hub};
use crate::kafka_broker::{consume, create_topics, BROKERS};
use crate::support::*;

const PARTITIONS: i32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_events_reach_one_partition_in_order_keyed_by_job() {
    let sim = classic_sim().await;
    let job = sim.control().submit_job_with_tasks(2);
    let topic = unique("it-hpc");
    create_topics(&[&topic], PARTITIONS).await;
    let sink = format!(
        "sink: {{ kind: kafka, kafka: {{ brokers: '{BROKERS}', topic_template: '{topic}' }} }}\n"
    );
    let app = start(config(&(hpc_hub(&sim, job, "hpc-password") + &sink))).await;
    eventually(Duration::from_secs(20), "ready", || app.status.ready()).await;
    sim.control().finish(job);
    let job_type = ("type", "com.microsoft.hpcpack.job.state_changed.v1");
    eventually(Duration::from_secs(20), "the whole job read", || {
        counter(&app, "events_enqueued_total", &[job_type]) >= 4
    })
    .await;
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);

    let records = consume(&topic, PARTITIONS, report.delivered as usize);
    assert_eq!(records.len() as u64, report.delivered, "every event exactly once");
    let partitions: HashSet<i32> = records.iter().map(|m| m.partition()).collect();
    assert_eq!(partitions.len(), 1, "one job, one key, one partition");
    let mut ids = HashSet::new();
    let mut job_states = Vec::new();
    for record in &records {
        assert_eq!(record.key(), Some(job.to_string().as_bytes()), "keyed by job id");
        let event: serde_json::Value = serde_json::from_slice(record.payload().unwrap()).unwrap();
        assert_eq!(event["specversion"], "1.0");
        assert!(ids.insert(event["id"].as_str().unwrap().to_string()), "unique ids");
        if event["type"] == job_type.1 {
            job_states.push(event["data"]["state"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(job_states, ["Validating", "Queued", "Running", "Finished"], "in order");
}
