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
//!    describe and fixes the partition count: [`PlanOptions::partitions`] for `bulkv2`;
//!    for `soap`/`rest` (a cursor is sequential) as many as there are `SystemModstamp`
//!    windows (see below), else 1. No job runs and no query is sent at plan time, so
//!    `EXPLAIN` costs nothing.
//! 3. The first [`ExtractPlan::open`]ed partition to be polled runs the Bulk job once for
//!    all (create, poll to `JobComplete`, re-create a `Failed` job up to
//!    [`PlanOptions::job_attempts`] times, list result pages via `resultPages`). Pages are
//!    spread over the partitions in contiguous runs; without `resultPages` partition 0
//!    walks the locators and the others are empty. [`ExtractPlan::prepare`] runs it eagerly.
//!    The job is created at most once per plan: partitions opened later wait on the same
//!    job even when the partition that started it was dropped.
//! 4. **Windows.** A `rest`/`soap` plan with more than one partition, and a `bulkv2` plan
//!    with [`PlanOptions::bulk_windows`], splits the query into one window per partition on
//!    `SystemModstamp` (first unbounded below, `>= lo AND < hi` after), each read by its own
//!    cursor or its own Bulk job. The boundaries come from one aggregate call (`MIN`/`MAX`)
//!    made when the first partition is opened. No windows with a `LIMIT` or on objects
//!    without `SystemModstamp` (one partition for `rest`/`soap`); when all rows share one
//!    `SystemModstamp` (or there are none), or the span is narrower than the windows, the
//!    extra partitions are empty. The last window stops before the span's `MAX`; the first
//!    partition then reads the rows from `MAX` on (the newest and those changed since) once
//!    every other window's query was answered: a row changed while the scan runs may come
//!    twice (old and new values) but is not lost; see the `windows` module.
//! 5. [`ExtractPlan::open`]`(i)` returns partition `i` as a [`BatchStream`] (`'static`,
//!    `Send`, on its own task); partitions may be polled concurrently. Every batch has exactly
//!    [`ExtractPlan::schema`] (the projected columns in query order; the same for all three
//!    API types). A query with no columns yields batches with no columns and the right row
//!    counts (for `COUNT(*)`).
//! 6. Faults are handled inside the stream: expired tokens are renewed, 5xx/limit errors and
//!    bodies cut midway are retried by re-fetching the page and skipping the rows already
//!    emitted, so a stream never loses or duplicates a row. An error that reaches the stream
//!    is final.
//! 7. The Bulk job is deleted when the plan and all its streams are dropped, and aborted if
//!    every stream is dropped while the job still runs.

mod csv;
mod once;
mod partitions;
pub(crate) mod read;
pub(crate) mod text;
pub(crate) mod windows;

use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use futures::Stream;

use crate::api::ApiClient;
use crate::config::{ApiType, Limits};
use crate::error::{Error, Result};

