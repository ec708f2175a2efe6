//! Retry written once: the policy ([`RetryConfig`]) and the one loop every retried
//! operation runs through ([`RetryConfig::run`]): HTTP sends, the token exchange and Bulk
//! result pages whose body was cut. Bulk job polling has settings of its own
//! ([`BulkPolling`]): a running job is not a failure.

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};

/// How failed calls are retried: network errors, 5xx, 420/429 and `REQUEST_LIMIT_EXCEEDED`,
/// with exponential backoff and jitter (each wait is a random time between half and all of
/// the exponential step, capped at [`Self::max_backoff`]). A 401 `INVALID_SESSION_ID` is
/// answered with a fresh token and does not count as a retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Wait before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// Upper bound of one wait.
    pub max_backoff: Duration,
    /// Growth of the wait per retry.
    pub multiplier: f64,
    /// Retry `REQUEST_LIMIT_EXCEEDED` (a concurrency limit clears quickly; the daily cap does
    /// not, so the retries are bounded like any other).
    pub retry_limit_exceeded: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            multiplier: 2.0,
            retry_limit_exceeded: true,
        }
    }
}

/// How a running Bulk job is polled until it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPolling {
    /// First wait between two polls of a running job (doubled after each poll).
    pub initial: Duration,
    /// Longest wait between two polls.
    pub max: Duration,
    /// Give up waiting for a job after this long.
    pub job_timeout: Duration,
}

impl Default for BulkPolling {
    fn default() -> Self {
        BulkPolling {
            initial: Duration::from_millis(50),
            max: Duration::from_secs(2),
            job_timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl BulkPolling {
    /// Short waits, for tests against the emulated org.
    pub fn fast() -> Self {
        BulkPolling {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            ..BulkPolling::default()
        }
    }
}

/// The outcome of one attempt of a retried operation.
pub(crate) enum Attempt<T> {
    /// It worked.
    Done(T),
    /// It failed; retried if the policy allows it for this error ([`RetryConfig::allows`]).
    Failed(Error),
    /// It failed in a way another try can always mend (a page body cut midway); retried
    /// within the policy's count.
    Transient(Error),
    /// It failed for good.
    Final(Error),
    /// The failure was mended at once (a fresh token after an expired session): try again
    /// now, without waiting and without counting a retry. The operation bounds these itself.
    Again,
}

impl RetryConfig {
    /// A policy with short waits, for tests against the emulated org.
    pub fn fast() -> Self {
        RetryConfig {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            ..RetryConfig::default()
        }
    }

    /// The wait before retry number `retry` (0-based): the exponential step
    /// (`initial_backoff × multiplier^retry`, at most `max_backoff`), of which a random
    /// half is taken off, so waits are between half and all of the step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let base = self.initial_backoff.as_secs_f64() * self.multiplier.powi(retry.min(30) as i32);
        let capped = base.min(self.max_backoff.as_secs_f64());
        let jittered = capped * (0.5 + 0.5 * rand::random::<f64>());
        Duration::from_secs_f64(jittered)
    }

    /// Whether this policy retries `error`: a retryable error, and `REQUEST_LIMIT_EXCEEDED`
    /// only with [`Self::retry_limit_exceeded`].
    pub(crate) fn allows(&self, error: &Error) -> bool {
        let limit_hit = error.error_code() == Some("REQUEST_LIMIT_EXCEEDED");
        error.is_retryable() && (self.retry_limit_exceeded || !limit_hit)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent (the last
    /// error is returned); waits [`Self::backoff`] between two tries.
    pub(crate) async fn run<T, F, Fut>(&self, context: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let mut retries = 0u32;
        loop {
            // Context only (no URL, header or body): nothing secret reaches the log.
            tracing::debug!(context, retries, "request");
            let error = match attempt().await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Again => continue,
                Attempt::Final(error) => return Err(error),
                Attempt::Failed(error) if !self.allows(&error) => return Err(error),
                Attempt::Failed(error) | Attempt::Transient(error) => error,
            };
            if retries >= self.max_retries {
                return Err(error);
            }
            let wait = self.backoff(retries);
            tracing::debug!(context, retry = retries + 1, ?wait, "retrying: {error}");
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let r = RetryConfig::default();
        assert!(r.backoff(0) <= Duration::from_millis(250));
        assert!(
            r.backoff(0) >= Duration::from_millis(125),
            "at least half the step"
        );
        assert!(r.backoff(1) >= Duration::from_millis(250));
        for i in 0..40 {
            assert!(r.backoff(i) <= r.max_backoff);
        }
    }

    fn server_error() -> Error {
        crate::api::errors::parse_error("x", 503, b"<html>busy</html>")
    }

    #[tokio::test]
    async fn the_loop_retries_what_the_policy_allows_and_no_more() {
        let policy = RetryConfig {
            max_retries: 2,
            ..RetryConfig::fast()
        };
        let tries = AtomicU32::new(0);
        let out: Result<()> = policy
            .run("x", || async {
                tries.fetch_add(1, Ordering::Relaxed);
                Attempt::Failed(server_error())
            })
            .await;
        assert_eq!(out.unwrap_err().status(), Some(503));
        assert_eq!(
            tries.load(Ordering::Relaxed),
            3,
            "first try and two retries"
        );

        let tries = AtomicU32::new(0);
        let out: Result<()> = policy
            .run("x", || async {
                tries.fetch_add(1, Ordering::Relaxed);
                Attempt::Failed(Error::protocol("x", "not retryable"))
            })
            .await;
        assert!(out.is_err());
        assert_eq!(tries.load(Ordering::Relaxed), 1);

        let limited = crate::api::errors::parse_error(
            "x",
            403,
            br#"[{"message":"limit","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        let no_limit_retries = RetryConfig {
            retry_limit_exceeded: false,
            ..policy.clone()
        };
        assert!(policy.allows(&limited));
        assert!(!no_limit_retries.allows(&limited));

        let tries = AtomicU32::new(0);
        let out = policy
            .run("x", || async {
                match tries.fetch_add(1, Ordering::Relaxed) {
                    0 | 1 => Attempt::Again,
                    2 => Attempt::Transient(Error::protocol("x", "cut")),
                    n => Attempt::Done(n),
                }
            })
            .await;
        assert_eq!(
            out.unwrap(),
            3,
            "`Again` neither waits nor counts; a cut is retried"
        );
    }
}
