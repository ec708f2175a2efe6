//! DataFusion over a Salesforce org: a schema per connection, a table per object, and
//! scans that push what SOQL can do into SOQL.
//!
//! - [`ConnectionSchema`]: a connection's objects, as a schema named by its developer
//!   name (`sales_eu.Account`); with one connection also reachable unqualified
//!   (`Account`) through [`DefaultSchema`].
//! - [`ObjectTable`]: one object. Scans request only the needed fields, push filters through
//!   [`pushdown::to_soql`] (the one translation both `supports_filters_pushdown` and `scan`
//!   use), and push `LIMIT` when every filter is exact.
//! - [`SoqlScanExec`]: the scan; `EXPLAIN` shows its SOQL, API and API calls.
//! - [`SoqlAggregateExec`]: `COUNT`, `MIN`, `MAX`, `SUM`, `AVG` (with or without
//!   `GROUP BY`) over exact filters, answered by the org with one SOQL aggregate query (an
//!   optimizer rule that [`register_connection`] adds; see [`PushdownOptions`] to turn it
//!   off).
//! - Top-N: `ORDER BY` number, date or checkbox columns with `LIMIT`/`OFFSET` over exact
//!   filters becomes `ORDER BY .. NULLS FIRST|LAST LIMIT n [OFFSET m]` in the scan's SOQL
//!   (another optimizer rule; text keys stay in DataFusion, see `topn`).
//! - Joins: the object scan on a hash join's probe side sends `key IN (…)` with the keys of
//!   the join's small build side (a physical optimizer rule that [`register_connection`]
//!   adds; `sfdf.pushdown.join_keys*` in [`PushdownOptions`]).
//! - [`ContextBuilder`]: a DataFusion `SessionContext` with connections registered.
//! - [`SalesforceTableFactory`]: `CREATE EXTERNAL TABLE t STORED AS SALESFORCE LOCATION
//!   'connection.yaml'` in any DataFusion session ([`register_table_factory`]).
//! - Names resolve ignoring case, as in SOQL, while results keep the org's spelling. DataFusion
//!   has no setting for that, so run SQL through [`sql`] (or
//!   [`statement_to_dataframe`]) rather than `SessionContext::sql`: they rewrite names with
//!   [`names`] before planning. Plain `ctx.sql` still finds tables in any case, but needs
//!   `"AnnualRevenue"` quoted for mixed-case columns.
//!
//! # Example
//!
//! Against the emulated org (a real org only needs another connection):
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use secrecy::SecretString;
//! use sfdf_connector::Connection;
//! use sfdf_connector::provider::{ContextBuilder, sql};
//! use sfdf_emulator::EmulatedOrg;
//!
//! let org = EmulatedOrg::builder().rows(200).start().await?;
//! let connection = Connection::builder()
//!     .developer_name("sales_eu")
//!     .domain_url(org.base_url())
//!     .client_credentials(org.client_id(), SecretString::from(org.client_secret().to_owned()))
//!     .build()?;
//! let ctx = ContextBuilder::new().connection(connection).build().await?;
//!
//! // As typed: names resolve ignoring case, results keep the org's spelling.
//! let top = sql(
//!     &ctx,
//!     "SELECT Name, AnnualRevenue FROM Account WHERE Industry = 'Energy' \
//!      ORDER BY AnnualRevenue DESC LIMIT 10",
//! )
//! .await?
//! .collect()
//! .await?;
//! assert_eq!(top[0].schema().field(1).name(), "AnnualRevenue");
//!
//! let count = sql(&ctx, "SELECT count(*) FROM sales_eu.account").await?.collect().await?;
//! assert_eq!(count[0].num_rows(), 1);
//! # Ok(()) }
//! ```
//!
//! `connector/examples/query_emulator.rs` runs the same against the emulated org.

mod aggregate;
mod catalog;
mod factory;
mod fallback;
mod hints;
mod join_keys;
mod leaf;
pub mod names;
mod options;
pub mod pushdown;
mod scan;
mod table;
mod topn;

