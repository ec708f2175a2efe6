//! Plain settings the API layer takes: the API version, the credentials and the HTTP
//! behaviour. `config` validates them from a connection file; `api` never sees a file.

use std::fmt;

use secrecy::SecretString;
use url::Url;

use super::{BulkPolling, RetryConfig};

/// A Salesforce API version such as `64.0` (major versions only; Salesforce has no minors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion(u16);

impl ApiVersion {
    /// The default: 64.0 (Summer '25), the last version that still offers SOAP `login()`.
    pub const DEFAULT: ApiVersion = ApiVersion(64);
    /// Oldest version supported for standard objects.
    pub const MIN_STANDARD_OBJECTS: ApiVersion = ApiVersion(34);
    /// Oldest version Bulk API 2.0 query is supported with here.
    pub const MIN_BULKV2: ApiVersion = ApiVersion(50);
    /// First version with `GET /jobs/query/{id}/resultPages` (parallel result pages).
    pub const MIN_RESULT_PAGES: ApiVersion = ApiVersion(58);
    /// First version without SOAP `login()`.
    pub const FIRST_WITHOUT_SOAP_LOGIN: ApiVersion = ApiVersion(65);

    /// A version from its major number (`64` → `64.0`).
    pub const fn new(major: u16) -> Self {
        ApiVersion(major)
    }

    /// The major number.
    pub fn major(self) -> u16 {
        self.0
    }

    /// Parses `64.0`, `64` or `v64.0`.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let major = t.strip_suffix(".0").unwrap_or(t);
        if major.is_empty() || major.len() > 3 || !major.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        major.parse().ok().map(ApiVersion)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.0", self.0)
    }
}

/// How to authenticate, with the secrets resolved (never printed).
#[derive(Clone)]
pub enum Credentials {
    /// OAuth 2.0 client credentials.
    ClientCredentials {
        /// Consumer key.
        client_id: String,
        /// Consumer secret.
        client_secret: SecretString,
    },
    /// Legacy SOAP `login()`.
    Password {
        /// User name.
        username: String,
        /// Password (the security token is appended when sent).
        password: SecretString,
        /// Security token, if the org requires one for this IP.
        security_token: Option<SecretString>,
        /// The SOAP login base URL (scheme + host), e.g. `https://login.salesforce.com`.
        service_url: Url,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            Credentials::Password {
                username,
                service_url,
                ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .field("service_url", &service_url.as_str())
                .finish(),
        }
    }
}

/// Certificate authorities to trust besides the built-in (Mozilla) roots, read from a PEM
/// file: for a corporate proxy that re-signs TLS traffic with its own authority, or for the
/// emulated org's HTTPS port with its self-signed certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct CaBundle {
    path: std::path::PathBuf,
    pem: Vec<u8>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CaBundle").field(&self.path).finish()
    }
}

impl CaBundle {
    /// The PEM text of one or more certificates (`-----BEGIN CERTIFICATE-----`), read from
    /// `path` (named in messages). Fails, saying why, when it holds no certificate or one
    /// that does not parse.
    pub fn from_pem(path: impl Into<std::path::PathBuf>, pem: Vec<u8>) -> Result<Self, String> {
        let bundle = CaBundle {
            path: path.into(),
            pem,
        };
        match reqwest::Certificate::from_pem_bundle(&bundle.pem) {
            Ok(certs) if certs.is_empty() => {
                Err("it holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".into())
            }
            Ok(_) => Ok(bundle),
            Err(e) => Err(format!("its certificates do not parse ({e})")),
        }
    }

    /// The file it was read from.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The certificates, for the HTTP client (they parsed when the bundle was made).
    pub(crate) fn certificates(&self) -> Vec<reqwest::Certificate> {
        reqwest::Certificate::from_pem_bundle(&self.pem).unwrap_or_default()
    }
}

/// HTTP behaviour of a session: timeouts, concurrency, retries, Bulk job polling.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// Retry policy for network errors, 5xx and `REQUEST_LIMIT_EXCEEDED`.
    pub retry: RetryConfig,
    /// How running Bulk jobs are polled.
    pub polling: BulkPolling,
    /// Most requests in flight at once per session (result pages, describes), each until its
    /// whole body is read, or, for a streamed result page, until its answer starts: a page is
    /// then read at its reader's pace without holding a slot (see `Reply::into_stream`).
    pub max_concurrency: usize,
    /// Time allowed to connect.
    pub connect_timeout: std::time::Duration,
    /// Time allowed between two reads of a response (a stalled body fails and is retried).
    pub read_timeout: std::time::Duration,
    /// Ask for gzip-compressed bodies (`Accept-Encoding: gzip`; Salesforce recommends it).
    pub gzip: bool,
    /// Certificate authorities trusted besides the built-in roots (`ca_bundle` in a
    /// connection file).
    pub ca_bundle: Option<CaBundle>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            retry: RetryConfig::default(),
            polling: BulkPolling::default(),
            max_concurrency: 4,
            connect_timeout: std::time::Duration::from_secs(10),
            read_timeout: std::time::Duration::from_secs(120),
            gzip: true,
            ca_bundle: None,
        }
    }
}
