//! The brokers side of a run: a fresh destination per run (a JetStream stream or a Kafka topic),
//! how many events it has stored (the acknowledged count every contender is measured by), and
//! a latency reader that takes each stored event's feed stamp (a car patch's `lastLoopName`; for
//! HPC frames the cursor, which the bridge's event ids carry and the glue's do not).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use signalr_sim::classic::feed::read_stamp as read_hpc_stamp;
use signalr_sim::feed::read_stamp;

pub const PARTITIONS: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    JetStream,
    Kafka,
}

impl Broker {
    pub fn label(self) -> &'static str {
        match self {
            Broker::JetStream => "NATS JetStream",
            Broker::Kafka => "Kafka",
        }
    }

    /// The broker's address as its clients take it.
    pub fn address(self) -> String {
        match self {
            Broker::JetStream => {
                std::env::var("BENCH_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
            }
            Broker::Kafka => {
                std::env::var("BENCH_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
            }
        }
    }
}

/// One run's stream or topic; `remove` deletes it.
pub struct Destination {
    pub broker: Broker,
    /// Stream name and subject prefix (`<name>.>`), or topic.
    pub name: String,
    nats: Option<async_nats::jetstream::Context>,
    kafka: Option<BaseConsumer>,
}

impl Destination {
    pub async fn create(broker: Broker) -> Destination {
        let name = format!("cmp_{}", uuid::Uuid::new_v4().simple());
        match broker {
            Broker::JetStream => {
                let client = async_nats::connect(broker.address()).await.expect("NATS is up");
                let js = async_nats::jetstream::new(client);
                js.create_stream(async_nats::jetstream::stream::Config {
                    name: name.clone(),
                    subjects: vec![format!("{name}.>")],
                    duplicate_window: Duration::from_secs(120),
                    ..Default::default()
                })
                .await
                .expect("stream created");
                Destination { broker, name, nats: Some(js), kafka: None }
            }
            Broker::Kafka => {
                let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                    .set("bootstrap.servers", broker.address())
                    .create()
                    .unwrap();
                let topic = NewTopic::new(&name, PARTITIONS, TopicReplication::Fixed(1));
                for result in admin.create_topics(&[topic], &AdminOptions::new()).await.unwrap() {
                    result.expect("topic created");
                }
                let consumer: BaseConsumer = ClientConfig::new()
                    .set("bootstrap.servers", broker.address())
                    .set("group.id", format!("cmp-{}", uuid::Uuid::new_v4().simple()))
                    .create()
                    .unwrap();
                Destination { broker, name, nats: None, kafka: Some(consumer) }
            }
        }
    }

    /// Events stored so far (every one acknowledged to its producer).
    pub async fn stored(&self) -> u64 {
        match (&self.nats, &self.kafka) {
            (Some(js), _) => match js.get_stream(&self.name).await {
                Ok(mut stream) => stream.info().await.map(|i| i.state.messages).unwrap_or(0),
                Err(_) => 0,
            },
            (_, Some(consumer)) => (0..PARTITIONS)
                .map(|p| {
                    consumer
                        .fetch_watermarks(&self.name, p, Duration::from_secs(5))
                        .map_or(0, |(_, high)| high.max(0) as u64)
                })
                .sum(),
            _ => 0,
        }
    }

    pub async fn remove(mut self) {
        if let Some(js) = &self.nats {
            let _ = js.delete_stream(&self.name).await;
        }
        if let Some(consumer) = self.kafka.take() {
            drop(consumer);
            let admin: Result<AdminClient<DefaultClientContext>, _> =
                ClientConfig::new().set("bootstrap.servers", self.broker.address()).create();
            if let Ok(admin) = admin {
                let _ = admin.delete_topics(&[&self.name], &AdminOptions::new()).await;
            }
        }
    }

    /// Starts reading what reaches the destination from now on; each event's latency is the
    /// time from its feed stamp (`epoch` is the feed's) to its arrival here.
    pub async fn latency_reader(&self, epoch: std::time::Instant) -> LatencyReader {
        let samples = Arc::new(Mutex::new(Vec::with_capacity(1 << 20)));
        let stop = Arc::new(AtomicBool::new(false));
        let record = {
            let samples = samples.clone();
            move |payload: &[u8]| {
                if let Some(stamp) = read_stamp(payload).or_else(|| read_hpc_stamp(payload)) {
                    let now = epoch.elapsed().as_nanos() as u64;
                    samples.lock().unwrap().push(now.saturating_sub(stamp));
                }
            }
        };
        match self.broker {
            Broker::JetStream => {
                // A core subscription sees each message as the server takes it in for the
                // stream, which is when the stream stores and acknowledges it.
                let client = async_nats::connect(self.broker.address()).await.unwrap();
                let mut sub = client.subscribe(format!("{}.>", self.name)).await.unwrap();
                client.flush().await.unwrap();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let _client = client;
                    while let Some(message) = sub.next().await {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        record(&message.payload);
                    }
                });
            }
            Broker::Kafka => {
                let consumer: BaseConsumer = ClientConfig::new()
                    .set("bootstrap.servers", self.broker.address())
                    .set("group.id", format!("cmp-{}", uuid::Uuid::new_v4().simple()))
                    .set("enable.auto.commit", "false")
                    .set("fetch.wait.max.ms", "5")
                    .create()
                    .unwrap();
                let mut list = TopicPartitionList::new();
                for p in 0..PARTITIONS {
                    list.add_partition_offset(&self.name, p, Offset::End).unwrap();
                }
                consumer.assign(&list).unwrap();
                let halt = stop.clone();
                let thread = std::thread::spawn(move || {
                    while !halt.load(Ordering::Relaxed) {
                        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                            record(m.payload().unwrap_or_default());
                        }
                    }
                });
                return LatencyReader { samples, stop, thread: Some(thread) };
            }
        }
        LatencyReader { samples, stop, thread: None }
    }
}

/// Latencies seen by a [`Destination::latency_reader`], in nanoseconds.
pub struct LatencyReader {
    samples: Arc<Mutex<Vec<u64>>>,
    stop: Arc<AtomicBool>,
    /// The Kafka consumer's thread, joined so the consumer is closed before its topic goes.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LatencyReader {
    /// Forgets what was seen so far (the warm-up).
    pub fn clear(&self) {
        self.samples.lock().unwrap().clear();
    }

    /// Stops reading and returns the samples, sorted.
    pub fn finish(self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread {
            let _ = thread.join();
        }
        let mut samples = std::mem::take(&mut *self.samples.lock().unwrap());
        samples.sort_unstable();
        samples
    }
}