use std::collections::VecDeque;
use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::dataframe::DataFrame;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionContext;
use datafusion::optimizer::OptimizerRule;
use datafusion::prelude::SessionConfig;
use datafusion::sql::parser::{DFParser, Statement};

pub use aggregate::SoqlAggregateExec;
pub use catalog::{ConnectionSchema, DefaultSchema};
pub use factory::{STORED_AS, SalesforceTableFactory, register_table_factory};
pub use names::NameMap;
pub use options::{PushdownOptions, ScanOptions};
pub use scan::SoqlScanExec;
pub use table::ObjectTable;
pub use topn::{MAX_OFFSET, REST_TOP_N_ROWS};

use crate::config::Connection;
use crate::session::Session;

/// Builds a DataFusion `SessionContext` with connections registered (not an sfdf
/// [`Session`]: that is one authenticated org connection).
///
/// ```no_run
/// # async fn run(conn: sfdf_connector::Connection) -> datafusion::common::Result<()> {
/// let ctx = sfdf_connector::provider::ContextBuilder::new()
///     .target_partitions(Some(8))
///     .connection(conn)
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ContextBuilder {
    config: SessionConfig,
    connections: Vec<Connection>,
    sessions: Vec<Session>,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ContextBuilder {
    /// DataFusion's defaults plus `information_schema` (for `SHOW TABLES`, `DESCRIBE`) and
    /// the `sfdf.*` settings ([`ScanOptions`]).
    pub fn new() -> Self {
        Self {
            config: with_join_key_lists(
                SessionConfig::new()
                    .with_information_schema(true)
                    .with_option_extension(ScanOptions::default()),
            ),
            connections: Vec::new(),
            sessions: Vec::new(),
        }
    }

    /// Replaces the DataFusion configuration.
    pub fn config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// How many partitions scans and joins use; `None` keeps DataFusion's default (CPUs).
    /// Each Bulk scan downloads up to this many result pages at once.
    pub fn target_partitions(mut self, partitions: Option<usize>) -> Self {
        if let Some(n) = partitions {
            self.config = self.config.with_target_partitions(n.max(1));
        }
        self
    }

    /// Scans read through `queryAll`: deleted rows still in the recycle bin come too, with
    /// `IsDeleted = true`; SQL: `SET sfdf.include_deleted = true`.
    pub fn include_deleted(self, yes: bool) -> Self {
        self.scan_options(|options| options.include_deleted = yes)
    }

    /// Bulk scans with more than one partition run one job per `SystemModstamp` window
    /// instead of spreading one job's pages; SQL: `SET sfdf.bulk_windows = true`.
    pub fn bulk_windows(self, yes: bool) -> Self {
        self.scan_options(|options| options.bulk_windows = yes)
    }

    /// Sets one of the session's [`ScanOptions`], registering them first if needed.
    fn scan_options(mut self, set: impl FnOnce(&mut ScanOptions)) -> Self {
        self.config = with_scan_options(self.config);
        if let Some(options) = self
            .config
            .options_mut()
            .extensions
            .get_mut::<ScanOptions>()
        {
            set(options);
        }
        self
    }

    /// Adds a connection; it is authenticated in [`build`](Self::build).
    pub fn connection(mut self, connection: Connection) -> Self {
        self.connections.push(connection);
        self
    }

    /// Adds an already open session.
    pub fn session(mut self, session: Session) -> Self {
        self.sessions.push(session);
        self
    }

    /// Connects, lists each connection's objects and registers them; registers the
    /// [`SalesforceTableFactory`] too (`CREATE EXTERNAL TABLE … STORED AS SALESFORCE`).
    pub async fn build(self) -> Result<SessionContext> {
        let ctx = SessionContext::new_with_config(with_scan_options(self.config));
        register_table_factory(&ctx);
        let mut sessions = self.sessions;
        for connection in &self.connections {
            sessions.push(Session::connect(connection).await?);
        }
        for session in sessions {
            register_connection(&ctx, session).await?;
        }
        Ok(ctx)
    }
}

/// DataFusion hands a hash join's keys to the probe scan as a list only up to 150 keys
/// per partition; raised to `sfdf.pushdown.join_keys_max`'s default, so the join-key
/// pushdown sees as many keys as it may send.
fn with_join_key_lists(mut config: SessionConfig) -> SessionConfig {
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.hash_join_inlist_pushdown_max_distinct_values = optimizer
        .hash_join_inlist_pushdown_max_distinct_values
        .max(options::JOIN_KEYS_MAX);
    config
}

/// The config with [`ScanOptions`] registered (kept if it already is), so `SET sfdf.*` parses.
fn with_scan_options(config: SessionConfig) -> SessionConfig {
    if config.options().extensions.get::<ScanOptions>().is_some() {
        config
    } else {
        config.with_option_extension(ScanOptions::default())
    }
}

/// Registers a connection's objects on `ctx` as the schema named by its developer name, in
/// the default catalog. The first connection's objects are also reachable unqualified; once
/// a second is registered, unqualified names would be ambiguous and only the session's own
/// tables stay unqualified.
pub async fn register_connection(
    ctx: &SessionContext,
    session: Session,
) -> Result<Arc<ConnectionSchema>> {
    let schema = Arc::new(ConnectionSchema::new(session).await?);
    // Aggregates and top-N the org can answer (see `aggregate`, `topn`); once per context.
    add_rule_once(ctx, Arc::new(aggregate::AggregatePushdown));
    add_rule_once(ctx, Arc::new(topn::TopNPushdown));
    let state = ctx.state();
    // Join keys (see `join_keys`): a physical rule after DataFusion's own; once per context.
    let registered = state
        .physical_optimizers()
        .iter()
        .any(|rule| rule.name() == join_keys::JoinKeyPushdown::NAME);
    if !registered {
        let state_ref = ctx.state_ref();
        let mut guard = state_ref.write();
        let session_id = guard.session_id().to_owned();
        *guard = SessionStateBuilder::new_from_existing(guard.clone())
            .with_session_id(session_id)
            .with_physical_optimizer_rule(Arc::new(join_keys::JoinKeyPushdown))
            .build();
    }
    let options = state.config().options();
    let catalog_name = options.catalog.default_catalog.clone();
    let default_schema = options.catalog.default_schema.clone();
    let catalog = ctx.catalog(&catalog_name).ok_or_else(|| {
        DataFusionError::Plan(format!(
            "the default catalog `{catalog_name}` does not exist"
        ))
    })?;
    catalog.register_schema(schema.name(), Arc::clone(&schema) as _)?;
    match catalog.schema(&default_schema) {
        Some(existing) => match existing.downcast_ref::<DefaultSchema>() {
            // A second connection: unqualified object names would be ambiguous.
            Some(overlay) => overlay.set_fallback(None),
            None => {
                let overlay = DefaultSchema::new(existing, Some(Arc::clone(&schema)));
                catalog.register_schema(&default_schema, Arc::new(overlay))?;
            }
        },
        None => {
            let own = Arc::new(datafusion::catalog::MemorySchemaProvider::new());
            catalog.register_schema(
                &default_schema,
                Arc::new(DefaultSchema::new(own, Some(Arc::clone(&schema)))),
            )?;
        }
    }
    Ok(schema)
}

/// Adds an optimizer rule unless the context has one of that name.
fn add_rule_once(ctx: &SessionContext, rule: Arc<dyn OptimizerRule + Send + Sync>) {
    let registered = ctx
        .state()
        .optimizer()
        .rules
        .iter()
        .any(|r| r.name() == rule.name());
    if !registered {
        ctx.add_optimizer_rule(rule);
    }
}

/// Plans one SQL statement with Salesforce name rules: `account.industry` finds
/// `Account.Industry`. The statement may be a query, `EXPLAIN`, DDL, `SET`, ...
pub async fn sql(ctx: &SessionContext, sql: &str) -> Result<DataFrame> {
    let mut statements = parse(ctx, sql)?;
    let statement = match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => statement,
        (None, _) => return Err(DataFusionError::Plan("no SQL statement given".into())),
        (Some(_), false) => {
            return Err(DataFusionError::Plan(
                "more than one SQL statement given; run them one at a time".into(),
            ));
        }
    };
    statement_to_dataframe(ctx, statement).await
}

