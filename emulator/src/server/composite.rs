//! `POST /services/data/vXX.X/composite` with query subrequests: how a client sends a SOQL
//! query too long for a GET URI (Salesforce's advice for 414/431 on long REST queries is to
//! put the query in a Composite request's body). Only `GET` query/queryAll subrequests are
//! served; any other resource answers 404 `NOT_FOUND` inside the composite response.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::query::{Refusal, batch_size, first_page, next_page};
use super::{App, Caller, LoggedSoql, deliver_page, parse_version, sf_error};

/// The Composite resource exists from API 42.0 on.
const MIN_COMPOSITE_VERSION: u32 = 42;
/// Subrequests per composite request.
const MAX_SUBREQUESTS: usize = 25;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompositeRequest {
    #[serde(default)]
    all_or_none: bool,
    composite_request: Vec<Subrequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subrequest {
    method: String,
    url: String,
    reference_id: String,
    #[serde(default)]
    http_headers: HashMap<String, String>,
}

/// `POST /services/data/vXX.X/composite`.
pub(crate) async fn composite(
    State(app): State<App>,
    caller: Caller,
    Path(version): Path<String>,
    body: Bytes,
) -> Response {
    if parse_version(&version).is_none_or(|v| v < MIN_COMPOSITE_VERSION) {
        return sf_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    }
    let request: CompositeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return sf_error(
                StatusCode::BAD_REQUEST,
                "JSON_PARSER_ERROR",
                format!("The request body is not a composite request: {e}"),
            );
        }
    };
    if request.composite_request.is_empty() || request.composite_request.len() > MAX_SUBREQUESTS {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            format!("compositeRequest must hold 1 to {MAX_SUBREQUESTS} subrequests"),
        );
    }
    let mut logged = None;
    let mut results: Vec<(String, Result<Json, Refusal>)> = Vec::new();
    for sub in &request.composite_request {
        let (result, soql) = answer(&app, &caller, sub);
        if logged.is_none() {
            logged = soql;
        }
        results.push((sub.reference_id.clone(), result));
    }
    let failed = results.iter().any(|(_, r)| r.is_err());
    let entries: Vec<Json> = results
        .into_iter()
        .map(|(reference_id, result)| {
            let (status, body) = match result {
                Ok(_) if request.all_or_none && failed => (
                    StatusCode::BAD_REQUEST,
                    json!([{"errorCode": "PROCESSING_HALTED", "message": "We rolled back the transaction since another operation in the same transaction failed."}]),
                ),
                Ok(body) => (StatusCode::OK, body),
                Err((status, code, message)) => {
                    (status, json!([{"errorCode": code, "message": message}]))
                }
            };
            json!({
                "body": body,
                "httpHeaders": {},
                "httpStatusCode": status.as_u16(),
                "referenceId": reference_id,
            })
        })
        .collect();
    let body = json!({ "compositeResponse": entries });
    let mut resp = deliver_page(&app.state, serde_json::to_vec(&body).unwrap_or_default()).await;
    if let Some(q) = logged {
        resp.extensions_mut().insert(LoggedSoql(q));
    }
    resp
}

/// One subrequest's page (or refusal) and the SOQL it carried.
fn answer(app: &App, caller: &Caller, sub: &Subrequest) -> (Result<Json, Refusal>, Option<String>) {
    let not_found = || {
        Err((
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist".to_string(),
        ))
    };
    let Ok(url) = url::Url::parse("http://composite.invalid/").and_then(|b| b.join(&sub.url))
    else {
        return (not_found(), None);
    };
    let Some(rest) = url.path().strip_prefix("/services/data/") else {
        return (not_found(), None);
    };
    let (version, resource) = rest.split_once('/').unwrap_or((rest, ""));
    if sub.method != "GET" || parse_version(version).is_none() {
        return (not_found(), None);
    }
    let resource = resource.trim_end_matches('/');
    let (kind, locator) = resource.split_once('/').unwrap_or((resource, ""));
    let all_rows = match kind {
        "query" => false,
        "queryAll" => true,
        _ => return (not_found(), None),
    };
    if !locator.is_empty() {
        return (next_page(app, version, locator, kind), None);
    }
    let q = url
        .query_pairs()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned());
    let mut headers = HeaderMap::new();
    for (name, value) in &sub.http_headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    let batch = batch_size(&headers);
    (
        first_page(app, caller, version, q.as_deref(), batch, all_rows),
        q,
    )
}
