//! Reading partitions: the Bulk job behind a plan, Bulk result pages, REST and SOAP cursors.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::api::{ApiClient, Attempt, bulk2, rest, soap};
use crate::config::ApiType;
use crate::error::{Error, JobState, Result};
use crate::extract::windows::Gate;
use crate::extract::{
    BatchStream, BulkCsvDecoder, CsvFormat, ExtractPlan, JobSpec, PageSource, PreparedJob, Share,
};

/// Runs a Bulk job to completion and lists its result pages. A `Failed` job is created
/// again (nothing was emitted yet, so no row can be duplicated).
pub(crate) async fn run_job(plan: &JobSpec) -> Result<PreparedJob> {
    let client = &plan.client;
    let mut attempt = 0;
    loop {
        attempt += 1;
        // From here on, dropping this future (every stream gone) aborts and deletes the job.
        let (info, guard) = create_job(client, &plan.soql, plan.include_deleted).await?;
        let done = bulk2::wait(client, &info.id).await?;
        guard.set_finished();
        match done.state {
            JobState::JobComplete => {
                let pages = bulk2::list_pages(client, &info.id).await?;
                return Ok(PreparedJob {
                    guard,
                    pages,
                    total_rows: done.number_records_processed,
                });
            }
            JobState::Failed if attempt < plan.attempts.max(1) => {
                tracing::warn!(job = %info.id, attempt, "Bulk query job failed ({}); creating it again", done.error_message.as_deref().unwrap_or("no errorMessage"));
            }
            state => {
                return Err(Error::Job {
                    job_id: info.id.clone(),
                    object: plan.object.clone(),
                    state,
                    message: done
                        .error_message
                        .clone()
                        .unwrap_or_else(|| "the job gave no errorMessage".into()),
                });
            }
        }
    }
}

/// Creates a Bulk job on a task of its own: a reader dropped while the create call is in
/// flight would otherwise leave a job at the org that nobody aborts or deletes (its id was
/// never seen). If the reader is gone when the org answers, the task drops the guard, which
/// aborts and deletes the job. The job is counted from before the call (see
/// [`bulk2::JobGuard`]), so waiting for cleanup also waits for a create in flight.
async fn create_job(
    client: &Arc<ApiClient>,
    soql: &str,
    all: bool,
) -> Result<(bulk2::JobInfo, bulk2::JobGuard)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let client = Arc::clone(client);
    let soql = soql.to_string();
    let slot = client.reserve_job();
    tokio::spawn(async move {
        let created = bulk2::create(&client, &soql, all).await.map(|info| {
            let guard = bulk2::JobGuard::new(info.id.clone(), Arc::clone(&client), slot);
            (info, guard)
        });
        // A reader gone by now drops the guard here: the job is aborted and deleted.
        drop(tx.send(created));
    });
    rx.await.map_err(|_| {
        Error::protocol(
            "create Bulk query job",
            "the task creating the job stopped before the org answered",
        )
    })?
}

