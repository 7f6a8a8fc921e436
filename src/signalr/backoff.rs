//! Capped exponential backoff with jitter: a pure function of the attempt number and a random
//! sample, so its table is testable. Also the reachability watch that ends a backoff early when
//! a hub that was down accepts connections again.

use std::time::Duration;

use crate::config::ReconnectConfig;

/// The delay before retry number `attempt` (0 = the first retry after a failure).
///
/// `sample` is a uniform random number in [0, 1); jitter spreads the delay over
/// `base * (1 ± jitter)`, so reconnecting bridges do not stampede a recovering server.
pub fn delay(policy: &ReconnectConfig, attempt: u32, sample: f64) -> Duration {
    let exp = policy.multiplier.powi(attempt.min(64) as i32);
    let base = (policy.initial_delay_ms as f64 * exp).min(policy.max_delay_ms as f64);
    let spread = policy.jitter * (2.0 * sample.clamp(0.0, 1.0) - 1.0);
    let ms = (base * (1.0 + spread)).clamp(0.0, policy.max_delay_ms as f64);
    Duration::from_millis(ms.round() as u64)
}

/// How often a hub that refused TCP connections is tried again while the bridge backs off.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long one reachability probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the hub's host accepts a TCP connection on its port now.
pub async fn reachable(url: &url::Url) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return true; // nothing to probe: back off as configured
    };
    let connect = tokio::net::TcpStream::connect((host, port));
    matches!(tokio::time::timeout(PROBE_TIMEOUT, connect).await, Ok(Ok(_)))
}

/// How long after a drop a hub that still accepts TCP is watched for going down: a server
/// shutting down closes its listener a moment after it drops its connections.
const GOING_DOWN_WATCH: Duration = Duration::from_secs(2);

/// Returns once a hub that was down accepts TCP connections again, so it is reconnected (and
/// re-subscribed) within a moment of coming back instead of after the rest of a long backoff.
/// A hub still accepting connections is watched for [`GOING_DOWN_WATCH`] in case it is on its
/// way down; one that stays up never ends this wait (it answers but fails, so the configured
/// backoff applies and it is not hammered). Only a cheap connect is repeated, never a
/// negotiate.
pub async fn until_back(url: &url::Url) {
    let watch_until = tokio::time::Instant::now() + GOING_DOWN_WATCH;
    while reachable(url).await {
        if tokio::time::Instant::now() >= watch_until {
            return std::future::pending().await;
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
    while !reachable(url).await {
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: f64) -> ReconnectConfig {
        ReconnectConfig { initial_delay_ms: 500, max_delay_ms: 30_000, multiplier: 2.0, jitter }
    }

    #[test]
    fn table_without_jitter() {
        let p = policy(0.0);
        let table: Vec<u64> = (0..10).map(|a| delay(&p, a, 0.5).as_millis() as u64).collect();
        assert_eq!(table, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    }

    #[test]
    fn jitter_bounds() {
        let p = policy(0.2);
        assert_eq!(delay(&p, 0, 0.0), Duration::from_millis(400));
        assert_eq!(delay(&p, 0, 0.5), Duration::from_millis(500));
        assert_eq!(delay(&p, 0, 0.999_999), Duration::from_millis(600));
        assert_eq!(delay(&p, 3, 0.0), Duration::from_millis(3200));
    }

    #[test]
    fn never_exceeds_cap_even_with_jitter_or_huge_attempts() {
        let p = policy(0.5);
        assert_eq!(delay(&p, 20, 0.999), Duration::from_millis(30_000));
        assert_eq!(delay(&p, u32::MAX, 0.999), Duration::from_millis(30_000));
        assert_eq!(delay(&p, u32::MAX, 0.0), Duration::from_millis(15_000));
    }
}
