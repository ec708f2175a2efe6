//! Bulk API 2.0 query jobs: create, poll (with a realistic state progression), results by
//! locator, resultPages, abort, delete, list.

mod results;

pub(crate) use results::{result_pages, results};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{Value as Json, json};
use soql::{FieldExpr, SelectItem};

use super::engine::{self, QueryFailure};
use super::{App, Caller, LoggedSoql, json_ok, parse_version, sf_error};
use crate::model::ids;
use crate::model::schema::FieldType;

use super::csv::{self, CsvResult};

/// States a client sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
        }
    }

    fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::JobComplete | JobState::Failed | JobState::Aborted
        )
    }
}

/// How a job ends, once its result is made.
#[derive(Debug)]
pub(super) enum Outcome {
    Done(Arc<CsvResult>),
    Failed(Option<String>),
}

/// One query job.
pub(crate) struct Job {
    pub(super) id: String,
    operation: &'static str,
    object: String,
    created_by: String,
    created: DateTime<Utc>,
    api_version: u32,
    delimiter: (&'static str, u8),
    line_ending: &'static str,
    polls: AtomicU32,
    pub(super) aborted: Mutex<Option<DateTime<Utc>>>,
    pub(super) outcome: Mutex<Option<Outcome>>,
    pub(super) gzip_pages: Mutex<HashMap<(usize, usize), Bytes>>,
}

/// Every job of the org.
#[derive(Default)]
pub(crate) struct JobStore {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    created: AtomicU64,
}

impl JobStore {
    /// Jobs created so far (for `/limits`).
    pub(crate) fn jobs_created(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs.lock().get(id).cloned()
    }

    /// The ids of the jobs not deleted yet, oldest first.
    pub(crate) fn ids(&self) -> Vec<String> {
        let jobs = self.jobs.lock();
        let mut open: Vec<&Arc<Job>> = jobs.values().collect();
        open.sort_by_key(|j| j.created);
        open.iter().map(|j| j.id.clone()).collect()
    }
}

fn rest_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

impl Job {
    /// The state a client sees now; `poll` counts this as one poll. A poll sees the job
    /// finished once `polls_in_progress` earlier polls saw it running.
    fn state(&self, polls_in_progress: u32, poll: bool) -> JobState {
        if self.aborted.lock().is_some() {
            return JobState::Aborted;
        }
        let prior = if poll {
            self.polls.fetch_add(1, Ordering::Relaxed)
        } else {
            self.polls.load(Ordering::Relaxed)
        };
        match &*self.outcome.lock() {
            Some(Outcome::Failed(_)) if prior >= polls_in_progress => JobState::Failed,
            Some(Outcome::Done(_)) if prior >= polls_in_progress => JobState::JobComplete,
            _ if prior == 0 && !poll => JobState::UploadComplete,
            _ => JobState::InProgress,
        }
    }

