//! The bench binary run again as a helper process (`COMPARE_ROLE`), so every contender is a
//! process of its own measured the same way:
//! - `limit`: reads the hub's frames and parses every record into a serde_json `Value`
//!   (`readers.rs`), publishing nothing: the most any consumer of this feed could do;
//! - `discard`: reads the frames and throws them away: the feeder's own ceiling;
//! - `produce-jetstream` / `produce-kafka`: a bare producer loop with the bridge's acks and
//!   window, publishing one pre-built CloudEvents envelope: what the broker itself accepts.

use std::collections::VecDeque;
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;

/// Publishes in flight at once, as the bridge's default `max_in_flight`.
pub const WINDOW: usize = 1024;

pub fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| panic!("compare role: {key} is not set"))
}

/// Runs the role named by `COMPARE_ROLE`; never returns.
pub async fn run(role: &str) -> ! {
    match role {
        "limit" => crate::readers::read_hub(true).await,
        "discard" => crate::readers::read_hub(false).await,
        "produce-jetstream" => produce_jetstream().await,
        "produce-kafka" => produce_kafka().await,
        other => panic!("compare: unknown role {other}"),
    }
    std::process::exit(0)
}

/// A CloudEvents envelope the size of the bridge's car-patch events.
fn envelope(n: u64) -> Vec<u8> {
    format!(
        "{{\"specversion\":\"1.0\",\"id\":\"bare:{n}:0\",\"source\":\"http://127.0.0.1/status/\
         event-status\",\"type\":\"racing.redmist.car.patched.v1\",\"subject\":\"events/42/cars/\
         {car}\",\"time\":\"2026-11-30T21:00:00.123456Z\",\"datacontenttype\":\
         \"application/json\",\"dataschema\":\"urn:signalr-bridge:schema:racing.redmist.car.\
         patched.v1\",\"partitionkey\":\"42/{car}\",\"data\":{{\"number\":\"{car}\",\
         \"lastLapCompleted\":17,\"lastLapTime\":\"00:01:32.417\",\"totalTime\":\"00:26:11.902\",\
         \"overallGap\":\"1.224\",\"lapIncludedPit\":false,\"lastLoopName\":\"0000000000000000\"}}}}",
        car = n % 24
    )
    .into_bytes()
}

async fn produce_jetstream() {
    let client = async_nats::connect(env("COMPARE_BROKER")).await.expect("NATS");
    let js = async_nats::jetstream::new(client);
    let prefix = env("COMPARE_DEST");
    let mut flights = VecDeque::with_capacity(WINDOW);
    println!("ready");
    for n in 0u64.. {
        if flights.len() == WINDOW {
            let ack: async_nats::jetstream::context::PublishAckFuture =
                flights.pop_front().unwrap();
            let _ = ack.await;
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("bare:{n}:0").as_str());
        let subject = format!("{prefix}.{}", n % 24);
        match js.publish_with_headers(subject, headers, envelope(n).into()).await {
            Ok(ack) => flights.push_back(ack),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn produce_kafka() {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", env("COMPARE_BROKER"))
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let topic = env("COMPARE_DEST");
    let mut flights = VecDeque::with_capacity(WINDOW);
    println!("ready");
    for n in 0u64.. {
        if flights.len() == WINDOW {
            let _ = flights.pop_front().unwrap().await;
        }
        let key = format!("42/{}", n % 24);
        let payload = envelope(n);
        let record = FutureRecord::to(&topic).key(&key).payload(&payload);
        match producer.send_result(record) {
            Ok(delivery) => flights.push_back(delivery),
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
}
