//! Fault injection: make the org misbehave the way real orgs do, on purpose, from tests.

use std::sync::Arc;
use std::time::Duration;

use crate::OrgState;

/// How a request made to fail by [`Faults::fail_next`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Failure {
    /// HTTP 500 with `[{"errorCode":"UNKNOWN_EXCEPTION",…}]`.
    ServerError,
    /// HTTP 503 with an HTML maintenance page, as Salesforce's edge sends (not JSON).
    ServiceUnavailable,
    /// HTTP 403 `REQUEST_LIMIT_EXCEEDED` ("TotalRequests Limit exceeded."): the daily budget.
    RequestLimitExceeded,
    /// HTTP 403 `REQUEST_LIMIT_EXCEEDED` ("ConcurrentPerOrgLongTxn Limit exceeded."): too many
    /// long requests at once; unlike the daily budget, worth retrying shortly.
    ConcurrentRequestLimitExceeded,
    /// HTTP 502 with an HTML page from the edge.
    BadGateway,
    /// HTTP 420 with an HTML page: Salesforce's edge while an org is being set up or maintained.
    EdgeMaintenance,
    /// HTTP 400 `QUERY_TIMEOUT`: the query ran too long at the org (aggregates over a large
    /// object do); not worth retrying.
    QueryTimeout,
}

/// The faults waiting to happen.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub fail_next: Vec<Failure>,
    /// One per Bulk job still to fail, in order: its `errorMessage` (`None`: none).
    pub fail_next_jobs: Vec<Option<String>>,
    pub slow_pages: Duration,
    pub cut_next_body: Option<usize>,
    pub nul_bytes_next_page: bool,
}

/// Fault controls of a running org (also reachable over HTTP under `/__emulator/faults`).
///
/// Faults apply to the API endpoints (`/services/…`), never to `/__emulator/…`.
#[derive(Clone)]
pub struct Faults {
    pub(crate) state: Arc<OrgState>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").finish_non_exhaustive()
    }
}

impl Faults {
    /// The next `count` API requests answer with `failure` (before auth and before counting
    /// against the daily limit).
    pub fn fail_next(&self, count: usize, failure: Failure) {
        self.state
            .faults
            .lock()
            .fail_next
            .extend(std::iter::repeat_n(failure, count));
    }

    /// Every access token issued so far stops working now (401 `INVALID_SESSION_ID`);
    /// refresh tokens and credentials keep working.
    pub fn expire_all_tokens(&self) {
        self.state.auth.lock().expire_all();
    }

    /// Every open query cursor expires now: the next `nextRecordsUrl` / `queryMore` answers
    /// `INVALID_QUERY_LOCATOR`, as after 15 minutes of inactivity in a real org.
    pub fn expire_query_cursors(&self) {
        self.state.cursors.expire_all();
    }

    /// The next Bulk query job created ends in state `Failed`, with this `errorMessage`
    /// (or with none, as real jobs sometimes do).
    pub fn fail_next_bulk_job(&self, error_message: Option<&str>) {
        self.fail_next_bulk_jobs(1, error_message);
    }

    /// The next `count` Bulk query jobs created end in state `Failed`, each with this
    /// `errorMessage`: a query the org keeps failing, past a client's retries.
    pub fn fail_next_bulk_jobs(&self, count: usize, error_message: Option<&str>) {
        self.state
            .faults
            .lock()
            .fail_next_jobs
            .extend(std::iter::repeat_n(error_message.map(str::to_owned), count));
    }

    /// Every result page (REST query pages, Bulk result pages, SOAP query responses) waits this
    /// long before answering; `Duration::ZERO` turns it off.
    pub fn slow_pages(&self, delay: Duration) {
        self.state.faults.lock().slow_pages = delay;
    }

    /// The next result page sends its headers and the first `after_bytes` bytes of its body,
    /// then drops the connection.
    pub fn cut_next_body(&self, after_bytes: usize) {
        self.state.faults.lock().cut_next_body = Some(after_bytes);
    }

    /// The next Bulk result page carries a NUL byte (`\0`) inside the first value of every row,
    /// as corrupted org data sometimes does; clients are expected to strip NULs before parsing.
    pub fn nul_bytes_in_next_page(&self) {
        self.state.faults.lock().nul_bytes_next_page = true;
    }

    /// Turns SOAP `login()` on or off for the whole org (new orgs ship with it off).
    pub fn set_soap_login_enabled(&self, enabled: bool) {
        self.state.auth.lock().soap_login_enabled = enabled;
    }

    /// Cancels every pending fault.
    pub fn clear(&self) {
        *self.state.faults.lock() = FaultState::default();
    }
}
