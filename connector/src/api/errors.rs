//! Salesforce error bodies → typed errors.
//!
//! Shapes seen: a REST/Bulk JSON array `[{"message","errorCode","fields"}]`, a single such
//! object, the OAuth `{"error","error_description"}`, a SOAP fault (HTTP 500), and edge HTML
//! pages on 5xx — never assume JSON.

use serde::Deserialize;

use crate::error::Error;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    error_code: String,
    #[serde(default)]
    fields: Vec<String>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Turns a failed response's body into an [`Error`].
pub(crate) fn parse_error(context: &str, status: u16, body: &[u8]) -> Error {
    let trimmed = trim(body);
    if trimmed.starts_with(b"[") {
        if let Ok(mut list) = serde_json::from_slice::<Vec<RestError>>(trimmed)
            && !list.is_empty()
        {
            let e = list.remove(0);
            let code = Some(e.error_code).filter(|c| !c.is_empty());
            return api(context, status, code, e.message, e.fields);
        }
    } else if trimmed.starts_with(b"{") {
        if let Ok(e) = serde_json::from_slice::<OAuthError>(trimmed) {
            return Error::Auth {
                error: e.error,
                description: e.error_description,
                status: Some(status),
            };
        }
        if let Ok(e) = serde_json::from_slice::<RestError>(trimmed)
            && !e.error_code.is_empty()
        {
            return api(context, status, Some(e.error_code), e.message, e.fields);
        }
    } else if trimmed.starts_with(b"<")
        && let Some(fault) = super::soap::parse_fault(trimmed, status)
    {
        return fault;
    }
    let text = String::from_utf8_lossy(trimmed);
    let snippet: String = text.chars().take(200).collect();
    api(context, status, None, snippet, Vec::new())
}

fn api(
    context: &str,
    status: u16,
    error_code: Option<String>,
    message: String,
    fields: Vec<String>,
) -> Error {
    Error::Api {
        context: context.to_string(),
        status,
        error_code,
        message,
        fields,
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    use sfdf_fixtures::bytes as fixture;

    #[test]
    fn rest_error_arrays_keep_code_message_and_fields() {
        let e = parse_error(
            "query",
            400,
            &fixture("errors/MALFORMED_QUERY.query.applink-v51.json"),
        );
        assert_eq!(e.error_code(), Some("MALFORMED_QUERY"));
        assert!(!e.is_retryable());
        let e = parse_error(
            "session",
            401,
            &fixture("errors/INVALID_SESSION_ID.401.applink-v51.json"),
        );
        assert_eq!(e.error_code(), Some("INVALID_SESSION_ID"));
        assert!(e.is_retryable(), "a fresh token helps");
        let e = parse_error(
            "query",
            400,
            &fixture("errors/INVALID_FIELD.query-unknown-column.applink-v51.json"),
        );
        assert_eq!(e.error_code(), Some("INVALID_FIELD"));
        let e = parse_error(
            "describe",
            404,
            &fixture("errors/NOT_FOUND.describe-unknown-object.restforce.json"),
        );
        assert_eq!(e.error_code(), Some("NOT_FOUND"));
        assert_eq!(e.status(), Some(404));
    }

    #[test]
    fn every_error_fixture_parses_to_a_code() {
        for path in sfdf_fixtures::files("errors") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            // A 300 lists URLs and composite-graph nests its errors: neither is an error body.
            if name.contains("wiremock")
                || !name.ends_with(".json")
                || name.starts_with("MULTIPLE_CHOICES")
                || name.starts_with("PROCESSING_HALTED")
            {
                continue;
            }
            let code = name.split('.').next().unwrap();
            let e = parse_error("x", 400, &std::fs::read(&path).unwrap());
            assert_eq!(e.error_code(), Some(code), "{name}: {e}");
        }
    }

    #[test]
    fn oauth_errors_and_edge_pages() {
        let e = parse_error(
            "token",
            400,
            &fixture("oauth/token.error.invalid_grant.restforce.json"),
        );
        assert!(
            matches!(e, Error::Auth { ref error, .. } if error == "invalid_grant"),
            "{e}"
        );
        let e = parse_error(
            "page",
            503,
            b"<html><body>Service Unavailable</body></html>",
        );
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(503));
        let e = parse_error("limits", 403, br#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#);
        assert!(e.is_retryable());
    }
}
