//! The range of every numeric setting, checked in one place so that no value that parses can
//! reach the runtime and fail there: a queue larger than a channel can count panicked `run`, a
//! timeout of centuries overflows a clock, librdkafka refuses batch sizes past its own limits
//! only once the producer is built. Each refusal names the key, the range and a usable value.

use super::error::{invalid, ConfigError};
use super::Config;

const DAY_SECS: u64 = 86_400;
const YEAR_SECS: u64 = 365 * DAY_SECS;
const DAY_MS: u64 = DAY_SECS * 1_000;
const GIB: u64 = 1 << 30;
const PIB: u64 = 1 << 50;

/// One setting: its key, value, the inclusive range it must lie in, and an example.
struct Limit {
    key: String,
    value: u64,
    min: u64,
    max: u64,
    example: &'static str,
}

fn limit(key: impl Into<String>, value: u64, min: u64, max: u64, example: &'static str) -> Limit {
    Limit { key: key.into(), value, min, max, example }
}

/// Refuses the first setting outside its range.
pub(super) fn check(config: &Config) -> Result<(), ConfigError> {
    let stream = config.sink.nats.as_ref().and_then(|n| n.stream.as_ref());
    // A signed size: -1 and 0 mean no limit.
    if let Some(max) = stream.map(|s| s.max_bytes).filter(|&m| m < -1) {
        let problem = format!("{max} is below -1");
        return Err(invalid("sink.nats.stream.max_bytes", problem, "use 0 (no limit) or a size"));
    }
    for l in limits(config) {
        if !(l.min..=l.max).contains(&l.value) {
            let problem = format!("{} is outside {}..={}", l.value, l.min, l.max);
            let fix = format!("use a value in that range, e.g. {}", l.example);
            return Err(invalid(l.key, problem, &fix));
        }
    }
    Ok(())
}

