//! The library API: [`EmulatedOrgBuilder`] and the [`EmulatedOrg`] handle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::oneshot;

use crate::auth::{AuthState, ClientApp, Profile, UserAccount};
use crate::error::{Error, Result};
use crate::faults::{FaultState, Faults};
use crate::log::LoggedRequest;
use crate::model::value::Value;
use crate::model::{OrgData, ids};
use crate::server;

const DEFAULT_CLIENT_ID: &str = "3MVG9emulated.local.org.client.id";
const DEFAULT_CLIENT_SECRET: &str = "emulated-client-secret";
const DEFAULT_USERNAME: &str = "integration@acme-solar.example";
const DEFAULT_PASSWORD: &str = "emulated-password";
/// The org id every emulated org has (the data differs by seed, not by org id).
pub(crate) const ORG_ID: &str = "00D5g00000EmUlAEAV";

/// Shared state behind every request handler and the handle.
pub(crate) struct OrgState {
    pub page_rows: usize,
    pub daily_limit: u64,
    pub api_used: AtomicU64,
    /// Response body bytes sent so far (after gzip), counted as they go out.
    pub bytes_sent: AtomicU64,
    pub polls_in_progress: u32,
    /// The modelled outbound link, when its speed is capped.
    pub link: Option<server::counted::Link>,
    pub data: RwLock<OrgData>,
    pub auth: Mutex<AuthState>,
    pub faults: Mutex<FaultState>,
    pub log: Mutex<Vec<LoggedRequest>>,
    pub result_pages_shape: ResultPagesShape,
    pub bulk: server::bulk::JobStore,
    pub cursors: server::cursor::CursorStore,
    /// When set, `/__emulator/…` answers only requests with `Authorization: Bearer TOKEN`.
    pub admin_token: Option<String>,
}

/// Which of the two `resultPages` (Bulk 2.0, v58.0+) body shapes the org answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResultPagesShape {
    /// What clients tested against real orgs parse: `resultChunks[].resultLink`, links relative
    /// to `/services/data/vXX.X`, `nextRecordsUrl` null at the end (the default).
    #[default]
    Observed,
    /// Salesforce's documentation example: `resultPages[].resultUrl` (full paths),
    /// `nextRecordsUrl`, `done`.
    Documented,
}

/// Settings of an emulated org; [`EmulatedOrgBuilder::start`] serves it.
#[derive(Debug, Clone)]
pub struct EmulatedOrgBuilder {
    rows: usize,
    seed: u64,
    page_rows: usize,
    client_id: String,
    client_secret: String,
    username: String,
    password: String,
    extra_apps: Vec<(String, String, Option<Profile>)>,
    extra_users: Vec<(String, String, Profile)>,
    token_ttl: Duration,
    daily_api_limit: u64,
    soap_login_enabled: bool,
    polls_in_progress: u32,
    link_bytes_per_sec: Option<u64>,
    login_host: bool,
    result_pages_shape: ResultPagesShape,
    bind: SocketAddr,
    #[cfg(feature = "tls")]
    tls_bind: Option<SocketAddr>,
    admin_token: Option<String>,
}

impl Default for EmulatedOrgBuilder {
    fn default() -> Self {
        EmulatedOrgBuilder {
            rows: 10_000,
            seed: 42,
            page_rows: 50_000,
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            username: DEFAULT_USERNAME.into(),
            password: DEFAULT_PASSWORD.into(),
            extra_apps: Vec::new(),
            extra_users: Vec::new(),
            token_ttl: Duration::from_secs(2 * 3600),
            daily_api_limit: 100_000,
            soap_login_enabled: true,
            polls_in_progress: 1,
            link_bytes_per_sec: None,
            login_host: false,
            result_pages_shape: ResultPagesShape::Observed,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            #[cfg(feature = "tls")]
            tls_bind: None,
            admin_token: None,
        }
    }
}

impl EmulatedOrgBuilder {
    /// Account rows (default 10,000). Other objects scale from it: 2 Contacts, 1 Opportunity,
    /// 1.5 Invoices, 0.5 Leads and 0.5 Cases per Account; at least 25 Users.
    pub fn rows(mut self, rows: usize) -> Self {
        self.rows = rows;
        self
    }

    /// Seed of the deterministic data (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Rows per Bulk result page when the client sends no `maxRecords` (default 50,000).
    pub fn page_rows(mut self, rows: usize) -> Self {
        self.page_rows = rows;
        self
    }

    /// Consumer key and secret of the default connected app (client credentials flow; its
    /// Run As user is the default user).
    pub fn client_credentials(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.client_id = id.into();
        self.client_secret = secret.into();
        self
    }

    /// Username and password of the default user (password grant, SOAP `login()`).
    pub fn user_password(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.username = username.into();
        self.password = password.into();
        self
    }

