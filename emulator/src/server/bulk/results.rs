//! Result pages of a completed job: `results` by locator and `maxRecords`, `resultPages`,
//! gzip, and the NUL-bytes fault.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::json;

use super::super::csv::CsvResult;
use super::super::{App, Caller, deliver, json_with, parse_version, sf_error};
use super::{Job, Outcome, api_error, job_for};
use crate::ResultPagesShape;

fn encode_locator(row: usize) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(row.to_string())
}

fn decode_locator(locator: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(locator.trim_end_matches('='))
        .ok()?;
    String::from_utf8(bytes).ok()?.parse().ok()
}

fn gzip(parts: &[&[u8]]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for p in parts {
        let _ = enc.write_all(p);
    }
    Bytes::from(enc.finish().unwrap_or_default())
}

fn wants_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

/// Rows `[start, end)` with a NUL byte after the opening quote of each row's first value.
fn nul_bytes_inside_rows(result: &CsvResult, start: usize, end: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for r in start..end {
        let row = result.slice(r, r + 1);
        out.extend_from_slice(&row[..1]);
        out.push(0);
        out.extend_from_slice(&row[1..]);
    }
    out
}

fn gzip_or_plain(headers: &HeaderMap, header: &[u8], rows: &[u8], out: &mut HeaderMap) -> Vec<u8> {
    if wants_gzip(headers) {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        gzip(&[header, rows]).to_vec()
    } else {
        [header, rows].concat()
    }
}

fn completed(job: &Job) -> Result<Arc<CsvResult>, Response> {
    match &*job.outcome.lock() {
        _ if job.aborted.lock().is_some() => Err(sf_error(
            StatusCode::BAD_REQUEST,
            "INVALIDJOBSTATE",
            "Job is aborted; it has no results",
        )),
        Some(Outcome::Done(result)) => Ok(Arc::clone(result)),
        Some(Outcome::Failed(_)) => Err(sf_error(
            StatusCode::BAD_REQUEST,
            "INVALIDJOBSTATE",
            "Job failed; it has no results",
        )),
        None => Err(sf_error(
            StatusCode::BAD_REQUEST,
            "INVALIDJOBSTATE",
            "Job is not completed yet; poll the job until state is JobComplete",
        )),
    }
}

/// `GET /jobs/query/{id}/results[?locator=&maxRecords=]`.
pub(crate) async fn results(
    State(app): State<App>,
    _caller: Caller,
    Path((version, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let job = match job_for(&app, &id, &version) {
        Ok(job) => job,
        Err(r) => return r,
    };
    let result = match completed(&job) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let start = match params.get("locator").filter(|l| !l.is_empty()) {
        None => 0,
        Some(l) => match decode_locator(l).filter(|&s| s <= result.rows()) {
            Some(s) => s,
            None => {
                return api_error(StatusCode::BAD_REQUEST, format!("Invalid locator: {l}"));
            }
        },
    };
    let page_rows = match params.get("maxRecords") {
        None => app.state.page_rows,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    format!("Invalid maxRecords: {m}; use a positive number"),
                );
            }
        },
    };
    let end = start.saturating_add(page_rows).min(result.rows());
    let next = if end < result.rows() {
        encode_locator(end)
    } else {
        "null".to_owned()
    };
    let mut resp_headers = HeaderMap::new();
    resp_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    if let Ok(v) = HeaderValue::from_str(&next) {
        resp_headers.insert("Sforce-Locator", v);
    }
    resp_headers.insert("Sforce-NumberOfRecords", HeaderValue::from(end - start));
    let with_nuls = std::mem::take(&mut app.state.faults.lock().nul_bytes_next_page);
    let rows = if with_nuls {
        Bytes::from(nul_bytes_inside_rows(&result, start, end))
    } else {
        result.slice(start, end)
    };
    let chunks = if wants_gzip(&headers) && !with_nuls {
        resp_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        let cached = job.gzip_pages.lock().get(&(start, end)).cloned();
        let body = match cached {
            Some(b) => b,
            None => {
                let rows = result.slice(start, end);
                let b = tokio::task::spawn_blocking(move || gzip(&[&result.header, &rows]))
                    .await
                    .unwrap_or_default();
                job.gzip_pages.lock().insert((start, end), b.clone());
                b
            }
        };
        vec![body]
    } else if with_nuls {
        vec![Bytes::from(gzip_or_plain(
            &headers,
            &result.header,
            &rows,
            &mut resp_headers,
        ))]
    } else {
        vec![result.header.clone(), rows]
    };
    deliver(&app.state, StatusCode::OK, resp_headers, chunks).await
}

/// `GET /jobs/query/{id}/resultPages[?locator=]` (v58.0+): up to five page links at a time, in
/// the shape independent clients observed (`resultChunks[].resultLink`, relative links).
pub(crate) async fn result_pages(
    State(app): State<App>,
    _caller: Caller,
    Path((version, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if parse_version(&version).unwrap_or(0) < 58 {
        return sf_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    }
    let job = match job_for(&app, &id, &version) {
        Ok(job) => job,
        Err(r) => return r,
    };
    let result = match completed(&job) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let page_rows = params
        .get("maxRecords")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(app.state.page_rows);
    let mut start = params
        .get("locator")
        .and_then(|l| decode_locator(l))
        .unwrap_or(0);
    let mut links = Vec::new();
    while links.len() < 5 && (start < result.rows() || (start == 0 && links.is_empty())) {
        links.push(if start == 0 {
            format!("/jobs/query/{id}/results?maxRecords={page_rows}")
        } else {
            format!(
                "/jobs/query/{id}/results?locator={}&maxRecords={page_rows}",
                encode_locator(start)
            )
        });
        start += page_rows;
    }
    let next = (start < result.rows()).then(|| {
        format!(
            "/jobs/query/{id}/resultPages?locator={}&maxRecords={page_rows}",
            encode_locator(start)
        )
    });
    let body = match app.state.result_pages_shape {
        ResultPagesShape::Observed => json!({
            "resultChunks": links.iter().map(|l| json!({"resultLink": l})).collect::<Vec<_>>(),
            "nextRecordsUrl": next,
        }),
        // The documentation's example: absolute paths under /services/data/vXX.X and `done`.
        ResultPagesShape::Documented => json!({
            "resultPages": links
                .iter()
                .map(|l| json!({"resultUrl": format!("/services/data/{version}{l}")}))
                .collect::<Vec<_>>(),
            "nextRecordsUrl": next.as_ref().map(|n| format!("/services/data/{version}{n}")),
            "done": next.is_none(),
        }),
    };
    json_with(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_are_opaque_base64_of_the_row() {
        assert_eq!(encode_locator(10000), "MTAwMDA");
        assert_eq!(decode_locator("MTAwMDA"), Some(10000));
        assert_eq!(decode_locator("not base64!"), None);
    }
}
