//! Connections: the validated settings of one org, from a YAML file or built in code.
//!
//! Every rule of the connection reference (`docs/connections.md`) is checked here, before
//! any request is sent; each failure names the setting and the fix
//! ([`Error::InvalidConnection`](crate::Error::InvalidConnection)).
//!
//! ```
//! use sfdf_connector::{ApiType, Connection};
//! use secrecy::SecretString;
//!
//! let conn = Connection::builder()
//!     .connection_name("Sales EU")
//!     .developer_name("sales_eu")
//!     .domain_url("https://acme.my.salesforce.com")
//!     .client_credentials("consumer-key", SecretString::from("consumer-secret"))
//!     .api_type(ApiType::BulkV2)
//!     .build()
//!     .unwrap();
//! assert_eq!(conn.api_version().to_string(), "64.0");
//! ```

mod file;
mod rules;
mod secret;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

pub use file::{
    ByteSizeText, ConnectionFile, LimitsEntry, ObjectEntry, ShareText, SyncEntry, VersionText,
    connection_json_schema,
};
pub use rules::{is_valid_field_name, is_valid_object_name};

pub use crate::api::{ApiVersion, CaBundle, Credentials, HttpSettings};
use crate::error::Result;

/// How the connector authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    /// OAuth 2.0 client credentials of an External Client App (consumer key + secret);
    /// the app's "Run As" user decides what is visible. The default.
    #[default]
    #[serde(alias = "OAUTH")]
    Oauth,
    /// Legacy: username + password (+ security token) through SOAP `login()`. Deprecated by
    /// Salesforce (absent from API 65.0+); use `oauth` instead.
    #[serde(alias = "PASSWORD")]
    Password,
}

/// Which Salesforce API extracts data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize, JsonSchema)]
pub enum ApiType {
    /// Bulk API 2.0 query jobs: best for large objects; result pages fetched in parallel. The default.
    #[default]
    #[serde(rename = "bulkv2", alias = "BULKV2", alias = "bulk_v2")]
    BulkV2,
    /// SOAP API `query`/`queryMore`: for small objects or old API versions.
    #[serde(rename = "soap", alias = "SOAP")]
    Soap,
    /// REST API `query` + `nextRecordsUrl`.
    #[serde(rename = "rest", alias = "REST")]
    Rest,
}

impl fmt::Display for ApiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiType::BulkV2 => "bulkv2",
            ApiType::Soap => "soap",
            ApiType::Rest => "rest",
        })
    }
}

/// Per-object extraction limits: whichever comes first stops the object's sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum rows per object.
    pub max_rows: u64,
    /// Maximum bytes (of extracted data) per object.
    pub max_bytes: u64,
}

impl Limits {
    /// 100 million rows or 50 GB.
    pub const DEFAULT: Limits = Limits {
        max_rows: 100_000_000,
        max_bytes: 50_000_000_000,
    };
    /// Government-cloud orgs: 10 million rows or 5 GB.
    pub const GOVERNMENT_DEFAULT: Limits = Limits {
        max_rows: 10_000_000,
        max_bytes: 5_000_000_000,
    };
    /// The highest configurable limits: 2,000 million rows or 1,000 GB.
    pub const MAX: Limits = Limits {
        max_rows: 2_000_000_000,
        max_bytes: 1_000_000_000_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

impl Credentials {
    /// The auth type these credentials belong to.
    pub fn auth_type(&self) -> AuthType {
        match self {
            Credentials::ClientCredentials { .. } => AuthType::Oauth,
            Credentials::Password { .. } => AuthType::Password,
        }
    }
}

/// How `sfdf sync` runs for this connection (the file's `sync:` entry).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncSettings {
    /// Reconcile (find hard deletes) on every Nth sync of an object; `None`: only when asked.
    pub reconcile_every: Option<std::num::NonZeroU32>,
    /// Extraction partitions read at once per object.
    pub concurrency: usize,
    /// The share of the org's daily API limit (0 < share ≤ 1) the org's usage may reach
    /// before a sync stops; `None`: no budget (only the org's own limit).
    pub api_budget: Option<f64>,
}

impl SyncSettings {
    /// Most partitions a sync reads at once.
    pub const MAX_CONCURRENCY: usize = 64;
}

impl Default for SyncSettings {
    /// Reconcile only when asked, 4 partitions at once, no API budget.
    fn default() -> Self {
        SyncSettings {
            reconcile_every: None,
            concurrency: 4,
            api_budget: None,
        }
    }
}

/// One object chosen for syncing, with optional field list and data sync filter.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSelection {
    /// The object's API name, e.g. `Account` or `Invoice__c`.
    pub name: String,
    /// Field API names; `None` = every field the user may see.
    pub fields: Option<Vec<String>>,
    /// The data sync filter as written (SOQL `WHERE` expression, syntax already checked);
    /// field names are checked against describe by [`Session::plan`](crate::Session::plan).
    pub filter: Option<String>,
}

