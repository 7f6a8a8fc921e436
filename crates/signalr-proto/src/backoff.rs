//! Capped exponential backoff with jitter: a pure function of the attempt number and a random
//! sample, so its table is testable. Sleeping is the caller's.

use std::time::Duration;

/// A retry schedule: the first delay, its growth and cap, and the random spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub initial_delay_ms: u64,
    pub max_delay_ms: u64,
    pub multiplier: f64,
    /// Spread as a fraction of the delay (0.2 = ±20%).
    pub jitter: f64,
}

/// The delay before retry number `attempt` (0 = the first retry after a failure).
///
/// `sample` is a uniform random number in [0, 1); jitter spreads the delay over
/// `base * (1 ± jitter)`, so reconnecting bridges do not stampede a recovering server.
pub fn delay(policy: &Schedule, attempt: u32, sample: f64) -> Duration {
    let exp = policy.multiplier.powi(attempt.min(64) as i32);
    let base = (policy.initial_delay_ms as f64 * exp).min(policy.max_delay_ms as f64);
    let spread = policy.jitter * (2.0 * sample.clamp(0.0, 1.0) - 1.0);
    let ms = (base * (1.0 + spread)).clamp(0.0, policy.max_delay_ms as f64);
    Duration::from_millis(ms.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: f64) -> Schedule {
        Schedule { initial_delay_ms: 500, max_delay_ms: 30_000, multiplier: 2.0, jitter }
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