    fn info(&self, state: JobState, full: bool) -> Json {
        let mut body = json!({
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": rest_time(self.created),
            "systemModstamp": rest_time(self.created),
            "state": state.as_str(),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": f64::from(self.api_version),
        });
        if full {
            body["jobType"] = "V2Query".into();
        }
        body["lineEnding"] = self.line_ending.into();
        body["columnDelimiter"] = self.delimiter.0.into();
        if full {
            let rows = match &*self.outcome.lock() {
                Some(Outcome::Done(r)) if state == JobState::JobComplete => r.rows(),
                _ => 0,
            };
            body["numberRecordsProcessed"] = rows.into();
            body["retries"] = 0.into();
            body["totalProcessingTime"] = (rows / 1000 + 50).into();
            body["isPkChunkingSupported"] = true.into();
            if state == JobState::Failed
                && let Some(Outcome::Failed(Some(message))) = &*self.outcome.lock()
            {
                body["errorMessage"] = message.clone().into();
            }
        }
        body
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    operation: Option<String>,
    query: Option<String>,
    content_type: Option<String>,
    column_delimiter: Option<String>,
    line_ending: Option<String>,
}

pub(super) fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    sf_error(status, "API_ERROR", message)
}

fn delimiter(name: &str) -> Option<(&'static str, u8)> {
    Some(match name {
        "COMMA" => ("COMMA", b','),
        "TAB" => ("TAB", b'\t'),
        "PIPE" => ("PIPE", b'|'),
        "SEMICOLON" => ("SEMICOLON", b';'),
        "CARET" => ("CARET", b'^'),
        "BACKQUOTE" => ("BACKQUOTE", b'`'),
        _ => return None,
    })
}

/// What Bulk 2.0 refuses although SOQL allows it.
/// A Bulk 2.0 refusal: error code and message.
type Restriction = (&'static str, String);

fn bulk_restriction(data: &crate::model::OrgData, query: &soql::Query) -> Option<Restriction> {
    // Salesforce reports compound fields and subqueries with FUNCTIONALITY_NOT_ENABLED (the
    // messages clients match on); the other refusals' exact wording is not verified.
    let not_enabled = |m: &str| Some(("FUNCTIONALITY_NOT_ENABLED", m.to_owned()));
    let api_error = |m: String| Some(("API_ERROR", m));
    if query.offset.is_some() {
        return api_error("OFFSET clause is not supported in Bulk Query".into());
    }
    if query.is_aggregate() {
        return api_error("Aggregate queries are not supported in Bulk Query".into());
    }
    let table = data.table(query.from.object.name())?;
    for item in &query.select {
        match item {
            SelectItem::Subquery(_) => {
                return not_enabled(
                    "Aggregate Relationships not supported in Bulk V2 Query with CSV content type.",
                );
            }
            SelectItem::TypeOf(_) => {
                return api_error("TYPEOF is not supported in Bulk Query".into());
            }
            SelectItem::Fields(..) => {
                return api_error("FIELDS() is not supported in Bulk Query".into());
            }
            SelectItem::Field(f) => {
                if let FieldExpr::Path(p) = &f.expr
                    && p.segments.len() == 1
                    && let Some(field) = table.def.field(p.field().name())
                {
                    if field.ty.is_compound() {
                        return not_enabled("Selecting compound data not supported in Bulk Query");
                    }
                    if field.ty == FieldType::Base64 {
                        return api_error(format!(
                            "Binary field {} is not supported in Bulk Query",
                            field.name
                        ));
                    }
                }
            }
        }
    }
    None
}

/// `POST /jobs/query`.
pub(crate) async fn create(
    State(app): State<App>,
    caller: Caller,
    Path(version): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<CreateRequest>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "Value does not match expected type. Check the job creation request body.",
        );
    };
    let operation = match req.operation.as_deref() {
        Some("query") => "query",
        Some("queryAll") => "queryAll",
        Some(other) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("Invalid operation: {other}; use query or queryAll"),
            );
        }
        None => return api_error(StatusCode::BAD_REQUEST, "operation is required"),
    };
    let Some(soql_text) = req.query.filter(|q| !q.trim().is_empty()) else {
        return api_error(StatusCode::BAD_REQUEST, "query is required");
    };
    if req.content_type.as_deref().is_some_and(|c| c != "CSV") {
        return api_error(StatusCode::BAD_REQUEST, "contentType must be CSV");
    }
    let Some(delim) = delimiter(req.column_delimiter.as_deref().unwrap_or("COMMA")) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "columnDelimiter must be one of COMMA, TAB, PIPE, SEMICOLON, CARET, BACKQUOTE",
        );
    };
    let line_ending = match req.line_ending.as_deref().unwrap_or("LF") {
        "LF" => "LF",
        "CRLF" => "CRLF",
        _ => return api_error(StatusCode::BAD_REQUEST, "lineEnding must be LF or CRLF"),
    };
    let with_soql = |mut resp: Response| {
        resp.extensions_mut().insert(LoggedSoql(soql_text.clone()));
        resp
    };
    let query = {
        let data = app.state.data.read();
        let query = match engine::check(&data, &caller.profile, &soql_text) {
            Ok(q) => q,
            Err(e) => return with_soql(sf_error(StatusCode::BAD_REQUEST, e.code, e.message)),
        };
        if let Some((code, message)) = bulk_restriction(&data, &query) {
            return with_soql(sf_error(StatusCode::BAD_REQUEST, code, message));
        }
        query
    };
    let object = app
        .state
        .data
        .read()
        .table(query.from.object.name())
        .map(|t| t.def.name.to_owned())
        .unwrap_or_default();
    let n = app.state.bulk.created.fetch_add(1, Ordering::Relaxed) + 1;
    let job = Arc::new(Job {
        id: ids::make("750", n as usize),
        operation,
        object,
        created_by: caller.user_id.clone(),
        created: Utc::now(),
        api_version: parse_version(&version).unwrap_or(0),
        delimiter: delim,
        line_ending,
        polls: AtomicU32::new(0),
        aborted: Mutex::new(None),
        outcome: Mutex::new(None),
        gzip_pages: Mutex::new(HashMap::new()),
    });
    app.state
        .bulk
        .jobs
        .lock()
        .insert(job.id.clone(), Arc::clone(&job));
    let forced_failure = {
        let mut faults = app.state.faults.lock();
        (!faults.fail_next_jobs.is_empty()).then(|| faults.fail_next_jobs.remove(0))
    };
    let state = Arc::clone(&app.state);
    let worker = Arc::clone(&job);
    let profile = caller.profile.clone();
    // The query runs once, in the background; every page is cut from its rendered CSV.
    tokio::task::spawn_blocking(move || {
        let outcome = match forced_failure {
            Some(message) => Outcome::Failed(message),
            None => {
                let data = state.data.read();
                let all_rows = worker.operation == "queryAll";
                match engine::execute(&data, &profile, &query, all_rows) {
                    Ok(selection) => {
                        let ending: &[u8] = if worker.line_ending == "CRLF" {
                            b"\r\n"
                        } else {
                            b"\n"
                        };
                        Outcome::Done(Arc::new(csv::render(
                            &data,
                            &selection,
                            worker.delimiter.1,
                            ending,
                        )))
                    }
                    Err(QueryFailure { message, .. }) => Outcome::Failed(Some(message)),
                }
            }
        };
        *worker.outcome.lock() = Some(outcome);
    });
    with_soql(json_ok(&job.info(JobState::UploadComplete, false)))
}

