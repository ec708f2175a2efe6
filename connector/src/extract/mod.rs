//! Extraction: a [`SoqlQuery`] becomes an [`ExtractPlan`] of partitions, each opened as a
//! stream of Arrow record batches.
//!
//! # Contract (what the DataFusion provider relies on)
//!
//! 1. Build the query: [`Session::query_for`](crate::Session::query_for) gives the
//!    connection's base query for an object (its configured fields, or every column, and its
//!    data sync filter); narrow it with [`SoqlQuery::columns`], add pushed filters with
//!    [`SoqlQuery::and_filter`] (they are ANDed with the sync filter), set
//!    [`SoqlQuery::limit`].
//! 2. [`Session::plan_with`](crate::Session::plan_with) (async, but sends at most describe
//!    calls, which are cached) checks names, filter fields and filterability against
//!    describe and fixes the partition count: [`PlanOptions::partitions`] for `bulkv2`, 1
//!    for `soap`/`rest` (a cursor is sequential). No job runs at plan time, so `EXPLAIN`
//!    costs nothing.
//! 3. The first [`ExtractPlan::open`]ed partition to be polled runs the Bulk job once for
//!    all (create, poll to `JobComplete`, re-create a `Failed` job up to
//!    [`PlanOptions::job_attempts`] times, list result pages via `resultPages`). Pages are
//!    spread over the partitions in contiguous runs; without `resultPages` partition 0
//!    walks the locators and the others are empty. [`ExtractPlan::prepare`] runs it eagerly.
//! 4. [`ExtractPlan::open`]`(i)` returns partition `i` as a [`BatchStream`] (`'static`,
//!    `Send`, on its own task); partitions may be polled concurrently. Every batch has exactly
//!    [`ExtractPlan::schema`] (the projected columns in query order; the same for all three
//!    API types). A query with no columns yields batches with no columns and the right row
//!    counts (for `COUNT(*)`).
//! 5. Faults are handled inside the stream: expired tokens are renewed, 5xx/limit errors and
//!    bodies cut midway are retried by re-fetching the page and skipping the rows already
//!    emitted, so a stream never loses or duplicates a row. An error that reaches the stream
//!    is final.
//! 6. The Bulk job is deleted when the plan and all its streams are dropped, and aborted if
//!    every stream is dropped while the job still runs.

mod csv;
pub(crate) mod read;
pub(crate) mod text;

use std::pin::Pin;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::config::ApiType;
use crate::error::{Error, Result};
use crate::session::Session;

pub use csv::{BulkCsvDecoder, CsvFormat};

/// A stream of record batches of one partition (or of a whole plan).
pub type BatchStream = Pin<Box<dyn Stream<Item = Result<RecordBatch>> + Send>>;

/// What to extract: one object's columns, filtered and limited.
#[derive(Debug, Clone, PartialEq)]
pub struct SoqlQuery {
    /// Object API name, e.g. `Account`.
    pub object: String,
    /// Field API names in output order. Empty = no columns, only row counts.
    pub columns: Vec<String>,
    /// `WHERE`: the data sync filter AND every pushed filter.
    pub filter: Option<soql::Expr>,
    /// `LIMIT`.
    pub limit: Option<u64>,
    /// Include soft-deleted and archived rows (`queryAll`); they carry `IsDeleted = true`.
    pub include_deleted: bool,
}

impl SoqlQuery {
    /// A query of `object` with no columns, no filter, no limit.
    pub fn new(object: impl Into<String>) -> Self {
        SoqlQuery {
            object: object.into(),
            columns: Vec::new(),
            filter: None,
            limit: None,
            include_deleted: false,
        }
    }

    /// Replaces the columns.
    pub fn columns<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// ANDs a condition onto the filter.
    pub fn and_filter(mut self, condition: soql::Expr) -> Self {
        self.filter = Some(match self.filter.take() {
            None => condition,
            Some(soql::Expr::And(mut parts)) => {
                parts.push(condition);
                soql::Expr::And(parts)
            }
            Some(existing) => soql::Expr::And(vec![existing, condition]),
        });
        self
    }

    /// Sets the row limit.
    pub fn limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// Includes deleted rows (`queryAll`).
    pub fn include_deleted(mut self, yes: bool) -> Self {
        self.include_deleted = yes;
        self
    }

    /// The SOQL text sent to the org (`SELECT .. FROM .. [WHERE ..] [LIMIT ..]`). With no
    /// columns, `Id` is selected (SOQL needs one field) and dropped from the batches.
    pub fn to_soql(&self) -> String {
        let select = if self.columns.is_empty() {
            "Id".to_string()
        } else {
            self.columns.join(", ")
        };
        let mut text = format!("SELECT {select} FROM {}", self.object);
        if let Some(f) = &self.filter {
            text.push_str(" WHERE ");
            text.push_str(&f.to_string());
        }
        if let Some(n) = self.limit {
            text.push_str(&format!(" LIMIT {n}"));
        }
        text
    }
}