/// Runs a partition on its own task; batches arrive through a small channel, so a slow
/// consumer slows the download (memory stays bounded) and dropping the stream stops it.
pub(crate) fn open_partition(
    plan: ExtractPlan,
    index: usize,
    share: Share,
    mut gate: Gate,
) -> BatchStream {
    let (tx, rx) = mpsc::channel::<Result<datafusion::arrow::record_batch::RecordBatch>>(2);
    tokio::spawn(async move {
        let work = async {
            let pages = plan.pages_of(index, share).await?;
            run_partition(&plan, &pages, &tx, &mut gate).await
        };
        // Every consumer gone: drop the work (a running job's guard aborts it).
        let result = tokio::select! {
            r = work => r,
            _ = tx.closed() => Ok(()),
        };
        if let Err(e) = result {
            let _ = tx.send(Err(e)).await;
        }
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

type Sender = mpsc::Sender<Result<datafusion::arrow::record_batch::RecordBatch>>;

/// A closed channel means the consumer is gone: stop quietly.
struct Stopped;

async fn emit(
    tx: &Sender,
    batches: Vec<datafusion::arrow::record_batch::RecordBatch>,
) -> Result<(), Stopped> {
    for b in batches {
        tx.send(Ok(b)).await.map_err(|_| Stopped)?;
    }
    Ok(())
}

async fn run_partition(
    plan: &ExtractPlan,
    pages: &[PageSource],
    tx: &Sender,
    gate: &mut Gate,
) -> Result<()> {
    for page in pages {
        let outcome = match page {
            PageSource::BulkPage { url, .. } => {
                read_bulk_page(plan, url, tx).await.map(|r| r.map(|_| ()))
            }
            PageSource::BulkAllPages { job_id } => walk_pages(plan, job_id, tx).await,
            PageSource::BulkJob {
                soql,
                include_deleted,
            } => {
                let mut spec = plan.inner.job_spec(soql.clone());
                spec.include_deleted = *include_deleted;
                // The job lives as long as this partition: dropping the stream drops the
                // guard, which aborts a running job; reading to the end deletes it.
                let job = run_job(&spec).await?;
                gate.after_query();
                match &job.pages {
                    Some(pages) => read_pages(plan, pages, tx).await,
                    None => walk_pages(plan, job.guard.id(), tx).await,
                }
            }
            PageSource::Changed {
                soql,
                include_deleted,
            } => {
                gate.wait_for_others().await;
                match plan.inner.api_type {
                    ApiType::Soap => read_soap(plan, soql, *include_deleted, tx, gate).await,
                    _ => read_rest(plan, soql, *include_deleted, tx, gate).await,
                }
            }
            PageSource::Cursor {
                soql,
                include_deleted,
            } => match plan.inner.api_type {
                ApiType::Soap => read_soap(plan, soql, *include_deleted, tx, gate).await,
                _ => read_rest(plan, soql, *include_deleted, tx, gate).await,
            },
        };
        match outcome? {
            Ok(()) => {}
            Err(Stopped) => return Ok(()),
        }
    }
    Ok(())
}

/// Reads a job's result pages in order.
async fn read_pages(
    plan: &ExtractPlan,
    pages: &[String],
    tx: &Sender,
) -> Result<Result<(), Stopped>> {
    for url in pages {
        if read_bulk_page(plan, url, tx).await?.is_err() {
            return Ok(Err(Stopped));
        }
    }
    Ok(Ok(()))
}

/// Reads every result page of a job, following `Sforce-Locator` from the first.
async fn walk_pages(plan: &ExtractPlan, job_id: &str, tx: &Sender) -> Result<Result<(), Stopped>> {
    let client = &plan.inner.client;
    let rows = plan.inner.options.page_rows;
    let mut url = bulk2::first_page_url(client, job_id, rows);
    loop {
        match read_bulk_page(plan, &url, tx).await? {
            Ok(Some(locator)) => url = bulk2::page_url(client, job_id, &locator, rows),
            Ok(None) => return Ok(Ok(())),
            Err(Stopped) => return Ok(Err(Stopped)),
        }
    }
}

/// Reads one Bulk results page into batches. A body that fails midway (or ends short of
/// `Sforce-NumberOfRecords`, or mid-line) is fetched again and the rows already emitted
/// are skipped: locators can be re-read while the job exists.
async fn read_bulk_page(
    plan: &ExtractPlan,
    url: &str,
    tx: &Sender,
) -> Result<Result<Option<String>, Stopped>> {
    let client = &plan.inner.client;
    let context = format!("Bulk CSV page of {}", plan.inner.query.object);
    let emitted = AtomicU64::new(0);
    let tries = AtomicU32::new(0);
    client
        .retry()
        .run(&context, || async {
            let tries = tries.fetch_add(1, Relaxed) + 1;
            match read_page_once(plan, url, tx, &context, &emitted).await {
                Ok(Read::Done(locator)) => Attempt::Done(Ok(locator)),
                Ok(Read::Stopped) => Attempt::Done(Err(Stopped)),
                Ok(Read::Cut(reason)) => {
                    tracing::debug!(%url, emitted = emitted.load(Relaxed), "Bulk page cut ({reason}); fetching it again");
                    Attempt::Transient(Error::protocol(
                        &context,
                        format!("page failed {tries} times, last: {reason}"),
                    ))
                }
                Err(e) => Attempt::Final(e),
            }
        })
        .await
}

/// How one read of a Bulk page ended.
enum Read {
    /// Every row was emitted; the next page's locator, if any.
    Done(Option<String>),
    /// The consumer is gone.
    Stopped,
    /// The body failed or ended short; why.
    Cut(String),
}

/// Reads a Bulk page once, skipping the `emitted` rows a cut read already gave.
async fn read_page_once(
    plan: &ExtractPlan,
    url: &str,
    tx: &Sender,
    context: &str,
    emitted: &AtomicU64,
) -> Result<Read> {
    let reply = bulk2::open_page(&plan.inner.client, url).await?;
    let locator = bulk2::next_locator(&reply);
    let expected: Option<u64> = reply
        .header("sforce-numberofrecords")
        .and_then(|n| n.trim().parse().ok());
    let mut decoder = BulkCsvDecoder::new(
        context,
        plan.schema(),
        CsvFormat::default(),
        plan.inner.options.batch_size,
        emitted.load(Relaxed),
    );
    let mut body = std::pin::pin!(reply.into_stream());
    let mut last_byte = b'\n';
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Ok(Read::Cut(e.to_string())),
        };
        if let Some(b) = chunk.last() {
            last_byte = *b;
        }
        let batches = decoder.push(&chunk)?;
        let rows = batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        plan.inner.account(rows, chunk.len() as u64)?;
        emitted.fetch_add(rows, Relaxed);
        if emit(tx, batches).await.is_err() {
            return Ok(Read::Stopped);
        }
    }
    if last_byte != b'\n' && decoder.bytes() > 0 {
        return Ok(Read::Cut("body ended in the middle of a line".into()));
    }
    let batches = decoder.finish()?;
    let rows = batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
    let total = emitted.load(Relaxed) + rows;
    if let Some(n) = expected.filter(|n| *n > total) {
        return Ok(Read::Cut(format!("body ended after {total} of {n} rows")));
    }
    plan.inner.account(rows, 0)?;
    if emit(tx, batches).await.is_err() {
        return Ok(Read::Stopped);
    }
    Ok(Read::Done(locator))
}

fn datetime_columns(plan: &ExtractPlan) -> Vec<bool> {
    plan.inner
        .schema
        .fields()
        .iter()
        .map(|f| {
            matches!(
                f.data_type(),
                datafusion::arrow::datatypes::DataType::Timestamp(..)
            )
        })
        .collect()
}

async fn decode_text_page(
    plan: &ExtractPlan,
    page: crate::extract::text::CsvPage,
    tx: &Sender,
) -> Result<Result<(), Stopped>> {
    let context = format!(
        "{} page of {}",
        plan.inner.api_type, plan.inner.query.object
    );
    let mut decoder = BulkCsvDecoder::new(
        context,
        plan.schema(),
        CsvFormat::default(),
        plan.inner.options.batch_size,
        0,
    );
    let bytes = page.into_bytes();
    let mut batches = decoder.push(&bytes)?;
    batches.extend(decoder.finish()?);
    plan.inner.account(
        batches.iter().map(|b| b.num_rows() as u64).sum(),
        bytes.len() as u64,
    )?;
    Ok(emit(tx, batches).await)
}

async fn read_rest(
    plan: &ExtractPlan,
    soql: &str,
    all: bool,
    tx: &Sender,
    gate: &mut Gate,
) -> Result<Result<(), Stopped>> {
    let client = &plan.inner.client;
    let columns = &plan.inner.query.columns;
    let datetimes = datetime_columns(plan);
    let mut next: Option<String> = None;
    loop {
        let page = rest::query_page(client, soql, all, next.as_deref()).await?;
        gate.after_query();
        let mut csv = crate::extract::text::CsvPage::new(columns);
        for record in &page.records {
            if columns.is_empty() {
                csv.push_row([Some("")]);
                continue;
            }
            let cells: Vec<Option<std::borrow::Cow<'_, str>>> = columns
                .iter()
                .zip(&datetimes)
                .map(|(c, dt)| {
                    crate::extract::text::json_path(record, c)
                        .and_then(|v| crate::extract::text::json_cell(v, *dt))
                })
                .collect();
            csv.push_row(cells.iter().map(|c| c.as_deref()));
        }
        if decode_text_page(plan, csv, tx).await?.is_err() {
            return Ok(Err(Stopped));
        }
        match page.next_records_url {
            Some(url) if !page.done => next = Some(url),
            _ => return Ok(Ok(())),
        }
    }
}

async fn read_soap(
    plan: &ExtractPlan,
    soql: &str,
    all: bool,
    tx: &Sender,
    gate: &mut Gate,
) -> Result<Result<(), Stopped>> {
    let client = &plan.inner.client;
    let columns = &plan.inner.query.columns;
    let mut locator: Option<String> = None;
    loop {
        let page = soap::query(client, soql, all, locator.as_deref()).await?;
        gate.after_query();
        let mut csv = crate::extract::text::CsvPage::new(columns);
        for record in &page.records {
            if columns.is_empty() {
                csv.push_row([Some("")]);
                continue;
            }
            csv.push_row(columns.iter().map(|c| soap::record_value(record, c)));
        }
        if decode_text_page(plan, csv, tx).await?.is_err() {
            return Ok(Err(Stopped));
        }
        match page.locator {
            Some(l) if !page.done => locator = Some(l),
            _ => return Ok(Ok(())),
        }
    }
}
