//! Connecting the sink whatever the broker does at start: a broker that is down or unreachable
//! is waited for with backoff (the admin server, the hubs and the queue run meanwhile, and
//! `/readyz` says why it is not ready); a broker that refuses us, or settings that cannot work,
//! end the wait with the error, which stops the process (exit code 78).

use std::time::Duration;

use signalr_proto::backoff::{self, Schedule};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::{kafka, Sink, SinkError, Target};
use crate::config::{NatsMode, SinkConfig, SinkKind};
use crate::status::AppStatus;
use crate::telemetry::Metrics;

/// Between attempts: 0.5 s, doubling, at most 10 s, no jitter (one process, one broker).
const SCHEDULE: Schedule =
    Schedule { initial_delay_ms: 500, max_delay_ms: 10_000, multiplier: 2.0, jitter: 0.0 };

/// How an attempt is made: Kafka's producer is built once and asked again (librdkafka keeps
/// reconnecting on its own); the other sinks connect afresh each time.
enum Attempts {
    Kafka(Option<kafka::KafkaSink>),
    Fresh,
}

/// The sink's `sink` metric label before it is connected.
pub fn label(config: &SinkConfig) -> &'static str {
    match config.kind {
        SinkKind::Stdout => "stdout",
        SinkKind::File => "file",
        SinkKind::Nats => match config.nats.clone().unwrap_or_default().mode {
            NatsMode::Jetstream => "jetstream",
            NatsMode::Core => "nats",
        },
        SinkKind::Kafka => "kafka",
    }
}

/// Connects, retrying what waiting can fix, until `stop`. `Ok(None)`: stopped before the
/// broker answered. `Err`: no waiting can fix it.
pub async fn until_connected(
    config: &SinkConfig,
    status: &AppStatus,
    metrics: &Metrics,
    stop: &CancellationToken,
) -> Result<Option<Sink>, SinkError> {
    let label = label(config);
    metrics.link.init(label);
    // At zero from the start, so an alert's `increase()` sees the first undelivered event.
    metrics.undelivered(label, 0);
    let mut attempts = match config.kind {
        SinkKind::Kafka => Attempts::Kafka(None),
        _ => Attempts::Fresh,
    };
    let mut failures: u32 = 0;
    loop {
        let attempt = tokio::select! {
            () = stop.cancelled() => return Ok(None),
            attempt = attempts.next(config) => attempt,
        };
        let error = match attempt {
            Ok(sink) => {
                if failures > 0 {
                    info!(sink = label, failures, "The broker answered; publishing what waited.");
                }
                return Ok(Some(sink));
            }
            Err(e) => e,
        };
        metrics.link.failed(label, error.reason());
        status.sink_attempt_failed(error.to_string());
        if error.is_permanent() {
            error!(sink = label, %error, "The sink cannot work with these settings; stopping.");
            return Err(error);
        }
        let delay = delay(failures);
        failures = failures.saturating_add(1);
        warn!(sink = label, %error, retry_in_ms = delay.as_millis() as u64, "Sink not reachable; events wait in the queue (and the spool, if configured).");
        tokio::select! {
            () = stop.cancelled() => return Ok(None),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// The wait after `failures` failed attempts, by [`SCHEDULE`].
fn delay(failures: u32) -> Duration {
    backoff::delay(&SCHEDULE, failures, 0.0)
}

impl Attempts {
    async fn next(&mut self, config: &SinkConfig) -> Result<Sink, SinkError> {
        let Attempts::Kafka(built) = self else { return Sink::connect(config).await };
        let kafka = super::kafka_section(config)?;
        let sink = match built.take() {
            Some(sink) => sink,
            None => kafka::build(kafka)?,
        };
        match kafka::reachable(&sink, &kafka.brokers).await {
            Ok(()) => Ok(Sink::new(Target::Kafka(Box::new(sink)), config)),
            Err(e) => {
                *built = Some(sink);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_half_a_second_up_to_ten() {
        let ms: Vec<u128> = (0..7).map(|n| delay(n).as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 10000, 10000]);
        assert_eq!(delay(u32::MAX), Duration::from_millis(SCHEDULE.max_delay_ms));
    }
}