pub use csv::{BulkCsvDecoder, CsvFormat};
pub(crate) use partitions::Share;
pub(crate) use text::normalize_datetime;

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
    /// `ORDER BY`, in order; empty = the org's order (none promised).
    pub order_by: Vec<SortKey>,
    /// `LIMIT`.
    pub limit: Option<u64>,
    /// `OFFSET` (REST and SOAP only: Bulk API 2.0 refuses it; the org allows at most 2,000).
    pub offset: Option<u64>,
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
            order_by: Vec::new(),
            limit: None,
            offset: None,
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

    /// Sets the sort keys (`ORDER BY`).
    pub fn order_by(mut self, keys: Vec<SortKey>) -> Self {
        self.order_by = keys;
        self
    }

    /// Sets the rows skipped (`OFFSET`).
    pub fn offset(mut self, offset: Option<u64>) -> Self {
        self.offset = offset;
        self
    }

    /// Includes deleted rows (`queryAll`).
    pub fn include_deleted(mut self, yes: bool) -> Self {
        self.include_deleted = yes;
        self
    }

    /// The query as a `soql` AST (`SELECT .. FROM .. [WHERE ..] [ORDER BY ..] [LIMIT ..]
    /// [OFFSET ..]`), names
    /// checked. With no columns, `Id` is selected (SOQL needs one field) and dropped from
    /// the batches.
    pub fn to_query(&self) -> Result<soql::Query> {
        let columns: Vec<&str> = if self.columns.is_empty() {
            vec!["Id"]
        } else {
            self.columns.iter().map(String::as_str).collect()
        };
        let mut builder = soql::Query::builder(&self.object).select(columns);
        if let Some(filter) = &self.filter {
            builder = builder.filter(filter.clone());
        }
        for key in &self.order_by {
            builder = builder.order_by(&key.field, key.direction, Some(key.nulls));
        }
        if let Some(n) = self.limit {
            builder = builder.limit(n);
        }
        if let Some(n) = self.offset {
            builder = builder.offset(n);
        }
        builder.build().map_err(|e| Error::Object {
            object: self.object.clone(),
            reason: format!("cannot be queried as given: {e}"),
        })
    }

    /// The SOQL text sent to the org: [`Self::to_query`] printed by the `soql` printer,
    /// which does all quoting and escaping.
    pub fn to_soql(&self) -> Result<String> {
        Ok(self.to_query()?.to_string())
    }

    /// `SELECT COUNT() FROM .. [WHERE ..]`: how many rows the query reads, without its
    /// columns and limit (SOQL answers a `COUNT()` query with the row count only).
    pub fn count_soql(&self) -> String {
        let mut text = format!("SELECT COUNT() FROM {}", self.object);
        if let Some(f) = &self.filter {
            text.push_str(" WHERE ");
            text.push_str(&f.to_string());
        }
        text
    }
}

/// One `ORDER BY` key of a [`SoqlQuery`]. The null order is always written out: SOQL's
/// default (first ascending, last descending) is the opposite of DataFusion's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Field API name.
    pub field: String,
    /// `ASC` or `DESC`.
    pub direction: soql::Direction,
    /// `NULLS FIRST` or `NULLS LAST`.
    pub nulls: soql::NullsOrder,
}

/// Tuning of [`Session::plan_with`](crate::Session::plan_with).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Partitions wanted (fixed at plan time). `bulkv2`: result pages are spread over them,
    /// or with [`Self::bulk_windows`] each runs a job of its own. `soap`/`rest`: above 1,
    /// each reads one `SystemModstamp` window with its own cursor (a cursor is sequential);
    /// without windows (a `LIMIT`, no `SystemModstamp`) the plan has one partition.
    pub partitions: usize,
    /// `bulkv2`: split the query into one `SystemModstamp` window per partition, each a Bulk
    /// job of its own (the org processes jobs in parallel, while one job's result pages only
    /// download in parallel), instead of one job whose pages are spread. Costs one aggregate
    /// call and a job per window.
    pub bulk_windows: bool,
    /// Fewest rows a `SystemModstamp` window should hold: the aggregate call that finds the
    /// windows also counts the rows, and a scan uses fewer windows (down to one, the whole
    /// query) when its rows would not fill them. Default 2,000, one REST/SOAP page: a
    /// smaller window gains no parallelism and costs a call of its own.
    pub window_min_rows: u64,
    /// Rows per record batch.
    pub batch_size: usize,
    /// Bulk: how many times a `Failed` job is created again before giving up.
    pub job_attempts: u32,
    /// Bulk: `maxRecords` per result page; `None` lets Salesforce choose.
    pub page_rows: Option<u64>,
    /// The API to read through instead of the connection's: a small top-N of a `bulkv2`
    /// connection reads through REST (one call instead of a job's five). `None`: the
    /// connection's.
    pub api: Option<ApiType>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            partitions: 4,
            bulk_windows: false,
            window_min_rows: 2000,
            batch_size: 8192,
            job_attempts: 3,
            page_rows: None,
            api: None,
        }
    }
}

