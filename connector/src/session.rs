//! A live, authenticated connection to one org: discovery, describe, extraction plans.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::{Mutex, mpsc};
use url::Url;

use crate::api::{ApiClient, ApiUsage, bulk2, rest, soap};
use crate::config::{ApiType, ApiVersion, Connection};
use crate::error::{Error, Result};
use crate::extract::{
    BatchStream, BulkCsvDecoder, CsvFormat, ExtractPlan, PageSource, PlanInner, PlanOptions,
    PreparedJob, SoqlQuery,
};
use crate::schema::{ObjectInfo, ObjectSchema};

/// Who the session runs as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The org's id (`00D…`).
    pub org_id: Option<String>,
    /// The user's id (`005…`): for client credentials, the app's "Run As" user.
    pub user_id: Option<String>,
    /// The user's login name, when the identity service tells it.
    pub username: Option<String>,
}

/// An authenticated session with one org. Cheap to clone (shared).
///
/// ```no_run
/// # async fn demo() -> sfdf_connector::Result<()> {
/// use futures::TryStreamExt;
/// use sfdf_connector::{Connection, Session};
///
/// let conn = Connection::from_yaml_file("examples/demo-connection.yaml")?;
/// let session = Session::connect(&conn).await?;
/// let query = session.query_for("Account").await?;
/// let plan = session.plan(&query).await?;
/// let batches: Vec<_> = plan.stream().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

#[derive(Debug)]
struct SessionInner {
    connection: Connection,
    client: Arc<ApiClient>,
    instance_url: Url,
    identity: Identity,
    identity_url: Option<String>,
    describes: Mutex<HashMap<String, Arc<ObjectSchema>>>,
    objects: std::sync::RwLock<Vec<ObjectInfo>>,
}

impl Session {
    /// Authenticates (OAuth client credentials or legacy SOAP login) and lists the visible
    /// objects (describeGlobal), so [`Session::object_names`] answers without a call.
    pub async fn connect(connection: &Connection) -> Result<Session> {
        let session = Self::authenticate(connection).await?;
        session.objects().await?;
        Ok(session)
    }

    /// Authenticates only (no discovery call).
    pub async fn authenticate(connection: &Connection) -> Result<Session> {
        let client = ApiClient::connect(connection).await?;
        let token = client.token().await;
        let identity = Identity {
            org_id: token.org_id.clone(),
            user_id: token.user_id.clone(),
            username: None,
        };
        Ok(Session {
            inner: Arc::new(SessionInner {
                connection: connection.clone(),
                instance_url: token.instance_url.clone(),
                identity_url: token.identity_url.clone(),
                identity,
                client: Arc::new(client),
                describes: Mutex::new(HashMap::new()),
                objects: std::sync::RwLock::new(Vec::new()),
            }),
        })
    }

