//! The API layer: everything that goes over HTTP to the org, and nothing above it.
//!
//! It takes plain settings ([`ApiSettings`]: the API version, the credentials, the HTTP
//! behaviour), never a connection file. Every request goes through [`ApiClient::send`],
//! which adds the token from the credential provider (`auth`), retries by
//! [`RetryConfig`], renews an expired session, bounds concurrency and tracks
//! `Sforce-Limit-Info`. The wire types of each API (`rest`, `bulk2`, `soap`, `describe`)
//! live next to their calls; the layers above map them (describe to Arrow in `schema`,
//! pages to record batches in `extract`).

mod auth;
pub(crate) mod bulk2;
mod cleanup;
pub(crate) mod describe;
pub(crate) mod errors;
pub(crate) mod rest;
mod retry;
mod settings;
pub(crate) mod soap;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use bytes::Bytes;
use futures::Stream;
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use tokio::sync::{OwnedSemaphorePermit, RwLock, Semaphore};
use url::Url;

pub(crate) use cleanup::JobSlot;
pub use cleanup::wait_for_job_cleanup;
pub use rest::{DeletedRecord, DeletedRecords};
pub(crate) use retry::Attempt;
pub use retry::{BulkPolling, RetryConfig};
pub use settings::{ApiVersion, CaBundle, Credentials, HttpSettings};

use crate::error::{Error, Result};
use auth::Authenticator;
pub(crate) use auth::Token;

/// What the API client needs to connect: where, as whom, with which API version, and how
/// to behave on the wire.
#[derive(Debug, Clone)]
pub(crate) struct ApiSettings {
    /// The org's My Domain URL (the token endpoint's host).
    pub domain_url: Url,
    pub credentials: Credentials,
    pub version: ApiVersion,
    pub http: HttpSettings,
}

/// API calls used in the org's rolling 24 hours, from the last `Sforce-Limit-Info` seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiUsage {
    /// Calls used (`api-usage=USED/..`).
    pub used: u64,
    /// The org's daily limit (`api-usage=../LIMIT`).
    pub limit: u64,
}

/// A request body; SOAP bodies carry the session id and are rendered per attempt.
#[derive(Clone)]
pub(crate) enum Body {
    Empty,
    Json(Vec<u8>),
    Soap(Arc<dyn Fn(&str) -> String + Send + Sync>),
}

/// One logical call (retried as a whole).
#[derive(Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// A path on the instance (`/services/data/..`) or an absolute URL.
    pub target: String,
    pub body: Body,
    pub accept: &'static str,
    pub context: String,
}

impl Call {
    pub(crate) fn get(target: impl Into<String>, context: impl Into<String>) -> Self {
        Call {
            method: Method::GET,
            target: target.into(),
            body: Body::Empty,
            accept: "application/json",
            context: context.into(),
        }
    }
}

/// A successful (2xx) response whose body has not been read yet. Holds its concurrency
/// permit until dropped or turned into a stream ([`Reply::into_stream`]).
pub(crate) struct Reply {
    pub headers: HeaderMap,
    pub response: reqwest::Response,
    pub permit: OwnedSemaphorePermit,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as a stream of chunks. The concurrency slot is given back now, not when the
    /// body ends: a streamed body (a result page) is read at its consumer's pace, and a
    /// consumer may wait on another scan of the same session (the probe side of a hash join
    /// waits for its build side), which would then never get the slot it needs: a hang. The
    /// bodies in flight are bounded by the scans' partitions instead, one page each.
    pub(crate) fn into_stream(self) -> impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static {
        drop(self.permit);
        self.response.bytes_stream()
    }
}

struct TokenState {
    token: Arc<Token>,
    generation: u64,
}