/// Tuning of [`Session::plan_with`](crate::Session::plan_with).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Partitions of a `bulkv2` plan (fixed at plan time; result pages are spread over
    /// them). `soap`/`rest` plans always have one partition (a cursor is sequential).
    pub partitions: usize,
    /// Rows per record batch.
    pub batch_size: usize,
    /// Bulk: how many times a `Failed` job is created again before giving up.
    pub job_attempts: u32,
    /// Bulk: `maxRecords` per result page; `None` lets Salesforce choose.
    pub page_rows: Option<u64>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            partitions: 4,
            batch_size: 8192,
            job_attempts: 3,
            page_rows: None,
        }
    }
}

/// Where rows come from. Serializable, so a prepared scan can be shipped to an executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageSource {
    /// One Bulk result page, by its results URL (relative to the instance, with its locator).
    BulkPage {
        /// Job id.
        job_id: String,
        /// `/services/data/vXX.X/jobs/query/{id}/results?locator=..`.
        url: String,
    },
    /// Every Bulk result page of the job, following `Sforce-Locator` from the first.
    BulkAllPages {
        /// Job id.
        job_id: String,
    },
    /// The whole query through REST (`query` + `nextRecordsUrl`) or SOAP (`query` + `queryMore`).
    Cursor {
        /// The SOQL text.
        soql: String,
        /// `queryAll` instead of `query`.
        include_deleted: bool,
    },
}

/// The finished Bulk job behind a plan: its pages, and the guard that deletes it.
#[derive(Debug)]
pub(crate) struct PreparedJob {
    pub guard: crate::api::bulk2::JobGuard,
    /// Result page URLs, when the org lists them (`resultPages`); else walk locators.
    pub pages: Option<Vec<String>>,
    pub total_rows: Option<u64>,
}

/// A planned query with a fixed number of partitions. Cheap to clone (shared).
///
/// Nothing is sent to the org until the first partition is opened (or [`Self::prepare`]
/// is awaited); then a `bulkv2` plan runs its job once for all partitions. The job is
/// deleted when the last clone of the plan is dropped, and aborted if every stream is
/// dropped while it still runs.
#[derive(Debug, Clone)]
pub struct ExtractPlan {
    pub(crate) inner: Arc<PlanInner>,
}

#[derive(Debug)]
pub(crate) struct PlanInner {
    pub session: Session,
    pub query: SoqlQuery,
    pub soql: String,
    pub api_type: ApiType,
    pub schema: SchemaRef,
    pub partitions: usize,
    pub options: PlanOptions,
    pub job: tokio::sync::OnceCell<std::result::Result<PreparedJob, Arc<Error>>>,
    pub rows_read: std::sync::atomic::AtomicU64,
    pub bytes_read: std::sync::atomic::AtomicU64,
}

impl PlanInner {
    /// Counts what a partition read and stops the extraction past the connection's limits.
    pub(crate) fn account(&self, rows: u64, bytes: u64) -> Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let rows = self.rows_read.fetch_add(rows, Relaxed) + rows;
        let bytes = self.bytes_read.fetch_add(bytes, Relaxed) + bytes;
        let limits = self.session.connection().limits();
        if rows > limits.max_rows {
            return Err(Error::LimitExceeded {
                object: self.query.object.clone(),
                limit: format!("{} rows", limits.max_rows),
            });
        }
        if bytes > limits.max_bytes {
            return Err(Error::LimitExceeded {
                object: self.query.object.clone(),
                limit: format!("{} bytes", limits.max_bytes),
            });
        }
        Ok(())
    }
}

