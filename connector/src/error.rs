//! The crate's one error type.
//!
//! One convention for causes, in every crate of the workspace: **an error's `Display` is
//! the whole story, said once.** When a message already includes the text of the error
//! that caused it (`"{context}: {cause}"`), that cause is kept in a field named `cause`,
//! for code that wants to look at it, and is *not* returned by
//! [`std::error::Error::source`]; otherwise every printer that walks the chain (anyhow's
//! `{:#}`, a logger) would say the same words twice or three times. `source()` is only for
//! a cause whose text the message leaves out. `tests/errors.rs` walks representative
//! chains and fails on any text said twice.

use std::fmt;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of problem a [`ConfigIssue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueKind {
    /// A required setting is not there.
    Missing,
    /// The setting is there but breaks a rule.
    Invalid,
}

/// One problem in a connection's settings, with the setting it concerns and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Missing or invalid.
    pub kind: IssueKind,
    /// The setting's key as written in the connection file, e.g. `domain_url` or
    /// `objects.Account.filter`.
    pub setting: String,
    /// What is wrong. Never contains a secret value.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {} ({})", self.setting, self.problem, self.fix)
    }
}

/// A request that got no HTTP answer (DNS, connect, TLS, timeout, a body cut midway).
///
/// Opaque: the HTTP library is the connector's own business. The message is the library's
/// chain of causes, each said once.
#[derive(Debug)]
pub struct TransportError(reqwest::Error);

impl TransportError {
    /// Network trouble another try may mend; not a refused connection, an unknown host or
    /// a certificate the client does not trust, which the next try meets again.
    fn is_retryable(&self) -> bool {
        let e = &self.0;
        (e.is_timeout() || e.is_connect() || e.is_body() || e.is_request()) && !self.is_permanent()
    }

    /// Refused, unknown host, untrusted certificate: found in the chain of causes.
    fn is_permanent(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&self.0);
        while let Some(e) = cause {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::ConnectionRefused
            {
                return true;
            }
            // hyper-util's resolver and rustls keep their error types private or wrapped;
            // their messages are stable: "dns error", "invalid peer certificate".
            let text = e.to_string();
            if text.starts_with("dns error") || text.contains("invalid peer certificate") {
                return true;
            }
            cause = e.source();
        }
        false
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.0.is_timeout()
    }

    /// Whether no connection could be made (DNS, refused, unreachable).
    pub fn is_connect(&self) -> bool {
        self.0.is_connect()
    }
}

/// The transport error and its causes on one line, each said once (hyper and rustls
/// repeat their cause's text in their own message now and then), and, for a certificate
/// the client does not trust, the setting that mends it.
impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&self.0);
        while let Some(e) = cause {
            let part = e.to_string();
            if !part.is_empty() && !text.contains(&part) {
                if !text.is_empty() {
                    text.push_str(": ");
                }
                text.push_str(&part);
            }
            cause = e.source();
        }
        f.write_str(&text)?;
        if text.contains("invalid peer certificate") {
            f.write_str(
                " (the server's certificate is not signed by an authority this client trusts: behind a proxy that re-signs TLS, or for the emulated org's HTTPS port, set `ca_bundle` in the connection file to a PEM file of that authority)",
            )?;
        }
        Ok(())
    }
}

/// Its `Display` says the whole chain (see the module's convention), so no `source()`.
impl std::error::Error for TransportError {}

/// The state of a Bulk API 2.0 query job (`state` of the job info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub enum JobState {
    /// Created, not yet queued.
    Open,
    /// Queued for processing.
    UploadComplete,
    /// Running.
    InProgress,
    /// Finished; its results can be read.
    JobComplete,
    /// Failed at the org.
    Failed,
    /// Aborted (by us, or at the org).
    Aborted,
    /// A state this client does not know.
    #[serde(other)]
    Unknown,
}

impl JobState {
    /// Whether the job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::JobComplete | JobState::Failed | JobState::Aborted
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobState::Open => "Open",
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
            JobState::Unknown => "an unknown state",
        })
    }
}

/// The cause of an error, kept for code that wants to inspect it.
pub type Source = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong between a connection file and a record batch.
///
/// Variants carry the object, field, HTTP status and Salesforce `errorCode` where known.
/// Secrets never appear in any variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection file could not be read or is not valid YAML for a connection.
    #[error("cannot read connection file {path}: {message}")]
    ConfigFile {
        /// The file (or `<string>` for text given directly).
        path: String,
        /// The YAML or I/O problem, with line and column where known.
        message: String,
    },

    /// The connection's settings break one or more rules; nothing was sent to the org.
    #[error("invalid connection settings:{}", issues.iter().map(|i| format!("\n  - {i}")).collect::<String>())]
    InvalidConnection {
        /// Every problem found, in file order.
        issues: Vec<ConfigIssue>,
    },

    /// The token endpoint refused the OAuth request (`{"error": .., "error_description": ..}`).
    #[error("authentication failed: {error}: {description}")]
    Auth {
        /// OAuth `error` value, e.g. `invalid_client`, `invalid_grant`.
        error: String,
        /// OAuth `error_description`, e.g. `no client credentials user enabled`.
        description: String,
        /// HTTP status of the token response.
        status: Option<u16>,
    },

    /// A SOAP fault (legacy `login()`, or SOAP `query`/`queryMore`).
    #[error("SOAP fault {code}: {message}")]
    SoapFault {
        /// The `faultcode` without the `sf:` prefix, e.g. `INVALID_LOGIN`.
        code: String,
        /// The `faultstring`.
        message: String,
        /// HTTP status (normally 500).
        status: u16,
    },

    /// Salesforce answered a REST or Bulk call with an error.
    #[error("{context}: HTTP {status}{}: {message}", code_text(error_code.as_deref()))]
    Api {
        /// What we were doing, e.g. `describe Account` or `fetch Bulk results page`.
        context: String,
        /// HTTP status.
        status: u16,
        /// Salesforce `errorCode`, e.g. `INVALID_SESSION_ID`, `REQUEST_LIMIT_EXCEEDED`;
        /// `None` when the body was not a Salesforce error (an edge HTML page, say).
        error_code: Option<String>,
        /// Salesforce `message` (or the start of a non-JSON body).
        message: String,
        /// Fields named by the error, if any.
        fields: Vec<String>,
    },

    /// The request never got an HTTP answer (DNS, connect, TLS, timeout, body cut).
    #[error("{context}: {cause}")]
    Http {
        /// What we were doing.
        context: String,
        /// The transport error (its text is in the message: not a `source()`).
        cause: TransportError,
    },

    /// The org answered with something this client does not understand.
    #[error("{context}: unexpected response: {message}")]
    Protocol {
        /// What we were doing.
        context: String,
        /// What was unexpected.
        message: String,
        /// The parser's or library's error, when there was one (its text is in the
        /// message: not a `source()`).
        cause: Option<Source>,
    },

    /// An object name breaks Salesforce's naming rules or is not visible to the connecting user.
    #[error("object `{object}`: {reason}")]
    Object {
        /// The object's API name as given.
        object: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// A field name breaks the naming rules or is not visible on the object.
    #[error("field `{field}` of `{object}`: {reason}")]
    Field {
        /// The object's API name.
        object: String,
        /// The field's API name as given.
        field: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// A data sync filter or pushed filter is not valid SOQL or names unknown fields.
    #[error("filter on `{object}`: {message}")]
    Filter {
        /// The object the filter applies to.
        object: String,
        /// The parser's or checker's message.
        message: String,
        /// The SOQL parser's error, when the filter did not parse (its text is in the
        /// message: not a `source()`).
        cause: Option<Source>,
    },

    /// A Bulk API 2.0 query job failed or was aborted on the org's side.
    #[error("Bulk API query job {job_id} on `{object}` ended {state}: {message}")]
    Job {
        /// The job's id.
        job_id: String,
        /// The object queried.
        object: String,
        /// `Failed` or `Aborted` (or still running, when the wait timed out).
        state: JobState,
        /// The job's `errorMessage`, or a note that it gave none.
        message: String,
    },

    /// A response body could not be turned into Arrow arrays.
    #[error("decoding {context}: {message}")]
    Decode {
        /// What was being decoded, e.g. `Bulk CSV page of Account`.
        context: String,
        /// The decoder's message (Arrow parse errors name the column and line).
        message: String,
        /// Arrow's error, when it gave one (its text is in the message: not a `source()`).
        cause: Option<Source>,
    },

    /// The same failure seen by several partitions of one plan (the Bulk job is run once
    /// for all of them).
    #[error(transparent)]
    Shared(std::sync::Arc<Error>),

    /// An object's extraction crossed the connection's row or byte limit.
    #[error(
        "object `{object}` crossed the limit of {limit}; reading it stopped. Raise `{}` in the connection file's `limits` to read more",
        if limit.ends_with("rows") { "limits.max_rows" } else { "limits.max_bytes" }
    )]
    LimitExceeded {
        /// The object.
        object: String,
        /// The limit, e.g. `100000000 rows` or `50GB`.
        limit: String,
    },
}

impl Error {
    /// Whether trying the same call again later can help: network trouble, 5xx,
    /// `REQUEST_LIMIT_EXCEEDED`, an expired session. Configuration, permission and
    /// query errors are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Http { cause, .. } => cause.is_retryable(),
            Error::Api {
                status, error_code, ..
            } => is_retryable_status(*status, error_code.as_deref()),
            Error::SoapFault { code, status, .. } => {
                code == "REQUEST_LIMIT_EXCEEDED"
                    || code == "INVALID_SESSION_ID"
                    || code == "SERVER_UNAVAILABLE"
                    || (*status >= 502 && *status != 500)
            }
            Error::Shared(inner) => inner.is_retryable(),
            Error::Decode { .. } => false,
            _ => false,
        }
    }

    /// The Salesforce error code (`errorCode`, SOAP fault code or OAuth `error`), if any.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Error::Shared(inner) => inner.error_code(),
            Error::Api {
                error_code: Some(code),
                ..
            } => Some(code),
            Error::SoapFault { code, .. } => Some(code),
            Error::Auth { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of the answer that caused the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Shared(inner) => inner.status(),
            Error::Api { status, .. } | Error::SoapFault { status, .. } => Some(*status),
            Error::Auth { status, .. } => *status,
            Error::Http { cause, .. } => cause.0.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    pub(crate) fn http(context: impl Into<String>, source: reqwest::Error) -> Self {
        Error::Http {
            context: context.into(),
            cause: TransportError(source),
        }
    }

    pub(crate) fn protocol(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Protocol {
            context: context.into(),
            message: message.into(),
            cause: None,
        }
    }

    /// A protocol error caused by `source`: the message is `what: source` (or the source's
    /// text alone when `what` is empty), and the source is kept as its `cause`.
    pub(crate) fn protocol_from(
        context: impl Into<String>,
        what: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Protocol {
            context: context.into(),
            message: with_cause(what, &source),
            cause: Some(Box::new(source)),
        }
    }

    /// A decode error caused by `source` (Arrow's), kept as its `cause`.
    pub(crate) fn decode_from(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Decode {
            context: context.into(),
            message: source.to_string(),
            cause: Some(Box::new(source)),
        }
    }

    /// A filter that does not parse (or names no valid field), with the parser's error.
    pub(crate) fn filter_from(
        object: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Filter {
            object: object.into(),
            message: source.to_string(),
            cause: Some(Box::new(source)),
        }
    }

    pub(crate) fn decode(context: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Decode {
            context: context.into(),
            message: message.to_string(),
            cause: None,
        }
    }
}

/// 5xx, Salesforce edge's 420, 429 and `REQUEST_LIMIT_EXCEEDED` (403) are worth a retry;
/// `INVALID_SESSION_ID` too, after a fresh token.
pub(crate) fn is_retryable_status(status: u16, error_code: Option<&str>) -> bool {
    status >= 500
        || status == 420
        || status == 429
        || matches!(
            error_code,
            Some("REQUEST_LIMIT_EXCEEDED" | "SERVER_UNAVAILABLE" | "INVALID_SESSION_ID")
        )
}

/// ` CODE` after the status in an API error's message; nothing without a code.
fn code_text(code: Option<&str>) -> String {
    code.map(|c| format!(" {c}")).unwrap_or_default()
}

fn with_cause(what: &str, source: &dyn std::error::Error) -> String {
    if what.is_empty() {
        source.to_string()
    } else {
        format!("{what}: {source}")
    }
}

/// A statement past Salesforce's length limit, refused before it is sent with any API type:
/// the error names the object, the length, the limit and what to change in the connection.
impl From<soql::TooLong> for Error {
    fn from(e: soql::TooLong) -> Self {
        let object = e.object.unwrap_or_else(|| "?".into());
        Error::Object {
            reason: format!(
                "its SOQL query is {} characters long; Salesforce accepts at most {} characters per statement with every API type (it answers MALFORMED_QUERY). Fix: list fewer fields under objects.{object}.fields, or shorten objects.{object}.filter (e.g. a long IN list: filter on a range instead)",
                thousands(e.chars),
                thousands(soql::MAX_STATEMENT_CHARS)
            ),
            object,
        }
    }
}

/// `123456` → `123,456`, for limits in messages.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(16_384), "16,384");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn too_long_statements_name_the_object_and_the_fix() {
        let e = Error::from(soql::TooLong {
            chars: 160_012,
            object: Some("Account".into()),
        })
        .to_string();
        for part in [
            "object `Account`",
            "160,012 characters long",
            "at most 100,000 characters",
            "objects.Account.fields",
            "objects.Account.filter",
        ] {
            assert!(e.contains(part), "`{part}` missing: {e}");
        }
    }
}
