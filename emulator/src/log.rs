//! The request log tests read to see what a client did.

/// Which API a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// `/services/oauth2/…`.
    OAuth,
    /// `/services/data/…` other than Bulk jobs.
    Rest,
    /// `/services/data/vXX.X/jobs/…`.
    Bulk,
    /// `/services/Soap/…`.
    Soap,
    /// `/__emulator/…` (the admin endpoint).
    Admin,
    /// Anything else (answered 404).
    Other,
}

/// One request the org answered.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LoggedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// URL path, e.g. `/services/data/v62.0/query`.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The SOQL the request carried (REST `q`, Bulk job body, SOAP `queryString`), decoded.
    pub soql: Option<String>,
    /// HTTP status answered.
    pub status: u16,
    /// Which API was used.
    pub api: Api,
}

impl Api {
    pub(crate) fn of_path(path: &str) -> Api {
        if path.starts_with("/services/oauth2/") {
            Api::OAuth
        } else if path.starts_with("/services/Soap/") {
            Api::Soap
        } else if path.starts_with("/services/data") {
            if path.contains("/jobs/") || path.ends_with("/jobs") {
                Api::Bulk
            } else {
                Api::Rest
            }
        } else if path.starts_with("/__emulator") {
            Api::Admin
        } else {
            Api::Other
        }
    }
}
