//! HTTP: the router, per-request bookkeeping (log, faults, API limits), shared helpers.

// Handlers return early with a ready `Response` as their error value; boxing it would only
// add allocations on error paths.
#![allow(clippy::result_large_err)]

mod admin;
mod aggregate;
pub(crate) mod bulk;
mod columns;
mod composite;
pub(crate) mod counted;
mod csv;
pub(crate) mod cursor;
mod describe;
mod engine;
mod oauth;
mod query;
mod render;
mod request_encoding;
mod request_size;
mod rest;
mod soap;
#[cfg(feature = "tls")]
pub(crate) mod tls;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::OrgState;
use crate::auth::Profile;
use crate::faults::Failure;
use crate::log::{Api, LoggedRequest};
use crate::model::ids;

/// Oldest API version still served; older ones answer 410 (REST).
pub(crate) const MIN_VERSION: u32 = 31;
/// Newest API version served.
pub(crate) const MAX_VERSION: u32 = 66;

/// What every handler gets: the org and the base URL of the listener the request came in on
/// (the `instance_url` to hand out, http or https).
#[derive(Clone)]
pub(crate) struct App {
    pub state: Arc<OrgState>,
    pub base_url: Arc<str>,
}

/// The SOQL a handler saw, put on the response for the request log.
#[derive(Clone)]
pub(crate) struct LoggedSoql(pub String);

/// Builds the router for one listener.
pub(crate) fn router(state: Arc<OrgState>, base_url: String) -> Router {
    let app = App {
        state,
        base_url: base_url.into(),
    };
    let data = Router::new()
        .route("/", get(rest::resources))
        .route("/limits", get(rest::limits))
        .route("/limits/", get(rest::limits))
        .route("/sobjects", get(describe::describe_global))
        .route("/sobjects/", get(describe::describe_global))
        .route(
            "/sobjects/{object}",
            get(describe::basic_info).post(rest::create),
        )
        .route("/sobjects/{object}/describe", get(describe::describe))
        .route("/sobjects/{object}/describe/", get(describe::describe))
        .route("/sobjects/{object}/updated", get(rest::updated))
        .route("/sobjects/{object}/updated/", get(rest::updated))
        .route("/sobjects/{object}/deleted", get(rest::deleted))
        .route("/sobjects/{object}/deleted/", get(rest::deleted))
        .route(
            "/sobjects/{object}/{id}",
            get(rest::retrieve).patch(rest::update).delete(rest::delete),
        )
        .route("/sobjects/{object}/{id}/undelete", post(rest::undelete))
        .route("/sobjects/{object}/{id}/{field}", get(rest::blob))
        .route("/query", get(query::query))
        .route("/query/", get(query::query))
        .route("/queryAll", get(query::query_all))
        .route("/queryAll/", get(query::query_all))
        .route("/query/{locator}", get(query::query_more))
        .route("/queryAll/{locator}", get(query::query_more))
        .route("/composite", post(composite::composite))
        .route("/jobs/query", get(bulk::list).post(bulk::create))
        .route(
            "/jobs/query/{id}",
            get(bulk::info).patch(bulk::abort).delete(bulk::delete),
        )
        .route("/jobs/query/{id}/results", get(bulk::results))
        .route("/jobs/query/{id}/resultPages", get(bulk::result_pages))
        .method_not_allowed_fallback(method_not_allowed);
    let routes = Router::new()
        .route("/services/oauth2/token", post(oauth::token))
        .route("/services/oauth2/userinfo", get(oauth::userinfo))
        .route("/id/{org}/{user}", get(oauth::identity))
        .route("/services/Soap/u/{version}", post(soap::handle))
        .route("/services/Soap/u/{version}/{org}", post(soap::handle))
        .route("/services/data", get(rest::versions))
        .route("/services/data/", get(rest::versions))
        .nest("/services/data/{version}", data)
        .merge(admin::routes(&app))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), track))
        .with_state(app);
    // A layer runs after its own router has routed, so the path is fixed up one router out.
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn(collapse_slashes))
}

