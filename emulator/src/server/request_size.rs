//! The request size limits an org's front door enforces before any API code runs.
//!
//! Salesforce documents (REST API, "maximum rows returned by SOQL queries over the REST API"):
//! URI and headers together may hold at most 16,384 bytes; over that the request answers
//! `431 Request Header Fields Too Large`, and when the URI alone is over it, `414 URI Too Long`.
//! The body of those answers is not documented; an HTML page like the org's other edge
//! answers is a best guess.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// URI and headers together, in bytes.
pub(crate) const MAX_URI_AND_HEADERS: usize = 16_384;

/// The edge's answer to a request over the size limits, if it is.
pub(crate) fn refusal(req: &Request<Body>) -> Option<Response> {
    let uri = req
        .uri()
        .path_and_query()
        .map_or(req.uri().path().len(), |p| p.as_str().len());
    if uri > MAX_URI_AND_HEADERS {
        return Some(page(StatusCode::URI_TOO_LONG, "414 URI Too Long"));
    }
    // `Name: value\r\n` per header.
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (uri + headers > MAX_URI_AND_HEADERS).then(|| {
        page(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "431 Request Header Fields Too Large",
        )
    })
}

fn page(status: StatusCode, title: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html;charset=UTF-8")],
        format!("<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"),
    )
        .into_response()
}