    /// The connection this session was opened from.
    pub fn connection(&self) -> &Connection {
        &self.inner.connection
    }
    /// The extraction API.
    pub fn api_type(&self) -> ApiType {
        self.inner.connection.api_type
    }
    /// The API version of every call.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.connection.api_version
    }
    /// The instance URL the token is for.
    pub fn instance_url(&self) -> &Url {
        &self.inner.instance_url
    }
    /// Org and user of the session, as far as the login told.
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }
    /// The org's API usage from the last `Sforce-Limit-Info` (rolling 24 hours).
    pub fn api_usage(&self) -> ApiUsage {
        self.inner.client.usage()
    }
    /// HTTP requests this session sent (including retries).
    pub fn calls_made(&self) -> u64 {
        self.inner.client.calls()
    }
    /// Times an expired session was renewed.
    pub fn token_renewals(&self) -> u64 {
        self.inner.client.token_refreshes()
    }

    /// Asks the identity service who the session runs as (needs the token's identity URL;
    /// the legacy login has none and returns what login told).
    pub async fn fetch_identity(&self) -> Result<Identity> {
        let Some(url) = &self.inner.identity_url else {
            return Ok(self.inner.identity.clone());
        };
        let info = rest::identity(&self.inner.client, url).await?;
        Ok(Identity {
            org_id: info
                .organization_id
                .or_else(|| self.inner.identity.org_id.clone()),
            user_id: info.user_id.or_else(|| self.inner.identity.user_id.clone()),
            username: info.username,
        })
    }

    /// Checks API access with a cheap authenticated call of the session's version
    /// (`GET /limits`); returns the org's API usage.
    pub async fn api_access(&self) -> Result<ApiUsage> {
        let _: serde_json::Value = self
            .inner
            .client
            .get_json(
                &self.inner.client.data_path("limits"),
                "API access (limits)",
            )
            .await?;
        Ok(self.api_usage())
    }

    /// The API versions the org offers (`GET /services/data/`).
    pub async fn api_versions(&self) -> Result<Vec<ApiVersion>> {
        let list = rest::versions(&self.inner.client).await?;
        Ok(list
            .iter()
            .filter_map(|v| ApiVersion::parse(&v.version))
            .collect())
    }

    /// Every object the user may query (describeGlobal, `queryable` only), by name.
    pub async fn objects(&self) -> Result<Vec<ObjectInfo>> {
        let mut all = rest::describe_global(&self.inner.client).await?;
        all.retain(|o| o.queryable);
        all.sort_by(|a, b| a.name.cmp(&b.name));
        if let Ok(mut cache) = self.inner.objects.write() {
            cache.clone_from(&all);
        }
        Ok(all)
    }

    /// Names of the visible, queryable objects as of the last [`Session::objects`] call
    /// ([`Session::connect`] makes one). Synchronous: no call is sent.
    pub fn object_names(&self) -> Vec<String> {
        self.inner
            .objects
            .read()
            .map(|o| o.iter().map(|i| i.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Describes an object as the user sees it (cached for the session).
    pub async fn describe(&self, object: &str) -> Result<Arc<ObjectSchema>> {
        if !crate::config::is_valid_object_name(object) {
            return Err(Error::Object {
                object: object.to_string(),
                reason: "is not a valid object name (letters, digits, underscores; starts with a letter; no trailing underscore)".into(),
            });
        }
        let key = object.to_ascii_lowercase();
        if let Some(s) = self.inner.describes.lock().await.get(&key) {
            return Ok(Arc::clone(s));
        }
        let schema = Arc::new(rest::describe(&self.inner.client, object).await?);
        self.inner
            .describes
            .lock()
            .await
            .insert(key, Arc::clone(&schema));
        Ok(schema)
    }

    /// The connection's base query for an object: its configured fields (or every column)
    /// and its data sync filter, parsed. Add pushed filters with [`SoqlQuery::and_filter`].
    pub async fn query_for(&self, object: &str) -> Result<SoqlQuery> {
        let schema = self.describe(object).await?;
        let selection = self.inner.connection.object(object);
        let columns: Vec<String> = match selection.and_then(|s| s.fields.clone()) {
            Some(fields) => {
                schema.project(&fields)?;
                fields
            }
            None => schema.fields.iter().map(|f| f.name.clone()).collect(),
        };
        let mut query = SoqlQuery::new(schema.name.clone()).columns(columns);
        if let Some(filter) = selection.and_then(|s| s.filter.as_deref()) {
            let expr = soql::parse_where(filter).map_err(|e| Error::Filter {
                object: schema.name.clone(),
                message: e.to_string(),
            })?;
            query = query.and_filter(expr);
        }
        Ok(query)
    }

    /// Plans a query with default options; see [`crate::extract`] for what planning does.
    pub async fn plan(&self, query: &SoqlQuery) -> Result<ExtractPlan> {
        self.plan_with(query, &PlanOptions::default()).await
    }

    /// Plans a query: checks names against describe, and for Bulk runs the job and lists its
    /// result pages. The partition count is fixed when this returns.
    pub async fn plan_with(&self, query: &SoqlQuery, options: &PlanOptions) -> Result<ExtractPlan> {
        let object = self.describe(&query.object).await?;
        if !object.queryable {
            return Err(Error::Object {
                object: object.name.clone(),
                reason: "cannot be queried".into(),
            });
        }
        let schema = object.project(&query.columns)?;
        let mut query = query.clone();
        query.object = object.name.clone();
        query.columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        if let Some(filter) = &query.filter {
            self.check_filter(&object, filter).await?;
        }
        let soql = query.to_soql();
        let api_type = self.api_type();
        let partitions = match api_type {
            ApiType::BulkV2 => options.partitions.max(1),
            ApiType::Soap | ApiType::Rest => 1,
        };
        Ok(ExtractPlan {
            inner: Arc::new(PlanInner {
                session: self.clone(),
                query,
                soql,
                api_type,
                schema,
                partitions,
                options: options.clone(),
                job: tokio::sync::OnceCell::new(),
                rows_read: Default::default(),
                bytes_read: Default::default(),
            }),
        })
    }

    /// Checks a filter's field names and types against describe (one relationship hop is
    /// checked against the parent's describe; deeper paths are left to the org) and that
    /// every direct field is filterable.
    pub async fn check_filter(&self, object: &ObjectSchema, filter: &soql::Expr) -> Result<()> {
        let mut paths = Vec::new();
        crate::extract::filter_paths(filter, &mut paths);
        let mut metas = vec![object.to_soql_meta()];
        let mut deep = false;
        for path in &paths {
            match path.segments.len() {
                1 => {
                    let name = path.segments[0].name();
                    match object.field(name) {
                        Some(f) if !f.filterable => {
                            return Err(Error::Filter {
                                object: object.name.clone(),
                                message: format!(
                                    "field `{}` cannot be filtered on (describe says filterable: false)",
                                    f.name
                                ),
                            });
                        }
                        _ => {}
                    }
                }
                2 => {
                    let rel = path.segments[0].name();
                    let parent = object
                        .fields
                        .iter()
                        .find(|f| {
                            f.relationship_name
                                .as_deref()
                                .is_some_and(|r| r.eq_ignore_ascii_case(rel))
                        })
                        .and_then(|f| f.reference_to.first().cloned());
                    if let Some(parent) = parent
                        && !metas.iter().any(|m| m.name.eq_ignore_ascii_case(&parent))
                    {
                        match self.describe(&parent).await {
                            Ok(p) => metas.push(p.to_soql_meta()),
                            Err(_) => deep = true,
                        }
                    }
                }
                _ => deep = true,
            }
        }
        if deep {
            return Ok(());
        }
        soql::check_where(filter, &object.name, &metas).map_err(|e| Error::Filter {
            object: object.name.clone(),
            message: e.to_string(),
        })
    }

    /// Plans and streams a whole query (every partition, in order).
    pub async fn extract(&self, query: &SoqlQuery) -> Result<BatchStream> {
        Ok(self.plan(query).await?.stream())
    }

    pub(crate) fn client(&self) -> &Arc<ApiClient> {
        &self.inner.client
    }
}

/// Runs a plan's Bulk job to completion and lists its result pages. A `Failed` job is
/// created again (nothing was emitted yet, so no row can be duplicated).
pub(crate) async fn run_job(plan: &PlanInner) -> Result<PreparedJob> {
    let client = plan.session.client();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let info = bulk2::create(client, &plan.soql, plan.query.include_deleted).await?;
        // From here on, dropping this future (every stream gone) aborts and deletes the job.
        let guard = bulk2::JobGuard::new(info.id.clone(), Arc::clone(client));
        let done = bulk2::wait(client, &info.id).await?;
        guard.set_finished();
        match done.state.as_str() {
            "JobComplete" => {
                let pages = bulk2::list_pages(client, &info.id).await?;
                return Ok(PreparedJob {
                    guard,
                    pages,
                    total_rows: done.number_records_processed,
                });
            }
            "Failed" if attempt < plan.options.job_attempts.max(1) => {
                tracing::warn!(job = %info.id, attempt, "Bulk query job failed ({}); creating it again", done.error_message.as_deref().unwrap_or("no errorMessage"));
            }
            state => {
                return Err(Error::Job {
                    job_id: info.id.clone(),
                    object: plan.query.object.clone(),
                    state: state.to_string(),
                    message: done
                        .error_message
                        .clone()
                        .unwrap_or_else(|| "the job gave no errorMessage".into()),
                });
            }
        }
    }
}

/// Runs a partition on its own task; batches arrive through a small channel, so a slow
/// consumer slows the download (memory stays bounded) and dropping the stream stops it.
pub(crate) fn open_partition(plan: ExtractPlan, index: usize) -> BatchStream {
    let (tx, rx) = mpsc::channel::<Result<datafusion::arrow::record_batch::RecordBatch>>(2);
    tokio::spawn(async move {
        let work = async {
            let pages = plan.pages_of(index).await?;
            run_partition(&plan, &pages, &tx).await
        };
        // Every consumer gone: drop the work (a running job's guard aborts it).
        let result = tokio::select! {
            r = work => r,
            _ = tx.closed() => Ok(()),
        };
        if let Err(e) = result {
            let _ = tx.send(Err(e)).await;
        }
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

type Sender = mpsc::Sender<Result<datafusion::arrow::record_batch::RecordBatch>>;

/// A closed channel means the consumer is gone: stop quietly.
struct Stopped;

async fn emit(
    tx: &Sender,
    batches: Vec<datafusion::arrow::record_batch::RecordBatch>,
) -> Result<(), Stopped> {
    for b in batches {
        tx.send(Ok(b)).await.map_err(|_| Stopped)?;
    }
    Ok(())
}

async fn run_partition(plan: &ExtractPlan, pages: &[PageSource], tx: &Sender) -> Result<()> {
    for page in pages {
        let outcome = match page {
            PageSource::BulkPage { url, .. } => {
                read_bulk_page(plan, url, tx).await.map(|r| r.map(|_| ()))
            }
            PageSource::BulkAllPages { job_id } => {
                let client = plan.inner.session.client();
                let rows = plan.inner.options.page_rows;
                let mut url = bulk2::first_page_url(client, job_id, rows);
                loop {
                    match read_bulk_page(plan, &url, tx).await? {
                        Ok(Some(locator)) => url = bulk2::page_url(client, job_id, &locator, rows),
                        Ok(None) => break,
                        Err(Stopped) => return Ok(()),
                    }
                }
                Ok(Ok(()))
            }
            PageSource::Cursor {
                soql,
                include_deleted,
            } => match plan.inner.api_type {
                ApiType::Soap => read_soap(plan, soql, *include_deleted, tx).await,
                _ => read_rest(plan, soql, *include_deleted, tx).await,
            },
        };
        match outcome? {
            Ok(()) => {}
            Err(Stopped) => return Ok(()),
        }
    }
    Ok(())
}

/// Reads one Bulk results page into batches. A body that fails midway (or ends short of
/// `Sforce-NumberOfRecords`, or mid-line) is fetched again and the rows already emitted
/// are skipped: locators can be re-read while the job exists.
async fn read_bulk_page(
    plan: &ExtractPlan,
    url: &str,
    tx: &Sender,
) -> Result<Result<Option<String>, Stopped>> {
    let client = plan.inner.session.client();
    let retry = client.retry().clone();
    let context = format!("Bulk CSV page of {}", plan.inner.query.object);
    let mut emitted = 0u64;
    let mut failures = 0u32;
    loop {
        let reply = bulk2::open_page(client, url).await?;
        let locator = bulk2::next_locator(&reply);
        let expected: Option<u64> = reply
            .header("sforce-numberofrecords")
            .and_then(|n| n.trim().parse().ok());
        let mut decoder = BulkCsvDecoder::new(
            &context,
            plan.schema(),
            CsvFormat::default(),
            plan.inner.options.batch_size,
            emitted,
        );
        let mut body = std::pin::pin!(reply.into_stream());
        let mut last_byte = b'\n';
        let mut cut: Option<String> = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => {
                    if let Some(b) = chunk.last() {
                        last_byte = *b;
                    }
                    let batches = decoder.push(&chunk)?;
                    let rows = batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
                    plan.inner.account(rows, chunk.len() as u64)?;
                    emitted += rows;
                    if emit(tx, batches).await.is_err() {
                        return Ok(Err(Stopped));
                    }
                }
                Err(e) => {
                    cut = Some(e.to_string());
                    break;
                }
            }
        }
        if cut.is_none() && last_byte != b'\n' && decoder.bytes() > 0 {
            cut = Some("body ended in the middle of a line".into());
        }
        if cut.is_none() {
            let batches = decoder.finish()?;
            let total = emitted + batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
            match expected {
                Some(n) if n > total => cut = Some(format!("body ended after {total} of {n} rows")),
                _ => {
                    plan.inner
                        .account(batches.iter().map(|b| b.num_rows() as u64).sum(), 0)?;
                    if emit(tx, batches).await.is_err() {
                        return Ok(Err(Stopped));
                    }
                    return Ok(Ok(locator));
                }
            }
        }
        let reason = cut.unwrap_or_default();
        if failures >= retry.max_retries {
            return Err(Error::protocol(
                &context,
                format!("page failed {} times, last: {reason}", failures + 1),
            ));
        }
        tracing::debug!(%url, emitted, "Bulk page cut ({reason}); fetching it again");
        tokio::time::sleep(retry.backoff(failures)).await;
        failures += 1;
    }
}

fn datetime_columns(plan: &ExtractPlan) -> Vec<bool> {
    plan.inner
        .schema
        .fields()
        .iter()
        .map(|f| {
            matches!(
                f.data_type(),
                datafusion::arrow::datatypes::DataType::Timestamp(..)
            )
        })
        .collect()
}

async fn decode_text_page(
    plan: &ExtractPlan,
    page: crate::extract::text::CsvPage,
    tx: &Sender,
) -> Result<Result<(), Stopped>> {
    let context = format!(
        "{} page of {}",
        plan.inner.api_type, plan.inner.query.object
    );
    let mut decoder = BulkCsvDecoder::new(
        context,
        plan.schema(),
        CsvFormat::default(),
        plan.inner.options.batch_size,
        0,
    );
    let bytes = page.into_bytes();
    let mut batches = decoder.push(&bytes)?;
    batches.extend(decoder.finish()?);
    plan.inner.account(
        batches.iter().map(|b| b.num_rows() as u64).sum(),
        bytes.len() as u64,
    )?;
    Ok(emit(tx, batches).await)
}

async fn read_rest(
    plan: &ExtractPlan,
    soql: &str,
    all: bool,
    tx: &Sender,
) -> Result<Result<(), Stopped>> {
    let client = plan.inner.session.client();
    let columns = &plan.inner.query.columns;
    let datetimes = datetime_columns(plan);
    let mut next: Option<String> = None;
    loop {
        let page = rest::query_page(client, soql, all, next.as_deref()).await?;
        let mut csv = crate::extract::text::CsvPage::new(columns);
        for record in &page.records {
            if columns.is_empty() {
                csv.push_row([Some("")]);
                continue;
            }
            let cells: Vec<Option<std::borrow::Cow<'_, str>>> = columns
                .iter()
                .zip(&datetimes)
                .map(|(c, dt)| {
                    crate::extract::text::json_path(record, c)
                        .and_then(|v| crate::extract::text::json_cell(v, *dt))
                })
                .collect();
            csv.push_row(cells.iter().map(|c| c.as_deref()));
        }
        if decode_text_page(plan, csv, tx).await?.is_err() {
            return Ok(Err(Stopped));
        }
        match page.next_records_url {
            Some(url) if !page.done => next = Some(url),
            _ => return Ok(Ok(())),
        }
    }
}

async fn read_soap(
    plan: &ExtractPlan,
    soql: &str,
    all: bool,
    tx: &Sender,
) -> Result<Result<(), Stopped>> {
    let client = plan.inner.session.client();
    let columns = &plan.inner.query.columns;
    let target = format!("/services/Soap/u/{}", client.version());
    let mut locator: Option<String> = None;
    loop {
        let soql_owned = soql.to_string();
        let loc = locator.clone();
        let call = crate::api::Call {
            method: reqwest::Method::POST,
            target: target.clone(),
            body: crate::api::Body::Soap(Arc::new(move |sid| {
                soap::query_envelope(sid, &soql_owned, all, loc.as_deref(), 2000)
            })),
            accept: "text/xml",
            context: if locator.is_some() {
                "SOAP queryMore".into()
            } else {
                "SOAP query".into()
            },
        };
        let (_, body) = client.send_bytes(&call).await?;
        let page = soap::parse_query(&body)?;
        if let Some((used, limit)) = page.usage {
            client.note_usage(used, limit);
        }
        let mut csv = crate::extract::text::CsvPage::new(columns);
        for record in &page.records {
            if columns.is_empty() {
                csv.push_row([Some("")]);
                continue;
            }
            csv.push_row(columns.iter().map(|c| soap::record_value(record, c)));
        }
        if decode_text_page(plan, csv, tx).await?.is_err() {
            return Ok(Err(Stopped));
        }
        match page.locator {
            Some(l) if !page.done => locator = Some(l),
            _ => return Ok(Ok(())),
        }
    }
}