/// Splits SQL text into statements with the session's SQL dialect; plan each with
/// [`statement_to_dataframe`].
pub fn parse(ctx: &SessionContext, sql: &str) -> Result<VecDeque<Statement>> {
    DFParser::parse_sql_with_dialect(sql, dialect(ctx)?.as_ref())
}

/// Plans a parsed statement with Salesforce name rules (see [`sql`]).
pub async fn statement_to_dataframe(
    ctx: &SessionContext,
    mut statement: Statement,
) -> Result<DataFrame> {
    let names = known_names(ctx, &statement).await?;
    let tables = ctx
        .state()
        .resolve_table_references(&statement)
        .unwrap_or_default();
    names::canonicalize_statement(&mut statement, &names);
    let plan = match ctx.state().statement_to_plan(statement).await {
        Ok(plan) => plan,
        Err(e) => return Err(hints::explain(ctx, &tables, e).await),
    };
    ctx.execute_logical_plan(plan).await
}

fn dialect(ctx: &SessionContext) -> Result<Box<dyn datafusion::sql::sqlparser::dialect::Dialect>> {
    let dialect = ctx.state().config().options().sql_parser.dialect;
    datafusion::sql::sqlparser::dialect::dialect_from_str(dialect)
        .ok_or_else(|| DataFusionError::Plan(format!("unsupported SQL dialect {dialect}")))
}