/// The authenticated HTTP client of one session.
pub(crate) struct ApiClient {
    http: reqwest::Client,
    version: ApiVersion,
    token: RwLock<TokenState>,
    refresh: tokio::sync::Mutex<()>,
    auth: Authenticator,
    retry: RetryConfig,
    polling: BulkPolling,
    concurrency: usize,
    permits: Arc<Semaphore>,
    used: AtomicU64,
    limit: AtomicU64,
    calls: AtomicU64,
    refreshes: AtomicU64,
    jobs: Arc<cleanup::OpenJobs>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("version", &self.version)
            .field("calls", &self.calls.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The reqwest client every session uses: rustls, gzip, timeouts, a product user agent.
fn http_client(http: &HttpSettings) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("sfdf/", env!("CARGO_PKG_VERSION")))
        .gzip(http.gzip)
        .connect_timeout(http.connect_timeout)
        .read_timeout(http.read_timeout)
        .pool_max_idle_per_host(http.max_concurrency.max(1) * 2);
    for certificate in http.ca_bundle.iter().flat_map(CaBundle::certificates) {
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| Error::http("building the HTTP client", e))
}

impl ApiClient {
    /// Authenticates and returns a ready client.
    pub(crate) async fn connect(settings: &ApiSettings) -> Result<ApiClient> {
        let http = http_client(&settings.http)?;
        let auth = Authenticator::new(http.clone(), settings);
        let token = auth.token().await?;
        Ok(ApiClient {
            http,
            version: settings.version,
            token: RwLock::new(TokenState {
                token: Arc::new(token),
                generation: 0,
            }),
            refresh: tokio::sync::Mutex::new(()),
            auth,
            retry: settings.http.retry.clone(),
            polling: settings.http.polling.clone(),
            concurrency: settings.http.max_concurrency.max(1),
            permits: Arc::new(Semaphore::new(settings.http.max_concurrency.max(1))),
            used: AtomicU64::new(0),
            limit: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            jobs: Arc::default(),
        })
    }

    pub(crate) fn version(&self) -> ApiVersion {
        self.version
    }

    pub(crate) fn retry(&self) -> &RetryConfig {
        &self.retry
    }

    /// How Bulk jobs are polled.
    pub(crate) fn polling(&self) -> &BulkPolling {
        &self.polling
    }

    /// Most requests in flight at once.
    pub(crate) fn concurrency(&self) -> usize {
        self.concurrency
    }

    pub(crate) async fn token(&self) -> Arc<Token> {
        Arc::clone(&self.token.read().await.token)
    }

    /// `/services/data/vXX.X/{rest}`.
    pub(crate) fn data_path(&self, rest: &str) -> String {
        format!(
            "/services/data/v{}/{}",
            self.version,
            rest.trim_start_matches('/')
        )
    }

