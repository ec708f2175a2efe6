//! Bulk API 2.0 query jobs: create, poll, list result pages, fetch a page, abort, delete.

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;

use super::{ApiClient, Body, Call, JobSlot, Reply};
use crate::error::{Error, JobState, Result};

/// Job info (`POST`/`GET /jobs/query[/{id}]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobInfo {
    pub id: String,
    pub state: JobState,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub number_records_processed: Option<u64>,
    #[serde(default)]
    pub error_message: Option<String>,
}

pub(crate) async fn create(client: &ApiClient, soql: &str, all: bool) -> Result<JobInfo> {
    soql::check_length(soql)?;
    let body = serde_json::json!({
        "operation": if all { "queryAll" } else { "query" },
        "query": soql,
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    });
    let call = Call {
        method: Method::POST,
        target: client.data_path("jobs/query"),
        body: Body::Json(body.to_string().into_bytes()),
        accept: "application/json",
        context: "create Bulk query job".into(),
    };
    let (_, bytes) = client.send_bytes(&call).await?;
    serde_json::from_slice(&bytes).map_err(|e| Error::protocol_from("create Bulk query job", "", e))
}

pub(crate) async fn get(client: &ApiClient, id: &str) -> Result<JobInfo> {
    client
        .get_json(
            &client.data_path(&format!("jobs/query/{id}")),
            "poll Bulk query job",
        )
        .await
}