impl ObjectSelection {
    /// Selects every visible field of `name`, unfiltered.
    pub fn new(name: impl Into<String>) -> Self {
        ObjectSelection {
            name: name.into(),
            fields: None,
            filter: None,
        }
    }

    /// Restricts the selection to these fields.
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the data sync filter (a SOQL `WHERE` expression).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }
}

/// A validated connection: every rule was checked, secrets are resolved and redacted.
///
/// Build one with [`Connection::from_yaml_file`], [`Connection::from_yaml_str`] or
/// [`Connection::builder`]; open it with [`Session::connect`](crate::Session::connect).
#[derive(Debug, Clone)]
pub struct Connection {
    pub(crate) connection_name: String,
    pub(crate) developer_name: String,
    pub(crate) description: Option<String>,
    pub(crate) credentials: Credentials,
    pub(crate) domain_url: Url,
    pub(crate) api_type: ApiType,
    pub(crate) api_version: ApiVersion,
    pub(crate) objects: Option<Vec<ObjectSelection>>,
    pub(crate) limits: Limits,
    pub(crate) sync: SyncSettings,
    pub(crate) http: HttpSettings,
    pub(crate) warnings: Vec<String>,
}

impl Connection {
    /// Starts a connection in code (for library users); [`ConnectionBuilder::build`] applies
    /// the same rules as a file.
    pub fn builder() -> ConnectionBuilder {
        ConnectionBuilder::default()
    }

    /// Reads and validates a connection file. `${VAR}` reads the process environment;
    /// `file:PATH` is relative to the file's folder.
    pub fn from_yaml_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::ConfigFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty());
        Self::from_yaml_with_env(&text, &path.display().to_string(), base, &|k| {
            std::env::var(k).ok()
        })
    }

    /// Validates connection YAML given as text; `${VAR}` reads the process environment.
    pub fn from_yaml_str(text: &str) -> Result<Self> {
        Self::from_yaml_with_env(text, "<string>", None, &|k| std::env::var(k).ok())
    }

    /// Validates connection YAML with an explicit environment lookup (for embedding and tests).
    /// `origin` names the text in errors; `base_dir` anchors relative `file:` paths.
    pub fn from_yaml_with_env(
        text: &str,
        origin: &str,
        base_dir: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let parsed = file::parse_yaml(text, origin)?;
        rules::from_file(parsed, base_dir, env)
    }

    /// Free-text name shown to people.
    pub fn connection_name(&self) -> &str {
        &self.connection_name
    }
    /// The API name recipes and SQL refer to.
    pub fn developer_name(&self) -> &str {
        &self.developer_name
    }
    /// Optional description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// `OAuth client credentials` or `SOAP login (legacy)`, for people.
    pub fn auth_type_label(&self) -> &'static str {
        match self.auth_type() {
            AuthType::Oauth => "OAuth client credentials",
            AuthType::Password => "SOAP login (legacy)",
        }
    }
    /// The auth type.
    pub fn auth_type(&self) -> AuthType {
        self.credentials.auth_type()
    }
    /// The credentials (secrets redacted in `Debug`).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
    /// The org's My Domain URL.
    pub fn domain_url(&self) -> &Url {
        &self.domain_url
    }
    /// The API used for extraction.
    pub fn api_type(&self) -> ApiType {
        self.api_type
    }
    /// The API version of every call.
    pub fn api_version(&self) -> ApiVersion {
        self.api_version
    }
    /// The objects chosen in the file; `None` = every visible object.
    pub fn objects(&self) -> Option<&[ObjectSelection]> {
        self.objects.as_deref()
    }
    /// The selection of one object, if the connection lists it (case-insensitive).
    pub fn object(&self, name: &str) -> Option<&ObjectSelection> {
        self.objects
            .as_ref()?
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }
    /// Per-object limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }
    /// How `sfdf sync` runs (the `sync:` entry).
    pub fn sync_settings(&self) -> SyncSettings {
        self.sync
    }
    /// HTTP settings (timeouts, concurrency, retries).
    pub fn http(&self) -> &HttpSettings {
        &self.http
    }
    /// Warnings found while validating (e.g. the legacy password auth deprecation).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// Whether the domain is a loopback address (the emulated org's local test mode).
    pub fn is_loopback(&self) -> bool {
        rules::is_loopback(&self.domain_url)
    }
    /// Replaces the HTTP settings (e.g. a faster retry policy in tests).
    pub fn with_http(mut self, http: HttpSettings) -> Self {
        self.http = http;
        self
    }
}

