//! Creating the topics the template names (`sink.kafka.create_topics`): once per topic, before
//! its first record, with the configured partitions, replication and topic settings. A topic
//! that already exists is left as it is.

use std::collections::HashSet;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use tracing::{info, warn};

use crate::config::KafkaTopicCreation;

/// How long one CreateTopics request may take before the bridge goes on without it.
const CREATE_TIMEOUT: Duration = Duration::from_secs(10);

/// Creates topics on first sight.
pub struct TopicMaker {
    admin: AdminClient<DefaultClientContext>,
    spec: KafkaTopicCreation,
    /// Topics that exist (created now or before), or whose creation failed and was reported:
    /// asked about once each.
    known: HashSet<String>,
}

impl TopicMaker {
    pub fn new(admin: AdminClient<DefaultClientContext>, spec: KafkaTopicCreation) -> TopicMaker {
        TopicMaker { admin, spec, known: HashSet::new() }
    }

    /// Makes sure `topic` exists. A refusal is logged with its fix and not asked again: the
    /// records then fail with "unknown topic" and the publisher's retries take over.
    pub async fn ensure(&mut self, topic: &str) {
        if self.known.contains(topic) {
            return;
        }
        self.known.insert(topic.to_owned());
        let spec = &self.spec;
        let mut new =
            NewTopic::new(topic, spec.partitions, TopicReplication::Fixed(spec.replication_factor));
        for (key, value) in &spec.config {
            new = new.set(key, value);
        }
        let options = AdminOptions::new().operation_timeout(Some(CREATE_TIMEOUT));
        let outcome = match self.admin.create_topics([&new], &options).await {
            Ok(mut results) => results.pop().map(|r| r.map_err(|(_, code)| code)),
            Err(e) => {
                // The request itself failed (brokers unreachable): ask again on the next record.
                warn!(topic, error = %e, "Could not ask Kafka to create the topic.");
                self.known.remove(topic);
                return;
            }
        };
        match outcome {
            Some(Ok(_)) => info!(
                topic,
                partitions = spec.partitions,
                replication_factor = spec.replication_factor,
                "Created Kafka topic."
            ),
            Some(Err(RDKafkaErrorCode::TopicAlreadyExists)) | None => {}
            Some(Err(code)) => warn!(
                topic,
                error = %code,
                "Kafka refused to create the topic; create it yourself, or fix \
                 `sink.kafka.create_topics` (replication above the broker count?) or the ACLs."
            ),
        }
    }
}