/// Polls until the job is terminal (waits from [`super::BulkPolling`]).
pub(crate) async fn wait(client: &ApiClient, id: &str) -> Result<JobInfo> {
    let polling = client.polling();
    let start = std::time::Instant::now();
    let mut wait = polling.initial;
    loop {
        let info = get(client, id).await?;
        if info.state.is_terminal() {
            return Ok(info);
        }
        if start.elapsed() > polling.job_timeout {
            return Err(Error::Job {
                job_id: id.to_string(),
                object: info.object.unwrap_or_default(),
                state: info.state,
                message: format!("still not finished after {:?}", polling.job_timeout),
            });
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(polling.max);
    }
}

pub(crate) async fn abort(client: &ApiClient, id: &str) -> Result<()> {
    let call = Call {
        method: Method::PATCH,
        target: client.data_path(&format!("jobs/query/{id}")),
        body: Body::Json(br#"{"state":"Aborted"}"#.to_vec()),
        accept: "application/json",
        context: format!("abort Bulk query job {id}"),
    };
    client.send_bytes(&call).await.map(|_| ())
}

pub(crate) async fn delete(client: &ApiClient, id: &str) -> Result<()> {
    let call = Call {
        method: Method::DELETE,
        target: client.data_path(&format!("jobs/query/{id}")),
        body: Body::Empty,
        accept: "application/json",
        context: format!("delete Bulk query job {id}"),
    };
    client.send_bytes(&call).await.map(|_| ())
}

/// The results URL of the first page (no locator).
pub(crate) fn first_page_url(client: &ApiClient, id: &str, max_records: Option<u64>) -> String {
    let mut url = client.data_path(&format!("jobs/query/{id}/results"));
    if let Some(n) = max_records {
        url.push_str(&format!("?maxRecords={n}"));
    }
    url
}

/// The results URL of a page by locator.
pub(crate) fn page_url(
    client: &ApiClient,
    id: &str,
    locator: &str,
    max_records: Option<u64>,
) -> String {
    let mut u = url::Url::parse("http://x/").expect("static URL");
    u.query_pairs_mut().append_pair("locator", locator);
    if let Some(n) = max_records {
        u.query_pairs_mut()
            .append_pair("maxRecords", &n.to_string());
    }
    format!(
        "{}?{}",
        client.data_path(&format!("jobs/query/{id}/results")),
        u.query().unwrap_or_default()
    )
}

/// Opens one results page (body unread).
pub(crate) async fn open_page(client: &ApiClient, url: &str) -> Result<Reply> {
    let call = Call {
        method: Method::GET,
        target: url.to_string(),
        body: Body::Empty,
        accept: "text/csv",
        context: "fetch Bulk results page".into(),
    };
    client.send(&call).await
}

/// `Sforce-Locator` of a page reply: `None` when it is the literal `null` (last page).
pub(crate) fn next_locator(reply: &Reply) -> Option<String> {
    reply
        .header("sforce-locator")
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "null")
        .map(str::to_string)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultPagesDoc {
    #[serde(default)]
    result_pages: Vec<ResultPageDoc>,
    #[serde(default)]
    result_chunks: Vec<ResultChunkDoc>,
    #[serde(default, alias = "nextRecordUrl")]
    next_records_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultPageDoc {
    result_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultChunkDoc {
    result_link: String,
}

/// Every result page URL via `resultPages` (v58+), or `None` when the org does not offer it.
///
/// Two shapes are in circulation (documented `resultPages[].resultUrl`, and the observed
/// `resultChunks[].resultLink` with links relative to `/services/data/vXX.X`); both are read.
pub(crate) async fn list_pages(client: &ApiClient, id: &str) -> Result<Option<Vec<String>>> {
    if client.version() < super::ApiVersion::MIN_RESULT_PAGES {
        return Ok(None);
    }
    let base = client.data_path("");
    let base = base.trim_end_matches('/');
    let absolute = |link: &str| -> String {
        if link.starts_with("/services/") || link.starts_with("http") {
            link.to_string()
        } else {
            format!("{base}/{}", link.trim_start_matches('/'))
        }
    };
    let mut next = Some(client.data_path(&format!("jobs/query/{id}/resultPages")));
    let mut pages = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while let Some(target) = next.take() {
        if !seen.insert(target.clone()) {
            break; // a server that links a page list to itself would loop forever
        }
        let doc: ResultPagesDoc = match client.get_json(&target, "list Bulk result pages").await {
            Ok(d) => d,
            Err(e) if pages.is_empty() && matches!(e.status(), Some(404 | 405 | 501)) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        pages.extend(doc.result_pages.iter().map(|p| absolute(&p.result_url)));
        pages.extend(doc.result_chunks.iter().map(|p| absolute(&p.result_link)));
        next = doc
            .next_records_url
            .filter(|u| !u.is_empty() && u != "null")
            .map(|u| absolute(&u));
    }
    Ok(Some(pages))
}

/// Deletes the job when the last holder lets go (aborting it first if it never finished).
///
/// The abort and DELETE run on a task of their own (`Drop` cannot await), each through
/// the client's retry loop; the job's [`JobSlot`] goes with them, so that
/// [`super::wait_for_job_cleanup`] can wait for them before the process exits.
pub(crate) struct JobGuard {
    id: String,
    client: Arc<ApiClient>,
    finished: std::sync::atomic::AtomicBool,
    slot: Option<JobSlot>,
}

impl std::fmt::Debug for JobGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobGuard").field("id", &self.id).finish()
    }
}

impl JobGuard {
    /// Guards job `id`, counted by `slot` (taken before the job was created).
    pub(crate) fn new(id: String, client: Arc<ApiClient>, slot: JobSlot) -> Self {
        JobGuard {
            id,
            client,
            finished: std::sync::atomic::AtomicBool::new(false),
            slot: Some(slot),
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Marks the job terminal (no abort needed before delete).
    pub(crate) fn set_finished(&self) {
        self.finished
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        let id = std::mem::take(&mut self.id);
        let client = Arc::clone(&self.client);
        let finished = self.finished.load(std::sync::atomic::Ordering::Relaxed);
        let slot = self.slot.take();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(job = %id, "no async runtime to delete the Bulk job; Salesforce purges it after 7 days");
            return;
        };
        handle.spawn(async move {
            let _counted_until_deleted = slot;
            if !finished && let Err(e) = abort(&client, &id).await {
                tracing::debug!(job = %id, "abort failed: {e}");
            }
            if let Err(e) = delete(&client, &id).await {
                tracing::warn!(job = %id, "could not delete the Bulk job (Salesforce purges it after 7 days): {e}");
            }
        });
    }
}
