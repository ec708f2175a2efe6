//! A live, authenticated connection to one org: discovery, describe, extraction plans.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;
use url::Url;

mod filter;

use crate::api::{ApiClient, ApiSettings, ApiUsage, describe, rest, soap};
use crate::config::{ApiType, ApiVersion, Connection};
use crate::error::{Error, Result};
use crate::extract::{BatchStream, ExtractPlan, PlanOptions, PlanSource, SoqlQuery};
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
        let client = ApiClient::connect(&ApiSettings {
            domain_url: connection.domain_url().clone(),
            credentials: connection.credentials().clone(),
            version: connection.api_version(),
            http: connection.http().clone(),
        })
        .await?;
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

    /// Waits until every Bulk job this session created is deleted at the org, or `timeout`
    /// passed; returns how many are left. A dropped stream deletes its job in the
    /// background; this is how to know it happened (the whole process:
    /// [`crate::wait_for_job_cleanup`]).
    pub async fn wait_for_job_cleanup(&self, timeout: std::time::Duration) -> usize {
        self.inner.client.jobs_settled(timeout).await
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
        let mut all = describe::describe_global(&self.inner.client).await?;
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
        let describe = describe::describe(&self.inner.client, object).await?;
        let schema = Arc::new(ObjectSchema::from_describe(describe));
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
            let expr =
                soql::parse_where(filter).map_err(|e| Error::filter_from(&schema.name, e))?;
            query = query.and_filter(expr);
        }
        Ok(query)
    }

    /// Plans a query with default options; see [`crate::extract`] for what planning does.
    pub async fn plan(&self, query: &SoqlQuery) -> Result<ExtractPlan> {
        self.plan_with(query, &PlanOptions::default()).await
    }

    /// Plans a query: checks names and filters against describe and fixes the partition
    /// count (and `SystemModstamp` windows, see [`crate::extract`]). Sends nothing but
    /// (cached) describe calls: jobs and queries run when partitions are read.
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
        let api_type = options.api.unwrap_or(self.api_type());
        check_order(&object, &mut query, api_type)?;
        let windows = crate::extract::windows::planned_windows(&object, &query, api_type, options);
        let source = PlanSource {
            client: Arc::clone(&self.inner.client),
            api_type,
            limits: self.inner.connection.limits(),
        };
        let plan = ExtractPlan::new(source, query, schema, windows, options)?;
        plan.check_length()?;
        Ok(plan)
    }

    /// Counts the rows `query` reads (its columns and limit aside) with one aggregate call,
    /// `SELECT COUNT() FROM .. WHERE ..`: SOAP for `soap` connections, else REST, also for
    /// `bulkv2` ones, as Bulk API 2.0 refuses aggregate queries. Checks the filter against
    /// describe first, as [`Session::plan_with`] does.
    pub async fn count(&self, query: &SoqlQuery) -> Result<u64> {
        let object = self.describe(&query.object).await?;
        if let Some(filter) = &query.filter {
            self.check_filter(&object, filter).await?;
        }
        let soql = query.count_soql();
        let client = &self.inner.client;
        let all = query.include_deleted;
        let rows = match self.api_type() {
            ApiType::Soap => soap::query(client, &soql, all, None).await?.size,
            ApiType::Rest | ApiType::BulkV2 => {
                rest::query_page(client, &soql, all, None).await?.total_size
            }
        };
        rows.ok_or_else(|| {
            Error::protocol(
                format!("COUNT() of {}", object.name),
                "the answer has no row count",
            )
        })
    }

    /// The rows of an aggregate query over `query`'s object and filter (`statement`, e.g.
    /// `SELECT IsWon, SUM(Amount) FROM Opportunity WHERE .. GROUP BY IsWon`), each row
    /// its cells under `keys` (a grouped field's name, `expr0`, ..) as text, `None` for
    /// null. One call: SOAP for `soap` connections, else REST, as Bulk API 2.0 refuses
    /// aggregate queries. Checks the filter against describe first, as
    /// [`Session::plan_with`] does.
    ///
    /// A `GROUP BY` answer cannot continue with `queryMore` (Salesforce answers at most one
    /// batch, 2,000 rows): an answer that is not done is an error, never a partial result.
    pub async fn aggregate(
        &self,
        query: &SoqlQuery,
        statement: &soql::Query,
        keys: &[String],
    ) -> Result<Vec<Vec<Option<String>>>> {
        let object = self.describe(&query.object).await?;
        if let Some(filter) = &query.filter {
            self.check_filter(&object, filter).await?;
        }
        let soql = statement.to_string();
        let client = &self.inner.client;
        let all = query.include_deleted;
        let (done, rows) = match self.api_type() {
            ApiType::Soap => {
                let page = soap::query(client, &soql, all, None).await?;
                let rows = page
                    .records
                    .iter()
                    .map(|record| {
                        keys.iter()
                            .map(|key| soap::record_value(record, key).map(str::to_owned))
                            .collect()
                    })
                    .collect();
                (page.done, rows)
            }
            ApiType::Rest | ApiType::BulkV2 => {
                let page = rest::query_page(client, &soql, all, None).await?;
                let rows = page
                    .records
                    .iter()
                    .map(|record| {
                        keys.iter()
                            .map(|key| match record.get(key)? {
                                serde_json::Value::Null => None,
                                serde_json::Value::String(text) => Some(text.clone()),
                                other => Some(other.to_string()),
                            })
                            .collect()
                    })
                    .collect();
                (page.done && page.next_records_url.is_none(), rows)
            }
        };
        if !done {
            return Err(Error::Object {
                object: object.name.clone(),
                reason: format!(
                    "the aggregate query `{soql}` answered more rows than one batch, and \
                     aggregate queries cannot continue with queryMore"
                ),
            });
        }
        Ok(rows)
    }

    /// The records of `object` deleted between `start` and `end`, from the org's delete
    /// log (REST `getDeleted`; one call, whatever the connection's API type). Salesforce
    /// keeps about 15 days of it, less when the log is large or the recycle bin emptied:
    /// [`DeletedRecords::earliest_date_available`] says from when the answer is complete.
    pub async fn deleted_records(
        &self,
        object: &str,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::api::DeletedRecords> {
        let object = self.describe(object).await?;
        rest::deleted(&self.inner.client, &object.name, start, end).await
    }

    /// Plans and streams a whole query (every partition, in order).
    pub async fn extract(&self, query: &SoqlQuery) -> Result<BatchStream> {
        Ok(self.plan(query).await?.stream())
    }
}

/// Checks a query's `ORDER BY` and `OFFSET` against describe and the API (before the org
/// refuses them), and writes the sort fields as the org spells them.
fn check_order(object: &ObjectSchema, query: &mut SoqlQuery, api: ApiType) -> Result<()> {
    for key in &mut query.order_by {
        let field = object.field(&key.field).ok_or_else(|| Error::Object {
            object: object.name.clone(),
            reason: format!("has no field `{}` to sort by", key.field),
        })?;
        if !field.sortable {
            return Err(Error::Object {
                object: object.name.clone(),
                reason: format!(
                    "cannot be sorted by `{}` (describe says it is not sortable); sort in \
                     DataFusion instead",
                    field.name
                ),
            });
        }
        key.field = field.name.clone();
    }
    if query.offset.is_some() && api == ApiType::BulkV2 {
        return Err(Error::Object {
            object: object.name.clone(),
            reason: "cannot be read with OFFSET through Bulk API 2.0, which refuses it; read \
                     through REST or SOAP (`PlanOptions::api`)"
                .into(),
        });
    }
    Ok(())
}