    pub(crate) fn usage(&self) -> ApiUsage {
        ApiUsage {
            used: self.used.load(Ordering::Relaxed),
            limit: self.limit.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub(crate) fn token_refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Counts a Bulk job about to be created until the slot is dropped (after its DELETE).
    pub(crate) fn reserve_job(&self) -> JobSlot {
        self.jobs.reserve()
    }

    /// Waits until every Bulk job of this client is deleted, or `timeout` passed; returns
    /// how many are left.
    pub(crate) async fn jobs_settled(&self, timeout: std::time::Duration) -> usize {
        self.jobs.settled(timeout).await
    }

    pub(crate) fn note_usage(&self, used: u64, limit: u64) {
        self.used.store(used, Ordering::Relaxed);
        self.limit.store(limit, Ordering::Relaxed);
    }

    fn track_limits(&self, headers: &HeaderMap) {
        if let Some((used, limit)) = headers
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_limit_info)
        {
            self.note_usage(used, limit);
        }
    }

    async fn renew_token(&self, seen_generation: u64) -> Result<()> {
        let _one_at_a_time = self.refresh.lock().await;
        if self.token.read().await.generation != seen_generation {
            return Ok(()); // someone else renewed it meanwhile
        }
        tracing::debug!("session expired; getting a new token");
        let token = self.auth.token().await?;
        let mut state = self.token.write().await;
        state.token = Arc::new(token);
        state.generation += 1;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Sends a call and returns a 2xx reply (body unread); retries per policy. An expired
    /// session is renewed (twice at most) without counting as a retry.
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply> {
        let renewals = AtomicU32::new(0);
        self.retry
            .run(&call.context, || async {
                match self.send_once(call).await {
                    Ok(reply) => Attempt::Done(reply),
                    Err((error, generation))
                        if error.error_code() == Some("INVALID_SESSION_ID")
                            && renewals.fetch_add(1, Ordering::Relaxed) < 2 =>
                    {
                        match self.renew_token(generation).await {
                            Ok(()) => Attempt::Again,
                            Err(e) => Attempt::Final(e),
                        }
                    }
                    Err((error, _)) => Attempt::Failed(error),
                }
            })
            .await
    }

    /// One try of a call; a failure comes with the token generation it was sent with.
    async fn send_once(&self, call: &Call) -> std::result::Result<Reply, (Error, u64)> {
        let (token, generation) = {
            let s = self.token.read().await;
            (Arc::clone(&s.token), s.generation)
        };
        let failed = |error: Error| (error, generation);
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| failed(Error::protocol(&call.context, "client closed")))?;
        let url = if call.target.starts_with("http://") || call.target.starts_with("https://") {
            Url::parse(&call.target)
        } else {
            token.instance_url.join(&call.target)
        }
        .map_err(|e| {
            failed(Error::protocol(
                &call.context,
                format!("bad URL {}: {e}", call.target),
            ))
        })?;
        let secret = token.access_token.expose_secret();
        let mut req = self
            .http
            .request(call.method.clone(), url)
            .header("Accept", call.accept);
        req = match &call.body {
            Body::Empty => req.bearer_auth(secret),
            Body::Json(b) => req
                .bearer_auth(secret)
                .header("Content-Type", "application/json; charset=UTF-8")
                .body(b.clone()),
            Body::Soap(render) => req
                .header("Content-Type", "text/xml; charset=UTF-8")
                .header("SOAPAction", "\"\"")
                .body(render(secret)),
        };
        self.calls.fetch_add(1, Ordering::Relaxed);
        let resp = req
            .send()
            .await
            .map_err(|e| failed(Error::http(&call.context, e)))?;
        self.track_limits(resp.headers());
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            return Ok(Reply {
                headers: resp.headers().clone(),
                response: resp,
                permit,
            });
        }
        let body = resp.bytes().await.unwrap_or_default();
        drop(permit);
        Err(failed(errors::parse_error(&call.context, status, &body)))
    }

    /// Sends a call and reads the whole body; a body cut midway is retried like a failed call.
    pub(crate) async fn send_bytes(&self, call: &Call) -> Result<(HeaderMap, Bytes)> {
        self.retry
            .run(&call.context, || async {
                let reply = match self.send(call).await {
                    Ok(reply) => reply,
                    Err(e) => return Attempt::Final(e),
                };
                let headers = reply.headers.clone();
                match reply.response.bytes().await {
                    Ok(body) => Attempt::Done((headers, body)),
                    Err(e) => Attempt::Transient(Error::http(&call.context, e)),
                }
            })
            .await
    }

    /// GET a JSON document.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        target: &str,
        context: &str,
    ) -> Result<T> {
        let (_, body) = self.send_bytes(&Call::get(target, context)).await?;
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        serde_json::from_slice(body)
            .map_err(|e| Error::protocol_from(context, "unexpected JSON", e))
    }
}

/// `api-usage=10018/100000; per-app-api-usage=..` → (10018, 100000).
pub(crate) fn parse_limit_info(value: &str) -> Option<(u64, u64)> {
    value.split(';').find_map(|part| {
        let (used, limit) = part.trim().strip_prefix("api-usage=")?.split_once('/')?;
        Some((used.trim().parse().ok()?, limit.trim().parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_info_header() {
        assert_eq!(
            parse_limit_info("api-usage=10018/100000"),
            Some((10018, 100000))
        );
        assert_eq!(
            parse_limit_info("api-usage=17/15000; per-app-api-usage=17/250(appName=sample-app)"),
            Some((17, 15000))
        );
        assert_eq!(
            parse_limit_info("per-app-api-usage=17/250(appName=x)"),
            None
        );
    }
}