/// Where a partition's rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageSource {
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
    /// A Bulk job of its own (one `SystemModstamp` window): created, read page after page
    /// and deleted by the partition.
    BulkJob {
        /// The SOQL text (the plan's query and the window's bounds).
        soql: String,
        /// `queryAll` instead of `query`.
        include_deleted: bool,
    },
    /// The rows from a windowed plan's span `MAX` on (`SystemModstamp >= MAX`: the newest,
    /// and those changed since the span was asked), through REST (SOAP for `soap`
    /// connections), read after every other window's query was answered so that no row
    /// changed mid-scan is lost.
    Changed {
        /// The SOQL text.
        soql: String,
        /// `queryAll` instead of `query`.
        include_deleted: bool,
    },
    /// A query through REST (`query` + `nextRecordsUrl`) or SOAP (`query` + `queryMore`):
    /// the whole plan's, or one `SystemModstamp` window's.
    Cursor {
        /// The SOQL text.
        soql: String,
        /// `queryAll` instead of `query`.
        include_deleted: bool,
    },
}

/// The finished Bulk job behind a plan (or a window): its pages, and the guard that deletes it.
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
/// is awaited); then a `bulkv2` plan runs its job once for all partitions (however many
/// are opened or dropped meanwhile), and a windowed plan asks its window boundaries once.
/// The job is deleted when the last clone of the plan is dropped, and aborted if every
/// opened stream is dropped while it still runs; a plan whose job was aborted that way
/// answers later reads with an error (plan again). With windows, each partition's cursor or
/// job is its own, and a window's Bulk job is deleted when its partition is done.
#[derive(Debug, Clone)]
pub struct ExtractPlan {
    pub(crate) inner: Arc<PlanInner>,
}

/// What a plan reads through: the API client, the extraction API and the limits (the
/// session hands these over; extraction never sees the session).
#[derive(Debug, Clone)]
pub(crate) struct PlanSource {
    pub client: Arc<ApiClient>,
    pub api_type: ApiType,
    pub limits: Limits,
}

/// An outcome every partition of a plan sees.
pub(crate) type SharedResult<T> = std::result::Result<Arc<T>, Arc<Error>>;

#[derive(Debug)]
pub(crate) struct PlanInner {
    /// The API client every partition reads through.
    pub client: Arc<ApiClient>,
    /// The connection's per-object limits, checked as rows arrive.
    pub limits: Limits,
    pub query: SoqlQuery,
    pub soql: String,
    pub api_type: ApiType,
    pub schema: SchemaRef,
    pub partitions: usize,
    /// Planned `SystemModstamp` windows (0 = none).
    pub windows: usize,
    pub options: PlanOptions,
    pub job: once::SharedOnce<SharedResult<PreparedJob>>,
    /// Window boundaries, once the aggregate call answered.
    pub bounds: once::SharedOnce<SharedResult<windows::Span>>,
    /// Per partition, opened windows whose query is not answered yet (the changed rows wait
    /// for the others).
    pub pending: Arc<tokio::sync::watch::Sender<Vec<usize>>>,
    pub rows_read: std::sync::atomic::AtomicU64,
    pub bytes_read: std::sync::atomic::AtomicU64,
}

/// What running a Bulk job needs, owned: the job's work must not hold the plan (the plan
/// keeps only a weak handle on the work, and dropping every stream must drop the work).
#[derive(Debug, Clone)]
pub(crate) struct JobSpec {
    pub client: Arc<ApiClient>,
    pub soql: String,
    pub include_deleted: bool,
    pub attempts: u32,
    pub object: String,
}

impl PlanInner {
    pub(crate) fn job_spec(&self, soql: String) -> JobSpec {
        JobSpec {
            client: Arc::clone(&self.client),
            soql,
            include_deleted: self.query.include_deleted,
            attempts: self.options.job_attempts,
            object: self.query.object.clone(),
        }
    }