    /// Adds a connected app whose Run As user has `profile` (e.g. restricted objects or FLS).
    pub fn client_app(
        mut self,
        id: impl Into<String>,
        secret: impl Into<String>,
        profile: Profile,
    ) -> Self {
        self.extra_apps
            .push((id.into(), secret.into(), Some(profile)));
        self
    }

    /// Adds a connected app with the client credentials flow but no Run As user: its token
    /// requests answer `invalid_grant` / `no client credentials user enabled`.
    pub fn client_app_without_run_as_user(
        mut self,
        id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.extra_apps.push((id.into(), secret.into(), None));
        self
    }

    /// Makes the base URL answer like `login.salesforce.com` instead of a My Domain: the
    /// client credentials grant is refused with `request not supported on this domain`.
    pub fn login_host(mut self, yes: bool) -> Self {
        self.login_host = yes;
        self
    }

    /// Adds a user with `profile` who can log in with the password grant or SOAP `login()`.
    pub fn user(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
        profile: Profile,
    ) -> Self {
        self.extra_users
            .push((username.into(), password.into(), profile));
        self
    }

    /// How long an access token lives (default 2 hours).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// The daily API request budget (default 100,000); past it, calls answer 403
    /// `REQUEST_LIMIT_EXCEEDED`.
    pub fn daily_api_limit(mut self, limit: u64) -> Self {
        self.daily_api_limit = limit;
        self
    }

    /// Whether SOAP `login()` is allowed org-wide (default true).
    pub fn soap_login_enabled(mut self, enabled: bool) -> Self {
        self.soap_login_enabled = enabled;
        self
    }

    /// How many polls a Bulk job answers `InProgress` before `JobComplete` (default 1).
    pub fn bulk_polls_in_progress(mut self, polls: u32) -> Self {
        self.polls_in_progress = polls;
        self
    }

    /// Models the org's outbound network link: all response bodies together leave at most
    /// `bytes_per_sec` (default: unlimited, i.e. loopback speed). Benchmarks use it to compare
    /// clients at a realistic network speed, where a client that decodes slower than the link
    /// shows up as slower than a plain download.
    pub fn link_speed(mut self, bytes_per_sec: u64) -> Self {
        self.link_bytes_per_sec = Some(bytes_per_sec);
        self
    }

    /// The body shape of Bulk `resultPages` (default [`ResultPagesShape::Observed`]).
    pub fn result_pages_shape(mut self, shape: ResultPagesShape) -> Self {
        self.result_pages_shape = shape;
        self
    }

    /// The plain-HTTP listen address (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Requires `Authorization: Bearer TOKEN` on the admin and fault endpoints
    /// (`/__emulator/…`): for an org reachable beyond loopback, where anyone could otherwise
    /// read its request log and inject faults.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Also listen with HTTPS (self-signed certificate for 127.0.0.1 and localhost).
    #[cfg(feature = "tls")]
    pub fn tls_bind(mut self, addr: SocketAddr) -> Self {
        self.tls_bind = Some(addr);
        self
    }

    /// Binds the listener(s) and serves the org in the background until the handle is dropped.
    pub async fn start(self) -> Result<EmulatedOrg> {
        if self.page_rows == 0 {
            return Err(Error::Config("page_rows must be at least 1".into()));
        }
        if self.link_bytes_per_sec == Some(0) {
            return Err(Error::Config(
                "link_speed must be at least 1 byte per second".into(),
            ));
        }
        let mut users = vec![UserAccount {
            username: self.username.clone(),
            password: self.password.clone(),
            profile: Profile::system_administrator(),
        }];
        let mut apps = vec![ClientApp {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            run_as: Some(0),
        }];
        for (n, (id, secret, profile)) in self.extra_apps.iter().enumerate() {
            apps.push(ClientApp {
                client_id: id.clone(),
                client_secret: secret.clone(),
                run_as: profile.as_ref().map(|_| users.len()),
            });
            if let Some(profile) = profile {
                users.push(UserAccount {
                    username: format!("integration{}@acme-solar.example", n + 1),
                    password: String::new(),
                    profile: profile.clone(),
                });
            }
        }
        for (username, password, profile) in &self.extra_users {
            users.push(UserAccount {
                username: username.clone(),
                password: password.clone(),
                profile: profile.clone(),
            });
        }
        let usernames = users.iter().map(|u| u.username.clone()).collect();
        let mut auth = AuthState::new(users, apps, self.token_ttl, ORG_ID.into());
        auth.soap_login_enabled = self.soap_login_enabled;
        auth.login_host = self.login_host;
        let state = Arc::new(OrgState {
            page_rows: self.page_rows,
            daily_limit: self.daily_api_limit,
            api_used: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            polls_in_progress: self.polls_in_progress,
            link: self.link_bytes_per_sec.map(server::counted::Link::new),
            result_pages_shape: self.result_pages_shape,
            data: RwLock::new(OrgData::new(self.rows, self.seed, usernames)),
            auth: Mutex::new(auth),
            faults: Mutex::new(FaultState::default()),
            log: Mutex::new(Vec::new()),
            bulk: Default::default(),
            cursors: Default::default(),
            admin_token: self.admin_token.clone(),
        });
        let listener = tokio::net::TcpListener::bind(self.bind)
            .await
            .map_err(|source| Error::Listen {
                addr: self.bind.to_string(),
                cause: source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Listen {
            addr: self.bind.to_string(),
            cause: source,
        })?;
        let base_url = format!("http://{addr}");
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let app = server::router(Arc::clone(&state), base_url.clone());
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("emulated org stopped serving: {e}");
            }
        });
        #[cfg(feature = "tls")]
        let tls = match self.tls_bind {
            Some(addr) => Some(server::tls::serve(Arc::clone(&state), addr).await?),
            None => None,
        };
        Ok(EmulatedOrg {
            state,
            base_url,
            client_id: self.client_id,
            client_secret: self.client_secret,
            username: self.username,
            password: self.password,
            _stop: stop_tx,
            #[cfg(feature = "tls")]
            tls,
        })
    }
}