impl ExtractPlan {
    /// The Arrow schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.inner.schema)
    }
    /// The SOQL sent to the org.
    pub fn soql(&self) -> &str {
        &self.inner.soql
    }
    /// The query planned (names in the org's casing).
    pub fn query(&self) -> &SoqlQuery {
        &self.inner.query
    }
    /// The API that extracts.
    pub fn api_type(&self) -> ApiType {
        self.inner.api_type
    }
    /// Number of partitions (fixed at plan time).
    pub fn partition_count(&self) -> usize {
        self.inner.partitions
    }
    /// The fewest API calls the extraction will make (Bulk: create, poll, list pages, one
    /// page, delete; REST/SOAP: one per 2,000 rows when the limit is known, else 1).
    pub fn min_api_calls(&self) -> u64 {
        match self.inner.api_type {
            ApiType::BulkV2 => 5,
            _ => self
                .inner
                .query
                .limit
                .map_or(1, |n| n.div_ceil(2000).max(1)),
        }
    }
    /// Total rows once the Bulk job ran (`numberRecordsProcessed`); `None` before or for
    /// REST/SOAP.
    pub fn total_rows(&self) -> Option<u64> {
        self.inner.job.get()?.as_ref().ok()?.total_rows
    }
    /// Rows emitted so far, over all partitions.
    pub fn rows_read(&self) -> u64 {
        self.inner
            .rows_read
            .load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Response body bytes read so far (decompressed; re-fetched pages count again).
    pub fn bytes_read(&self) -> u64 {
        self.inner
            .bytes_read
            .load(std::sync::atomic::Ordering::Relaxed)
    }
    /// The Bulk job id once it was created.
    pub fn job_id(&self) -> Option<&str> {
        Some(self.inner.job.get()?.as_ref().ok()?.guard.id())
    }

    /// Runs the Bulk job now (a no-op for REST/SOAP, and after the first call).
    pub async fn prepare(&self) -> Result<()> {
        if self.inner.api_type != ApiType::BulkV2 {
            return Ok(());
        }
        self.prepared().await.map(|_| ())
    }

    pub(crate) async fn prepared(&self) -> Result<&PreparedJob> {
        let inner = &self.inner;
        let r = inner
            .job
            .get_or_init(|| async { read::run_job(inner).await.map_err(Arc::new) })
            .await;
        r.as_ref().map_err(|e| Error::Shared(Arc::clone(e)))
    }

    /// The pages partition `index` reads, once prepared.
    pub(crate) async fn pages_of(&self, index: usize) -> Result<Vec<PageSource>> {
        if self.inner.api_type != ApiType::BulkV2 {
            return Ok(if index == 0 {
                vec![PageSource::Cursor {
                    soql: self.inner.soql.clone(),
                    include_deleted: self.inner.query.include_deleted,
                }]
            } else {
                vec![]
            });
        }
        let job = self.prepared().await?;
        let job_id = job.guard.id().to_string();
        Ok(match &job.pages {
            None => {
                if index == 0 {
                    vec![PageSource::BulkAllPages { job_id }]
                } else {
                    vec![]
                }
            }
            Some(pages) => {
                let n = self.inner.partitions.max(1);
                let (start, end) = (index * pages.len() / n, (index + 1) * pages.len() / n);
                pages[start..end]
                    .iter()
                    .map(|url| PageSource::BulkPage {
                        job_id: job_id.clone(),
                        url: url.clone(),
                    })
                    .collect()
            }
        })
    }

    /// Opens partition `index` as a stream of record batches (a `'static`, `Send` stream
    /// running on its own task; dropping it stops the work).
    pub fn open(&self, index: usize) -> Result<BatchStream> {
        if index >= self.inner.partitions {
            return Err(Error::protocol(
                "open partition",
                format!(
                    "partition {index} does not exist (the plan has {})",
                    self.inner.partitions
                ),
            ));
        }
        Ok(read::open_partition(self.clone(), index))
    }

    /// Every partition in order, as one stream; the next partitions are fetched ahead
    /// while the current one is read (bounded by the session's concurrency).
    pub fn stream(&self) -> BatchStream {
        use futures::StreamExt;
        let plan = self.clone();
        let ahead = self
            .inner
            .session
            .connection()
            .http()
            .max_concurrency
            .max(1);
        let opens = (0..self.partition_count()).map(move |i| {
            let plan = plan.clone();
            async move { plan.open(i) }
        });
        Box::pin(
            futures::stream::iter(opens)
                .buffered(ahead)
                .flat_map(|s| match s {
                    Ok(s) => s,
                    Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
                }),
        )
    }
}

/// Checks a data sync filter's syntax (field names are checked later, against describe).
pub(crate) fn check_filter_syntax(filter: &str) -> std::result::Result<(), String> {
    soql::parse_where(filter)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The field paths a condition reads.
pub(crate) fn filter_paths(expr: &soql::Expr, out: &mut Vec<soql::FieldPath>) {
    match expr {
        soql::Expr::And(parts) | soql::Expr::Or(parts) => {
            parts.iter().for_each(|p| filter_paths(p, out))
        }
        soql::Expr::Not(inner) => filter_paths(inner, out),
        soql::Expr::Compare(c) => out.extend(c.lhs.path().cloned()),
        soql::Expr::In(c) => out.extend(c.lhs.path().cloned()),
        soql::Expr::Includes(c) => out.extend(c.lhs.path().cloned()),
    }
}