/// Treats a run of slashes in the path as one, as a real org does: the Salesforce CLI keeps
/// the instance URL with a trailing slash and asks for `//services/data/…`.
async fn collapse_slashes(mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    if path.contains("//") {
        let mut collapsed = String::with_capacity(path.len());
        for c in path.chars() {
            if !(c == '/' && collapsed.ends_with('/')) {
                collapsed.push(c);
            }
        }
        if let Some(query) = req.uri().query() {
            collapsed.push('?');
            collapsed.push_str(query);
        }
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = collapsed.parse().ok();
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

async fn not_found() -> Response {
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

async fn method_not_allowed(method: axum::http::Method) -> Response {
    sf_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("HTTP Method '{method}' not allowed for this resource"),
    )
}

/// A Salesforce REST error: a JSON array of `{message, errorCode}`.
pub(crate) fn sf_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!([{"message": message.into(), "errorCode": code}]);
    json_with(status, &body)
}

/// A REST error that names the fields at fault.
pub(crate) fn sf_field_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    fields: &[&str],
) -> Response {
    let body =
        serde_json::json!([{"message": message.into(), "errorCode": code, "fields": fields}]);
    json_with(status, &body)
}

/// JSON with Salesforce's content type.
pub(crate) fn json_with(status: StatusCode, body: &serde_json::Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        bytes,
    )
        .into_response()
}

pub(crate) fn json_ok(body: &serde_json::Value) -> Response {
    json_with(StatusCode::OK, body)
}

/// `v62.0` → 62. `None` when the segment is not a version Salesforce would parse.
pub(crate) fn parse_version(segment: &str) -> Option<u32> {
    let rest = segment.strip_prefix('v')?;
    let (major, minor) = rest.split_once('.')?;
    if minor != "0" || major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    major.parse().ok()
}

/// The caller of an API request: who the bearer token belongs to.
pub(crate) struct Caller {
    pub user_id: String,
    pub profile: Profile,
}

pub(crate) fn invalid_session() -> Response {
    let mut resp = sf_error(
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    );
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
    resp
}

/// The token of an `Authorization: Bearer …` (or the older `OAuth …`) header.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("OAuth "))
        .map(str::trim)
}

impl Caller {
    /// The caller of a session token, or the error response Salesforce gives.
    pub(crate) fn from_token(state: &OrgState, token: Option<&str>) -> Result<Caller, Response> {
        let auth = state.auth.lock();
        let user = token
            .and_then(|t| auth.session_user(t))
            .ok_or_else(invalid_session)?;
        let profile = auth.users[user].profile.clone();
        if !profile.api_enabled() {
            return Err(sf_error(
                StatusCode::FORBIDDEN,
                "API_CURRENTLY_DISABLED",
                "API is disabled for this User",
            ));
        }
        Ok(Caller {
            user_id: ids::make("005", user),
            profile,
        })
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Caller::from_token(&app.state, bearer(parts))
    }
}

fn failure_response(failure: Failure) -> Response {
    match failure {
        Failure::ServerError => sf_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)",
        ),
        Failure::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html;charset=UTF-8")],
            "<html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1>\
             <p>The server is temporarily unable to service your request. Please try again later.</p></body></html>",
        )
            .into_response(),
        Failure::RequestLimitExceeded => sf_error(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        ),
        Failure::ConcurrentRequestLimitExceeded => sf_error(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded.",
        ),
        Failure::BadGateway => html(StatusCode::BAD_GATEWAY, "Bad Gateway"),
        Failure::EdgeMaintenance => html(
            StatusCode::from_u16(420).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "We're setting things up",
        ),
        Failure::QueryTimeout => sf_error(
            StatusCode::BAD_REQUEST,
            "QUERY_TIMEOUT",
            "Your query request was running for too long.",
        ),
    }
}

fn html(status: StatusCode, title: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html;charset=UTF-8")],
        format!("<html><head><title>{title}</title></head><body><h1>{title}</h1><p>Please try again in a few minutes.</p></body></html>"),
    )
        .into_response()
}

/// Whether a request counts against the daily API budget: every versioned REST and Bulk call.
/// The versions list, the token endpoint and SOAP login do not (SOAP query counts itself).
fn counted(path: &str) -> bool {
    path.strip_prefix("/services/data/")
        .is_some_and(|rest| !rest.is_empty())
}

pub(crate) fn limit_info(state: &OrgState) -> HeaderValue {
    let used = state.api_used.load(Ordering::Relaxed);
    HeaderValue::from_str(&format!("api-usage={used}/{}", state.daily_limit))
        .unwrap_or(HeaderValue::from_static("api-usage=0/0"))
}

/// Counts one call against the daily budget, or answers `REQUEST_LIMIT_EXCEEDED` when spent.
pub(crate) fn spend_api_call(state: &OrgState) -> bool {
    state
        .api_used
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
            (used < state.daily_limit).then_some(used + 1)
        })
        .is_ok()
}