    /// Counts what a partition read and stops the extraction past the connection's limits.
    pub(crate) fn account(&self, rows: u64, bytes: u64) -> Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let rows = self.rows_read.fetch_add(rows, Relaxed) + rows;
        let bytes = self.bytes_read.fetch_add(bytes, Relaxed) + bytes;
        let limits = self.limits;
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
    /// A plan of `query` (already checked against describe) with `windows` planned windows.
    pub(crate) fn new(
        source: PlanSource,
        query: SoqlQuery,
        schema: SchemaRef,
        windows: usize,
        options: &PlanOptions,
    ) -> Result<ExtractPlan> {
        let PlanSource {
            client,
            limits,
            api_type,
        } = source;
        let partitions = match api_type {
            ApiType::BulkV2 => options.partitions.max(1),
            ApiType::Soap | ApiType::Rest => windows.max(1),
        };
        Ok(ExtractPlan {
            inner: Arc::new(PlanInner {
                soql: query.to_soql()?,
                client,
                limits,
                query,
                api_type,
                schema,
                partitions,
                windows,
                options: options.clone(),
                job: Default::default(),
                bounds: Default::default(),
                pending: Arc::new(tokio::sync::watch::channel(vec![0; partitions]).0),
                rows_read: Default::default(),
                bytes_read: Default::default(),
            }),
        })
    }

    /// The Arrow schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.inner.schema)
    }
    /// The SOQL of the whole query (with windows, each window sends it with its
    /// `SystemModstamp` bounds ANDed on).
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
    /// `SystemModstamp` windows planned (one per partition; 0 = no windows). Fixed at plan
    /// time; fewer may turn out non-empty once the span is known (see
    /// [`Self::window_boundaries`]).
    pub fn windows(&self) -> usize {
        self.inner.windows
    }
    /// The window boundaries once the aggregate call answered (empty: one window, the
    /// whole query); `None` before, or without windows.
    pub fn window_boundaries(&self) -> Option<Vec<DateTime<Utc>>> {
        Some(self.inner.bounds.get()?.as_ref().ok()?.bounds.clone())
    }
    /// The fewest API calls the extraction will make (Bulk: create, poll, list pages, one
    /// page, delete; REST/SOAP: one per 2,000 rows when the limit is known, else 1). With
    /// windows: the aggregate call, per window a cursor (REST/SOAP) or a job (create, poll,
    /// one page, delete), assuming the rows spread over every window, and the query of the
    /// rows changed meanwhile.
    pub fn min_api_calls(&self) -> u64 {
        let windows = self.inner.windows as u64;
        if windows > 0 {
            let per_window = match self.inner.api_type {
                ApiType::BulkV2 => 4,
                ApiType::Rest | ApiType::Soap => 1,
            };
            return 2 + windows * per_window;
        }
        match self.inner.api_type {
            ApiType::BulkV2 => 5,
            _ => self
                .inner
                .query
                .limit
                .map_or(1, |n| n.div_ceil(2000).max(1)),
        }
    }
    /// Total rows once the Bulk job ran (`numberRecordsProcessed`); `None` before, for
    /// REST/SOAP, and with windows (a job per window).
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
    /// The Bulk job id once it finished (`None` with windows: a job per window).
    pub fn job_id(&self) -> Option<&str> {
        Some(self.inner.job.get()?.as_ref().ok()?.guard.id())
    }

    /// Runs the Bulk job now, or with windows asks for their boundaries (a no-op for
    /// REST/SOAP without windows, and after the first call).
    pub async fn prepare(&self) -> Result<()> {
        match self.share() {
            Share::Bounds(claim) => self.bounds_of(claim).await.map(|_| ()),
            Share::Job(claim) => self.job_of(claim).await.map(|_| ()),
            Share::Nothing => Ok(()),
        }
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
        let gate = if self.inner.windows > 0 {
            windows::Gate::opened(&self.inner.pending, index)
        } else {
            windows::Gate::none()
        };
        Ok(read::open_partition(
            self.clone(),
            index,
            self.share(),
            gate,
        ))
    }

    /// Every partition in order, as one stream; the next partitions are fetched ahead
    /// while the current one is read (bounded by the session's concurrency).
    pub fn stream(&self) -> BatchStream {
        use futures::StreamExt;
        let plan = self.clone();
        let ahead = self.inner.client.concurrency();
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
