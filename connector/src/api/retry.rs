//! Retry policy as data: which failures are retried, how often, how long to wait.

use std::time::Duration;

/// How failed calls are retried: network errors, 5xx, 420/429 and `REQUEST_LIMIT_EXCEEDED`,
/// with exponential backoff and full jitter. A 401 `INVALID_SESSION_ID` is answered with a
/// fresh token and does not count as a retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Upper bound of one wait.
    pub max_backoff: Duration,
    /// Growth of the wait per retry.
    pub multiplier: f64,
    /// Retry `REQUEST_LIMIT_EXCEEDED` (a concurrency limit clears quickly; the daily cap does
    /// not, so the retries are bounded like any other).
    pub retry_limit_exceeded: bool,
    /// Bulk jobs: first wait between two polls of a running job.
    pub poll_initial: Duration,
    /// Bulk jobs: longest wait between two polls.
    pub poll_max: Duration,
    /// Bulk jobs: give up waiting for a job after this long.
    pub job_timeout: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            multiplier: 2.0,
            retry_limit_exceeded: true,
            poll_initial: Duration::from_millis(50),
            poll_max: Duration::from_secs(2),
            job_timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryConfig {
    /// A policy with short waits, for tests against the emulated org.
    pub fn fast() -> Self {
        RetryConfig {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            poll_initial: Duration::from_millis(5),
            poll_max: Duration::from_millis(50),
            ..RetryConfig::default()
        }
    }

    /// The wait before retry number `retry` (0-based): full jitter over the exponential step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let base = self.initial_backoff.as_secs_f64() * self.multiplier.powi(retry.min(30) as i32);
        let capped = base.min(self.max_backoff.as_secs_f64());
        let jittered = capped * (0.5 + 0.5 * rand::random::<f64>());
        Duration::from_secs_f64(jittered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let r = RetryConfig::default();
        assert!(r.backoff(0) <= Duration::from_millis(250));
        assert!(r.backoff(1) >= Duration::from_millis(250));
        for i in 0..40 {
            assert!(r.backoff(i) <= r.max_backoff);
        }
    }
}