/// The `q` of a REST query URL, decoded (also when the handler never ran, e.g. on a 401).
fn rest_soql(path: &str, query: Option<&str>) -> Option<String> {
    if !(path.ends_with("/query")
        || path.ends_with("/queryAll")
        || path.ends_with("/query/")
        || path.ends_with("/queryAll/"))
    {
        return None;
    }
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned())
}

async fn track(State(app): State<App>, req: Request<Body>, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let api = Api::of_path(&path);
    let response = answer(&app, api, &path, req, next).await;
    let soql = response
        .extensions()
        .get::<LoggedSoql>()
        .map(|s| s.0.clone())
        .or_else(|| rest_soql(&path, query.as_deref()));
    app.state.log.lock().push(LoggedRequest {
        method,
        path,
        query,
        soql,
        status: response.status().as_u16(),
        api,
    });
    let (parts, body) = response.into_parts();
    Response::from_parts(
        parts,
        counted::CountedBody::wrap(body, Arc::clone(&app.state)),
    )
}

async fn answer(app: &App, api: Api, path: &str, req: Request<Body>, next: Next) -> Response {
    if let Some(refused) = request_size::refusal(&req) {
        return refused;
    }
    let req = match request_encoding::decode(req, api == Api::Soap).await {
        Ok(req) => req,
        Err(refused) => return refused,
    };
    if api != Api::Admin {
        let failure = {
            let mut faults = app.state.faults.lock();
            (!faults.fail_next.is_empty()).then(|| faults.fail_next.remove(0))
        };
        if let Some(failure) = failure {
            return failure_response(failure);
        }
    }
    if let Some(rest) = path.strip_prefix("/services/data/") {
        let segment = rest.split('/').next().unwrap_or_default();
        if !segment.is_empty() {
            match parse_version(segment) {
                Some(v) if (MIN_VERSION..=MAX_VERSION).contains(&v) => {}
                Some(v) if v < MIN_VERSION => {
                    return sf_error(
                        StatusCode::GONE,
                        "GONE",
                        format!("Version {v}.0 of the API is retired and no longer available"),
                    );
                }
                _ => return not_found().await,
            }
        }
    }
    // Calls without a live session are refused before they count, as in a real org.
    let (parts, body) = req.into_parts();
    let authenticated =
        bearer(&parts).is_some_and(|t| app.state.auth.lock().session_user(t).is_some());
    let req = Request::from_parts(parts, body);
    if !counted(path) || !authenticated {
        return next.run(req).await;
    }
    if !spend_api_call(&app.state) {
        let mut resp = failure_response(Failure::RequestLimitExceeded);
        resp.headers_mut()
            .insert("Sforce-Limit-Info", limit_info(&app.state));
        return resp;
    }
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert("Sforce-Limit-Info", limit_info(&app.state));
    resp
}

/// Sends a result page, applying the page faults: a delay, or a body cut after N bytes
/// (headers go out, then the connection drops mid-body).
pub(crate) async fn deliver(
    state: &OrgState,
    status: StatusCode,
    mut headers: axum::http::HeaderMap,
    chunks: Vec<bytes::Bytes>,
) -> Response {
    let (delay, cut) = {
        let mut faults = state.faults.lock();
        (faults.slow_pages, faults.cut_next_body.take())
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let body = match cut {
        Some(after) => {
            let mut kept = Vec::new();
            let mut left = after;
            for chunk in chunks {
                let n = left.min(chunk.len());
                kept.push(Ok::<_, std::io::Error>(chunk.slice(..n)));
                left -= n;
            }
            // Let the headers and the first bytes reach the client before the connection drops.
            let cut = futures::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "emulated fault: body cut midway",
                ))
            });
            Body::from_stream(futures::StreamExt::chain(futures::stream::iter(kept), cut))
        }
        None if chunks.len() == 1 => Body::from(chunks.into_iter().next().unwrap_or_default()),
        None => {
            // A known length keeps hyper off chunked encoding: header and rows go out as two
            // zero-copy slices of the job's buffer.
            let length: usize = chunks.iter().map(bytes::Bytes::len).sum();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            Body::from_stream(futures::stream::iter(
                chunks.into_iter().map(Ok::<_, std::io::Error>),
            ))
        }
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

/// A JSON result page (REST query) through [`deliver`].
pub(crate) async fn deliver_page(state: &OrgState, json: Vec<u8>) -> Response {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    deliver(
        state,
        StatusCode::OK,
        headers,
        vec![bytes::Bytes::from(json)],
    )
    .await
}