/// Builds a [`Connection`] in code; `build()` applies every rule a file gets.
#[derive(Debug, Default)]
pub struct ConnectionBuilder {
    pub(crate) draft: rules::Draft,
}

impl ConnectionBuilder {
    /// Free-text name (defaults to the developer name).
    pub fn connection_name(mut self, name: impl Into<String>) -> Self {
        self.draft.connection_name = Some(name.into());
        self
    }
    /// The API name (required).
    pub fn developer_name(mut self, name: impl Into<String>) -> Self {
        self.draft.developer_name = Some(name.into());
        self
    }
    /// Free-text description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.draft.description = Some(text.into());
        self
    }
    /// The org's My Domain URL (required).
    pub fn domain_url(mut self, url: impl Into<String>) -> Self {
        self.draft.domain_url = Some(url.into());
        self
    }
    /// OAuth 2.0 client credentials.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        self.draft.auth_type = AuthType::Oauth;
        self.draft.client_id = Some(client_id.into());
        self.draft.client_secret = Some((secret, secret::Origin::Environment));
        self
    }
    /// Legacy username/password login (deprecated; prefer [`Self::client_credentials`]).
    pub fn password_login(
        mut self,
        username: impl Into<String>,
        password: SecretString,
        security_token: Option<SecretString>,
    ) -> Self {
        self.draft.auth_type = AuthType::Password;
        self.draft.username = Some(username.into());
        self.draft.password = Some((password, secret::Origin::Environment));
        self.draft.security_token = security_token.map(|t| (t, secret::Origin::Environment));
        self
    }
    /// The SOAP login URL for password auth.
    pub fn service_url(mut self, url: impl Into<String>) -> Self {
        self.draft.service_url = Some(url.into());
        self
    }
    /// The extraction API.
    pub fn api_type(mut self, api_type: ApiType) -> Self {
        self.draft.api_type = api_type;
        self
    }
    /// The API version, e.g. `"64.0"`.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.draft.api_version = Some(version.into());
        self
    }
    /// Adds an object to sync.
    pub fn object(mut self, object: ObjectSelection) -> Self {
        self.draft.objects.get_or_insert_with(Vec::new).push(object);
        self
    }
    /// Per-object limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.draft.limits = Some(limits);
        self
    }
    /// How `sfdf sync` runs; checked by [`Self::build`] like the file's `sync:` entry.
    pub fn sync_settings(mut self, sync: SyncSettings) -> Self {
        self.draft.sync = Some(sync);
        self
    }
    /// HTTP settings.
    pub fn http(mut self, http: HttpSettings) -> Self {
        self.draft.http = http;
        self
    }
    /// A PEM file of certificate authorities to trust besides the built-in ones (checked
    /// by [`Self::build`]); see [`CaBundle`].
    pub fn ca_bundle(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.draft.ca_bundle = Some(path.into());
        self
    }
    /// Checks every rule and returns the connection, or every problem found.
    pub fn build(self) -> Result<Connection> {
        rules::validate(self.draft)
    }
}