/// One record of the org as tests see it: field API names with typed values, in describe order
/// (compound address/location fields left out: read their parts).
#[derive(Clone, Debug, PartialEq)]
pub struct SObject {
    object_type: String,
    fields: Vec<(String, Value)>,
}

impl SObject {
    /// The object's API name, e.g. `Account`.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// The record's 18-character id.
    pub fn id(&self) -> &str {
        self.get("Id").and_then(Value::as_str).unwrap_or_default()
    }

    /// A field's value by case-insensitive API name.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, v)| v)
    }

    /// Every field with its value.
    pub fn fields(&self) -> &[(String, Value)] {
        &self.fields
    }
}

/// A running emulated org. Dropping it stops the server.
pub struct EmulatedOrg {
    state: Arc<OrgState>,
    base_url: String,
    client_id: String,
    client_secret: String,
    username: String,
    password: String,
    _stop: oneshot::Sender<()>,
    #[cfg(feature = "tls")]
    tls: Option<server::tls::TlsListener>,
}

impl std::fmt::Debug for EmulatedOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatedOrg")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn owned_fields(fields: &[(&str, Value)]) -> Vec<(String, Value)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

impl EmulatedOrg {
    /// Settings with defaults; see [`EmulatedOrgBuilder`].
    pub fn builder() -> EmulatedOrgBuilder {
        EmulatedOrgBuilder::default()
    }