fn limits(config: &Config) -> Vec<Limit> {
    let usize = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let mut all = vec![
        // Memory, not disk: more than this belongs in the spool (`queue.spool`).
        limit("queue.capacity", usize(config.queue.capacity), 1, 10_000_000, "10000"),
        limit("sink.max_in_flight", usize(config.sink.max_in_flight), 1, 1_000_000, "1024"),
        limit("shutdown.grace_period_secs", config.shutdown.grace_period_secs, 1, DAY_SECS, "30"),
    ];
    for (i, hub) in config.hubs.iter().enumerate() {
        let key = |field: &str| format!("hubs[{i}].{field}");
        let rc = &hub.reconnect;
        all.extend([
            limit(key("keepalive_interval_secs"), hub.keepalive_interval_secs, 1, DAY_SECS, "15"),
            limit(key("server_timeout_secs"), hub.server_timeout_secs, 1, DAY_SECS, "30"),
            limit(key("handshake_timeout_secs"), hub.handshake_timeout_secs, 1, DAY_SECS, "15"),
            limit(key("reconnect.initial_delay_ms"), rc.initial_delay_ms, 1, DAY_MS, "500"),
            limit(key("reconnect.max_delay_ms"), rc.max_delay_ms, 1, DAY_MS, "30000"),
        ]);
        if let Some(hpc) = &hub.hpc_pack {
            let after = hpc.stop_listening_after_terminal_secs;
            all.push(limit(
                key("hpc_pack.stop_listening_after_terminal_secs"),
                after,
                0,
                YEAR_SECS,
                "300",
            ));
        }
        if let Some(d) = &hub.discovery {
            all.push(limit(key("discovery.interval_secs"), d.interval_secs, 1, DAY_SECS, "30"));
            all.push(limit(
                key("discovery.max_followed"),
                usize(d.max_followed),
                1,
                100_000,
                "100",
            ));
        }
        if let Some(oauth) = &hub.auth.oauth2 {
            let margin = oauth.refresh_margin_secs;
            all.push(limit(key("auth.oauth2.refresh_margin_secs"), margin, 0, DAY_SECS, "30"));
        }
    }
    if let Some(spool) = &config.queue.spool {
        let segment = spool.segment_bytes;
        all.extend([
            limit("queue.spool.fsync_interval_ms", spool.fsync_interval_ms, 1, DAY_MS, "1000"),
            limit("queue.spool.max_outage_secs", spool.max_outage_secs, 1, YEAR_SECS, "3600"),
            // A segment holds many events: too small a one makes a file per event.
            limit("queue.spool.segment_bytes", segment, 4096, GIB, "67108864"),
            // At least one segment.
            limit("queue.spool.max_bytes", spool.max_bytes, segment, PIB, "1073741824"),
        ]);
    }
    if let Some(sim) = &config.simulator {
        all.extend([
            limit("simulator.rate_per_sec", sim.rate_per_sec.into(), 1, 100_000, "20"),
            limit("simulator.cars", sim.cars.into(), 1, 1_000, "12"),
        ]);
    }
    if let Some(sim) = &config.hpc_simulator {
        all.extend([
            limit("hpc_simulator.rate_per_sec", sim.rate_per_sec.into(), 1, 100_000, "4"),
            limit("hpc_simulator.tasks_per_job", sim.tasks_per_job.into(), 0, 10_000, "2"),
        ]);
    }
    if let Some(nats) = &config.sink.nats {
        all.push(limit("sink.nats.ack_timeout_secs", nats.ack_timeout_secs, 1, DAY_SECS, "5"));
        if let Some(stream) = &nats.stream {
            let window = stream.duplicate_window_secs;
            all.push(limit("sink.nats.stream.duplicate_window_secs", window, 1, YEAR_SECS, "120"));
        }
    }
    if let Some(kafka) = &config.sink.kafka {
        // librdkafka's own ranges for linger.ms, batch.size, batch.num.messages and
        // message.timeout.ms.
        all.extend([
            limit("sink.kafka.linger_ms", kafka.linger_ms, 0, 900_000, "5"),
            limit("sink.kafka.batch_bytes", kafka.batch_bytes, 1, 2_147_483_647, "1000000"),
            limit("sink.kafka.batch_messages", kafka.batch_messages, 1, 1_000_000, "10000"),
            limit(
                "sink.kafka.message_timeout_ms",
                kafka.message_timeout_ms,
                0,
                2_147_483_647,
                "300000",
            ),
        ]);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    const STDOUT: &str = "sink: { kind: stdout }\n";

    /// A config of one hub (with `hub_extra` under it), `sink` and `extra` top-level YAML.
    fn load(hub_extra: &str, sink: &str, extra: &str) -> Result<Config, ConfigError> {
        let text = format!(
            "hubs:\n  - name: a\n    url: http://127.0.0.1:1/hub\n{hub_extra}{sink}{extra}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, text).unwrap();
        super::super::load(Some(&path), std::iter::empty())
    }

    fn refused_key(result: Result<Config, ConfigError>) -> String {
        match result {
            Err(ConfigError::Invalid { key, problem, fix }) => {
                assert!(problem.contains("outside"), "{problem}");
                assert!(fix.contains("e.g."), "{fix}");
                key
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_inside_every_range() {
        assert!(load("", STDOUT, "").is_ok());
        let kafka = "sink: { kind: kafka, kafka: { brokers: '127.0.0.1:9092' } }\n";
        assert!(load("", kafka, "").is_ok());
    }

    #[test]
    fn a_queue_larger_than_memory_should_hold_is_refused_by_key() {
        // Past u64: the number reaches serde as a float and saturates; it must still be refused.
        let huge = load("", STDOUT, "queue: { capacity: 99999999999999999999 }\n");
        assert_eq!(refused_key(huge), "queue.capacity");
        let big = load("", STDOUT, "queue: { capacity: 10000001 }\n");
        assert_eq!(refused_key(big), "queue.capacity");
        assert!(load("", STDOUT, "queue: { capacity: 10000000 }\n").is_ok());
    }

    #[test]
    fn spool_and_stream_sizes_are_checked() {
        let spool = |seg: u64, max: u64| {
            format!(
                "queue: {{ spool: {{ dir: /tmp/s, segment_bytes: {seg}, max_bytes: {max} }} }}\n"
            )
        };
        assert_eq!(refused_key(load("", STDOUT, &spool(0, 1 << 30))), "queue.spool.segment_bytes");
        assert_eq!(refused_key(load("", STDOUT, &spool(1 << 20, 1000))), "queue.spool.max_bytes");
        assert!(load("", STDOUT, &spool(1 << 20, 1 << 20)).is_ok());
        let nats = |max: i64| {
            format!("sink: {{ kind: nats, nats: {{ stream: {{ name: S, subjects: ['s.>'], max_bytes: {max} }} }} }}\n")
        };
        assert!(load("", &nats(-1), "").is_ok());
        let refused = load("", &nats(-2), "");
        assert!(
            matches!(refused, Err(ConfigError::Invalid { key, .. }) if key == "sink.nats.stream.max_bytes")
        );
    }

    #[test]
    fn timeouts_of_centuries_and_kafka_values_librdkafka_refuses_are_named() {
        let hub = "    handshake_timeout_secs: 100000000000\n";
        assert_eq!(refused_key(load(hub, STDOUT, "")), "hubs[0].handshake_timeout_secs");
        let hub = "    reconnect: { initial_delay_ms: 500, max_delay_ms: 99999999999 }\n";
        assert_eq!(refused_key(load(hub, STDOUT, "")), "hubs[0].reconnect.max_delay_ms");
        let grace = "shutdown: { grace_period_secs: 9999999 }\n";
        assert_eq!(refused_key(load("", STDOUT, grace)), "shutdown.grace_period_secs");
        let kafka =
            "sink: { kind: kafka, kafka: { brokers: 'k:9092', batch_messages: 1000001 } }\n";
        assert_eq!(refused_key(load("", kafka, "")), "sink.kafka.batch_messages");
        let linger = "sink: { kind: kafka, kafka: { brokers: 'k:9092', linger_ms: 900001 } }\n";
        assert_eq!(refused_key(load("", linger, "")), "sink.kafka.linger_ms");
    }
}
