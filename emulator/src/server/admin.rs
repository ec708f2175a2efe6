//! The admin endpoint `/__emulator/…`: fault controls, request log, recycle bin, over HTTP,
//! for clients that are not Rust tests (scripts, other languages). Never counted, never faulted.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use super::{App, json_ok, json_with};
use crate::faults::{Failure, FaultState};

pub(crate) fn routes(app: &App) -> Router<App> {
    Router::new()
        .route("/__emulator/faults", delete(clear_faults))
        .route("/__emulator/faults/fail-next", post(fail_next))
        .route("/__emulator/faults/expire-tokens", post(expire_tokens))
        .route(
            "/__emulator/faults/expire-query-cursors",
            post(expire_query_cursors),
        )
        .route(
            "/__emulator/faults/fail-next-bulk-job",
            post(fail_next_bulk_job),
        )
        .route("/__emulator/faults/slow-pages", post(slow_pages))
        .route("/__emulator/faults/cut-next-body", post(cut_next_body))
        .route(
            "/__emulator/faults/nul-bytes-next-page",
            post(nul_bytes_next_page),
        )
        .route("/__emulator/soap-login", post(soap_login))
        .route("/__emulator/requests", get(requests).delete(clear_requests))
        .route("/__emulator/recycle-bin/empty", post(empty_recycle_bin))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            require_admin_token,
        ))
}

/// With an admin token set, the admin endpoints answer 401 without it.
async fn require_admin_token(
    State(app): State<App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(token) = &app.state.admin_token {
        let given = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return json_with(
                StatusCode::UNAUTHORIZED,
                &json!({"error": "the admin endpoints need `Authorization: Bearer TOKEN` (the token sfdf emulator printed)"}),
            );
        }
    }
    next.run(request).await
}

fn bad_request(message: String) -> Response {
    json_with(StatusCode::BAD_REQUEST, &json!({"error": message}))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8], example: &str) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("invalid JSON body ({e}); expected e.g. {example}")))
}

#[derive(Deserialize)]
struct FailNext {
    count: usize,
    failure: Failure,
}

async fn fail_next(State(app): State<App>, body: Bytes) -> Response {
    match parse::<FailNext>(&body, r#"{"count": 2, "failure": "server_error"}"#) {
        Ok(req) => {
            app.state
                .faults
                .lock()
                .fail_next
                .extend(std::iter::repeat_n(req.failure, req.count));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn expire_tokens(State(app): State<App>) -> Response {
    app.state.auth.lock().expire_all();
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_query_cursors(State(app): State<App>) -> Response {
    app.state.cursors.expire_all();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct FailJob {
    error_message: Option<String>,
    /// How many jobs in a row fail (1 when absent).
    count: Option<usize>,
}

async fn fail_next_bulk_job(State(app): State<App>, body: Bytes) -> Response {
    let body = if body.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        body
    };
    match parse::<FailJob>(&body, r#"{"error_message": "…", "count": 3} or {}"#) {
        Ok(req) => {
            let count = req.count.unwrap_or(1);
            app.state
                .faults
                .lock()
                .fail_next_jobs
                .extend(std::iter::repeat_n(req.error_message, count));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct SlowPages {
    delay_ms: u64,
}

async fn slow_pages(State(app): State<App>, body: Bytes) -> Response {
    match parse::<SlowPages>(&body, r#"{"delay_ms": 250}"#) {
        Ok(req) => {
            app.state.faults.lock().slow_pages = Duration::from_millis(req.delay_ms);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct CutBody {
    after_bytes: usize,
}

async fn cut_next_body(State(app): State<App>, body: Bytes) -> Response {
    match parse::<CutBody>(&body, r#"{"after_bytes": 1000}"#) {
        Ok(req) => {
            app.state.faults.lock().cut_next_body = Some(req.after_bytes);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn nul_bytes_next_page(State(app): State<App>) -> Response {
    app.state.faults.lock().nul_bytes_next_page = true;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct SoapLogin {
    enabled: bool,
}

async fn soap_login(State(app): State<App>, body: Bytes) -> Response {
    match parse::<SoapLogin>(&body, r#"{"enabled": false}"#) {
        Ok(req) => {
            app.state.auth.lock().soap_login_enabled = req.enabled;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

async fn clear_faults(State(app): State<App>) -> Response {
    *app.state.faults.lock() = FaultState::default();
    StatusCode::NO_CONTENT.into_response()
}

async fn requests(State(app): State<App>) -> Response {
    let log = app.state.log.lock().clone();
    json_ok(&serde_json::to_value(log).unwrap_or_default())
}

async fn clear_requests(State(app): State<App>) -> Response {
    app.state.log.lock().clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn empty_recycle_bin(State(app): State<App>) -> Response {
    let purged = app.state.data.write().empty_recycle_bin();
    json_ok(&json!({"purged": purged}))
}