/// Finds a job and enforces the same-API-version rule.
pub(super) fn job_for(app: &App, id: &str, version: &str) -> Result<Arc<Job>, Response> {
    let job = app.state.bulk.get(id).ok_or_else(|| {
        sf_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    })?;
    let requested = parse_version(version).unwrap_or(0);
    if requested != job.api_version {
        return Err(api_error(
            StatusCode::CONFLICT,
            format!(
                "The API version of this request (v{requested}.0) does not match the API version of the job (v{}.0); use v{}.0",
                job.api_version, job.api_version
            ),
        ));
    }
    Ok(job)
}

/// `GET /jobs/query/{id}`.
pub(crate) async fn info(
    State(app): State<App>,
    _caller: Caller,
    Path((version, id)): Path<(String, String)>,
) -> Response {
    match job_for(&app, &id, &version) {
        Ok(job) => {
            let state = job.state(app.state.polls_in_progress, true);
            json_ok(&job.info(state, true))
        }
        Err(r) => r,
    }
}

/// `PATCH /jobs/query/{id}` with `{"state":"Aborted"}`.
pub(crate) async fn abort(
    State(app): State<App>,
    _caller: Caller,
    Path((version, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let job = match job_for(&app, &id, &version) {
        Ok(job) => job,
        Err(r) => return r,
    };
    let wanted = serde_json::from_slice::<Json>(&body)
        .ok()
        .and_then(|b| b.get("state").and_then(Json::as_str).map(str::to_owned));
    if wanted.as_deref() != Some("Aborted") {
        return api_error(
            StatusCode::BAD_REQUEST,
            "Query jobs can only be changed to state Aborted",
        );
    }
    let state = job.state(app.state.polls_in_progress, false);
    if state.is_terminal() {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALIDJOBSTATE",
            format!(
                "Aborting already {} Job not allowed",
                if state == JobState::JobComplete {
                    "Completed"
                } else {
                    state.as_str()
                }
            ),
        );
    }
    *job.aborted.lock() = Some(Utc::now());
    json_ok(&job.info(JobState::Aborted, false))
}

/// `DELETE /jobs/query/{id}` → 204.
pub(crate) async fn delete(
    State(app): State<App>,
    _caller: Caller,
    Path((version, id)): Path<(String, String)>,
) -> Response {
    let job = match job_for(&app, &id, &version) {
        Ok(job) => job,
        Err(r) => return r,
    };
    if !job.state(app.state.polls_in_progress, false).is_terminal() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "Error encountered when deleting the job because the job is not terminated",
        );
    }
    app.state.bulk.jobs.lock().remove(&id);
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /jobs/query`.
pub(crate) async fn list(
    State(app): State<App>,
    _caller: Caller,
    Path(_version): Path<String>,
) -> Response {
    let mut jobs: Vec<Arc<Job>> = app.state.bulk.jobs.lock().values().cloned().collect();
    jobs.sort_by_key(|j| j.created);
    let records: Vec<Json> = jobs
        .iter()
        .map(|j| {
            let mut info = j.info(j.state(app.state.polls_in_progress, false), false);
            info["jobType"] = "V2Query".into();
            info
        })
        .collect();
    json_ok(&json!({"done": true, "records": records, "nextRecordsUrl": null}))
}