/// Every catalog, schema and table name of the session, and the columns of the tables
/// `statement` reads.
pub async fn known_names(ctx: &SessionContext, statement: &Statement) -> Result<NameMap> {
    let mut names = NameMap::new();
    for catalog_name in ctx.catalog_names() {
        names.insert(&catalog_name);
        let Some(catalog) = ctx.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            names.insert(&schema_name);
            if let Some(schema) = catalog.schema(&schema_name) {
                schema.table_names().iter().for_each(|t| names.insert(t));
            }
        }
    }
    let state = ctx.state();
    // References are normalized (lower-cased) here; they are matched ignoring case below.
    let references = state.resolve_table_references(statement)?;
    let options = state.config().options();
    for reference in references {
        let resolved = reference.resolve(
            &options.catalog.default_catalog,
            &options.catalog.default_schema,
        );
        let Some(catalog) = find_ignoring_case(ctx.catalog_names(), &resolved.catalog)
            .and_then(|c| ctx.catalog(&c))
        else {
            continue;
        };
        let Some(schema) = find_ignoring_case(catalog.schema_names(), &resolved.schema)
            .and_then(|s| catalog.schema(&s))
        else {
            continue;
        };
        let table_name = find_ignoring_case(schema.table_names(), &resolved.table)
            .unwrap_or_else(|| resolved.table.to_string());
        if let Some(table) = schema.table(&table_name).await? {
            table
                .schema()
                .fields()
                .iter()
                .for_each(|f| names.insert(f.name()));
        }
    }
    Ok(names)
}

fn find_ignoring_case(names: Vec<String>, wanted: &str) -> Option<String> {
    names.into_iter().find(|n| n.eq_ignore_ascii_case(wanted))
}

/// A connector error inside DataFusion: kept whole as the external source, so callers can
/// downcast it back to [`crate::Error`] (its object, status and `errorCode`).
impl From<crate::Error> for DataFusionError {
    fn from(error: crate::Error) -> Self {
        DataFusionError::External(Box::new(error))
    }
}
