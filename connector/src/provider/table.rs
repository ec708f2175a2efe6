//! One Salesforce object as a DataFusion table.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use super::join_keys::{JoinKeyScan, JoinKeySource};
use super::pushdown::{FilterFields, Pushed, to_soql};
use super::scan::SoqlScanExec;
use crate::config::ApiType;
use crate::extract::{PlanOptions, SoqlQuery};
use crate::schema::ObjectSchema;
use crate::session::Session;

/// A Salesforce object as a table: its columns are the connection's fields of the object
/// (all visible ones unless the connection file lists some), named as the org spells them.
///
/// Scans push the projection, every filter [`to_soql`] can translate, and `LIMIT` (when every
/// filter is exact) into SOQL; the connection's data sync filter always applies.
#[derive(Debug)]
pub struct ObjectTable {
    session: Session,
    object: Arc<ObjectSchema>,
    base: SoqlQuery,
    schema: SchemaRef,
    /// Characters of SOQL the pushed filters may add (see [`ObjectTable::translate`]).
    filter_budget: usize,
}

/// Room kept for what a scan adds besides the pushed filters: `SystemModstamp` window
/// bounds, the span query's aggregates, parentheses, `LIMIT`.
const SCAN_OVERHEAD_CHARS: usize = 500;

impl ObjectTable {
    /// The table of `object` as `session`'s connection configures it (describes it if needed).
    pub async fn new(session: Session, object: &str) -> crate::Result<Self> {
        let described = session.describe(object).await?;
        let base = session.query_for(&described.name).await?;
        let schema = described.project(&base.columns)?;
        let every_column = base.to_soql()?.chars().count();
        let filter_budget = soql::MAX_STATEMENT_CHARS
            .saturating_sub(every_column)
            .saturating_sub(SCAN_OVERHEAD_CHARS);
        Ok(Self {
            session,
            object: described,
            base,
            schema,
            filter_budget,
        })
    }

    /// The object's describe.
    pub fn object(&self) -> &ObjectSchema {
        &self.object
    }

    /// The query every scan starts from: configured columns and the data sync filter.
    pub fn base_query(&self) -> &SoqlQuery {
        &self.base
    }

    fn pushed(&self, filter: &Expr) -> Option<Pushed> {
        let object = &self.object;
        let filterable = |name: &str| object.field(name).is_some_and(|f| f.filterable);
        to_soql(filter, &FilterFields::new(&self.schema, &filterable))
    }

    /// The SOQL of each filter, or `None` where it is not sent: untranslatable, or too
    /// long. Salesforce refuses a statement over 100,000 characters, so filters are taken
    /// in order while the query (every column, the data sync filter and room for window
    /// bounds) stays within that; a filter that would cross it (a SQL `IN` list of 20,000
    /// values) is left to DataFusion, which applies it to the rows the org sends.
    /// `supports_filters_pushdown` and `scan` both use this, so they agree.
    fn translate<'e>(&self, filters: impl IntoIterator<Item = &'e Expr>) -> Vec<Option<Pushed>> {
        let mut left = self.filter_budget;
        filters
            .into_iter()
            .map(|filter| {
                let pushed = self.pushed(filter)?;
                // ` AND (..)` around each pushed condition.
                let chars = pushed.condition.to_string().chars().count() + 7;
                if chars > left {
                    tracing::debug!(
                        object = %self.object.name,
                        chars,
                        "filter not pushed: the SOQL would be too long"
                    );
                    return None;
                }
                left -= chars;
                Some(pushed)
            })
            .collect()
    }

    /// The session the table reads through.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// The base query with every one of `filters` ANDed on, or `None` when one of them is
    /// not sent or not exact: then SOQL would read other rows than SQL does. No columns.
    pub(crate) fn exact_query(&self, filters: &[Expr]) -> Option<SoqlQuery> {
        let mut query = self.base.clone().columns(Vec::<String>::new());
        for pushed in self.translate(filters) {
            let pushed = pushed.filter(|p| p.exact)?;
            query = query.and_filter(pushed.condition);
        }
        Some(query)
    }

    /// The query a scan with these arguments sends.
    pub fn scan_query(
        &self,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> SoqlQuery {
        let columns: Vec<String> = match projection {
            Some(indexes) => indexes
                .iter()
                .map(|&i| self.schema.field(i).name().clone())
                .collect(),
            None => self
                .schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect(),
        };
        let mut query = self.base.clone().columns(columns);
        let mut all_exact = true;
        for pushed in self.translate(filters) {
            match pushed {
                Some(pushed) => {
                    all_exact &= pushed.exact;
                    query = query.and_filter(pushed.condition);
                }
                None => all_exact = false,
            }
        }
        // DataFusion only offers a limit when every filter is exact; checked again here
        // because a LIMIT under a broader WHERE would return too few rows.
        if all_exact {
            query = query.limit(limit.map(|n| n as u64));
        }
        query
    }
}

#[async_trait]
impl TableProvider for ObjectTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(self
            .translate(filters.iter().copied())
            .into_iter()
            .map(|p| p.map_or(TableProviderFilterPushDown::Unsupported, |p| p.kind()))
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let scan = self
            .plan_scan(state, self.scan_query(projection, filters, limit), None)
            .await?;
        Ok(Arc::new(scan))
    }
}

impl ObjectTable {
    /// Plans a scan of `query` (see [`ObjectTable::scan_query`]) with the session's settings.
    /// `sorted_through`: the query is sorted (`ORDER BY`), so it is read as one ordered
    /// partition, through that API.
    pub(crate) async fn plan_scan(
        &self,
        state: &dyn DfSession,
        query: SoqlQuery,
        sorted_through: Option<ApiType>,
    ) -> Result<SoqlScanExec> {
        // `target_partitions` decides the partitions: Bulk pages spread over them, or one
        // SystemModstamp window each (REST/SOAP always, Bulk with `sfdf.bulk_windows`).
        let scan = state
            .config()
            .options()
            .extensions
            .get::<super::ScanOptions>()
            .cloned()
            .unwrap_or_default();
        let query = query.include_deleted(scan.include_deleted);
        let mut options = PlanOptions {
            partitions: state.config().target_partitions().max(1),
            bulk_windows: scan.bulk_windows,
            window_min_rows: scan.window_min_rows,
            batch_size: state.config().batch_size(),
            ..PlanOptions::default()
        };
        if let Some(api) = sorted_through {
            options.partitions = 1;
            options.api = Some(api);
        }
        let plan = self.session.plan_with(&query, &options).await?;
        let scan = SoqlScanExec::new(plan);
        if query.limit.is_some() {
            return Ok(scan);
        }
        // On a hash join's probe side the scan may send the join's keys instead (`join_keys`).
        let source = JoinKeySource {
            session: self.session.clone(),
            object: Arc::clone(&self.object),
            query,
            options,
        };
        Ok(scan.with_join_keys(JoinKeyScan::new(source)))
    }
}