    /// `http://127.0.0.1:PORT`: the My Domain URL (token endpoint host) and the `instance_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `https://127.0.0.1:PORT` when an HTTPS listener was asked for.
    #[cfg(feature = "tls")]
    pub fn tls_base_url(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.base_url.as_str())
    }

    /// The PEM of the self-signed certificate of the HTTPS listener.
    #[cfg(feature = "tls")]
    pub fn tls_certificate_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.cert_pem.as_str())
    }

    /// Consumer key of the default connected app.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Consumer secret of the default connected app.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// A connection file (YAML text) for this org through its default connected app:
    /// developer name `developer_name`, client credentials inline (which the connector
    /// accepts for a loopback domain only). Append more settings (`api_type`, `objects`)
    /// as further lines. Text, so the emulator never depends on the connector.
    pub fn connection_yaml(&self, developer_name: &str) -> String {
        format!(
            "connection_name: Emulated org\ndeveloper_name: {developer_name}\ndomain_url: {}\nclient_id: {}\nclient_secret: {}\n",
            self.base_url, self.client_id, self.client_secret
        )
    }

    /// Username of the default user.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Password of the default user (no security token needed).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The org's 18-character id.
    pub fn org_id(&self) -> &str {
        ORG_ID
    }

    /// The User id of the default (run-as) user.
    pub fn user_id(&self) -> String {
        ids::make("005", 0)
    }

    /// An access token for the default user, without a round trip to the token endpoint.
    pub fn access_token(&self) -> String {
        self.state.auth.lock().open_session(0)
    }

    /// A refresh token for the default user, for the `refresh_token` grant.
    pub fn refresh_token(&self) -> String {
        self.state.auth.lock().issue_refresh_token(0)
    }

    /// API requests counted against the daily limit so far.
    pub fn api_requests_used(&self) -> u64 {
        self.state.api_used.load(Ordering::Relaxed)
    }

    /// Starts the daily API usage over, as the rolling 24 hours do (`Sforce-Limit-Info`
    /// reports 0 used again).
    pub fn reset_api_usage(&self) {
        self.state.api_used.store(0, Ordering::Relaxed);
    }

    /// Response body bytes the org has sent so far, as they went on the wire (after gzip, without
    /// headers), over every API. Benchmarks take the difference around a query to show what it
    /// cost to transfer.
    pub fn bytes_sent(&self) -> u64 {
        self.state.bytes_sent.load(Ordering::Relaxed)
    }

    /// The Bulk query jobs at the org (any state) that nobody deleted yet, oldest first: a
    /// client that cleans up after itself leaves none.
    pub fn bulk_jobs(&self) -> Vec<String> {
        self.state.bulk.ids()
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.lock().clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.state.log.lock().clear();
    }

    /// Fault controls.
    pub fn faults(&self) -> Faults {
        Faults {
            state: Arc::clone(&self.state),
        }
    }

    /// Every record of `object`, soft-deleted ones included (`IsDeleted` = true).
    pub fn records(&self, object: &str) -> Result<Vec<SObject>> {
        let data = self.state.data.read();
        let table = data
            .table(object)
            .ok_or_else(|| Error::UnknownObject(object.to_owned()))?;
        let keep: Vec<usize> = (0..table.def.fields.len())
            .filter(|&i| !table.def.fields[i].ty.is_compound())
            .collect();
        Ok(data
            .rows(table)
            .iter()
            .flatten()
            .map(|row| SObject {
                object_type: table.def.name.to_owned(),
                fields: keep
                    .iter()
                    .map(|&i| (table.def.fields[i].name.to_owned(), row[i].clone()))
                    .collect(),
            })
            .collect())
    }

    /// The Ids of `object`'s records that are not soft-deleted, in creation order: the Ids
    /// of [`EmulatedOrg::records`] without a copy of every field (cheap on a large org).
    pub fn live_ids(&self, object: &str) -> Result<Vec<String>> {
        let data = self.state.data.read();
        let table = data
            .table(object)
            .ok_or_else(|| Error::UnknownObject(object.to_owned()))?;
        let field = |name: &str| table.def.fields.iter().position(|f| f.name == name);
        let (id, deleted) = (field("Id"), field("IsDeleted"));
        Ok(data
            .rows(table)
            .iter()
            .flatten()
            .filter(|row| deleted.is_none_or(|d| row[d] != Value::Bool(true)))
            .filter_map(|row| match id.map(|i| &row[i]) {
                Some(Value::Text(id)) => Some(id.clone()),
                _ => None,
            })
            .collect())
    }

    /// One record by id, if it exists (soft-deleted included).
    pub fn record(&self, id: &str) -> Option<SObject> {
        let data = self.state.data.read();
        let (table, row) = data.row_by_id(id)?;
        Some(SObject {
            object_type: table.def.name.to_owned(),
            fields: table
                .def
                .fields
                .iter()
                .zip(row)
                .filter(|(f, _)| !f.ty.is_compound())
                .map(|(f, v)| (f.name.to_owned(), v.clone()))
                .collect(),
        })
    }

    /// Creates a record as the default user; returns its id.
    pub fn create(&self, object: &str, fields: &[(&str, Value)]) -> Result<String> {
        let user = self.user_id();
        self.state
            .data
            .write()
            .create(object, &owned_fields(fields), &user)
    }

    /// Updates fields of a record; SystemModstamp and LastModifiedDate move to now.
    pub fn update(&self, object: &str, id: &str, fields: &[(&str, Value)]) -> Result<()> {
        let user = self.user_id();
        self.state
            .data
            .write()
            .update(object, id, &owned_fields(fields), &user)
    }

    /// Soft-deletes a record: it moves to the recycle bin (IsDeleted = true, seen by queryAll
    /// and getDeleted) and its SystemModstamp moves to now.
    pub fn delete(&self, object: &str, id: &str) -> Result<()> {
        let user = self.user_id();
        self.state.data.write().delete(object, id, &user)
    }

    /// Restores a record from the recycle bin.
    pub fn undelete(&self, object: &str, id: &str) -> Result<()> {
        let user = self.user_id();
        self.state.data.write().undelete(object, id, &user)
    }

    /// Removes a record for good: no query, not even queryAll, sees it again; getDeleted
    /// reports it until [`EmulatedOrg::purge_delete_log`].
    pub fn hard_delete(&self, object: &str, id: &str) -> Result<()> {
        self.state.data.write().hard_delete(object, id)
    }

    /// Purges the delete log (what getDeleted reads), as Salesforce does after about 15
    /// days: deletes so far are no longer reported, and `earliestDateAvailable` is now.
    pub fn purge_delete_log(&self) {
        self.state.data.write().purge_delete_log()
    }

    /// Purges every soft-deleted record; returns how many were purged.
    pub fn empty_recycle_bin(&self) -> usize {
        self.state.data.write().empty_recycle_bin()
    }
}
