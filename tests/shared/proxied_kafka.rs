//! A Kafka-compatible broker of the test's own (tansu) behind a fault proxy the test controls,
//! advertised at the proxy so every client connection goes through it. Included, with
//! `fault_proxy.rs`, `kafka.rs` and `order.rs`, by the tests that cut a bridge from Kafka.
#![allow(dead_code)]

use std::process::Child;
use std::time::Duration;

use super::fault_proxy::FaultProxy;
use super::{kafka, order};

pub struct ProxiedKafka {
    pub proxy: FaultProxy,
    /// The bootstrap address to give the bridge and consumers: the proxy's.
    pub brokers: String,
    broker: Child,
}

impl ProxiedKafka {
    pub async fn start() -> ProxiedKafka {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let proxy = FaultProxy::start(format!("127.0.0.1:{port}").parse().unwrap()).await;
        let broker = kafka::own_broker(port, proxy.addr);
        tokio::time::sleep(Duration::from_millis(500)).await;
        ProxiedKafka { brokers: proxy.addr.to_string(), proxy, broker }
    }

    /// Reads `topic` (3 partitions) back and checks that it holds the `enqueued` events, each
    /// once, in order per key.
    pub fn check(&self, topic: &str, enqueued: u64) {
        let messages = kafka::consume_from(&self.brokers, topic, 3, enqueued as usize);
        order::check(&order::kafka_events(&messages), enqueued);
    }
}

impl Drop for ProxiedKafka {
    fn drop(&mut self) {
        let _ = self.broker.kill();
        let _ = self.broker.wait();
    }
}
