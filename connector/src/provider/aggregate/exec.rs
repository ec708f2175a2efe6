//! Aggregates answered by the org: `COUNT(*)` becomes `SELECT COUNT() FROM .. WHERE ..`.
//!
//! DataFusion hands a `TableProvider` projections, filters and a limit, never an aggregate,
//! so [`AggregatePushdown`] is a logical optimizer rule (as datafusion-federation does it):
//! it finds `Aggregate` directly over the `TableScan` of an [`ObjectTable`] and replaces
//! both with a scan of an [`AggregateTable`], whose plan ([`SoqlCountExec`]) makes one
//! REST call (SOAP for `soap` connections) instead of downloading every `Id`.
//!
//! When it applies:
//! - the aggregate is one `COUNT(*)` (or `COUNT` of a constant), with no `GROUP BY`,
//!   `DISTINCT`, `FILTER` or `ORDER BY`;
//! - every filter on the scan is *exact* ([`super::pushdown`]): an inexact or untranslated
//!   one leaves a `Filter` between aggregate and scan, so the shape does not match, and SOQL
//!   would count other rows than SQL;
//! - the scan has no `LIMIT` (SOQL's `COUNT()` ignores none, but the SQL counts at most n);
//! - `sfdf.pushdown.aggregates` is on (the default).
//!
//! Bulk API 2.0 refuses aggregate queries, so a `bulkv2` connection's count goes through
//! REST too. If the org refuses the count or times out (`QUERY_TIMEOUT` on a large
//! object), the plan warns and counts by scanning, as it would have without the rule: the
//! answer is the same either way.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::common::{Column, Result};
use datafusion::datasource::{TableType, provider_as_source, source_as_provider};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::functions_aggregate::count::Count;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;

use super::ScanOptions;
use super::table::ObjectTable;
use crate::config::ApiType;
use crate::extract::{PlanOptions, SoqlQuery};
use crate::session::Session;

/// The column of an [`AggregateTable`]; renamed to the aggregate's own name above it.
const COUNT_COLUMN: &str = "count";

/// The optimizer rule; registered by [`register_connection`](super::register_connection).
#[derive(Debug, Default)]
pub(crate) struct AggregatePushdown;

impl AggregatePushdown {
    pub(crate) const NAME: &'static str = "sfdf_aggregate_pushdown";
}

impl OptimizerRule for AggregatePushdown {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let enabled = config
            .options()
            .extensions
            .get::<ScanOptions>()
            .is_none_or(|o| o.pushdown.aggregates);
        if !enabled {
            return Ok(Transformed::no(plan));
        }
        match pushed_count(&plan)? {
            Some(rewritten) => Ok(Transformed::yes(rewritten)),
            None => Ok(Transformed::no(plan)),
        }
    }
}

/// `plan` as a scan of the org's count, when it is a `COUNT(*)` the org can answer exactly.
fn pushed_count(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Aggregate(aggregate) = plan else {
        return Ok(None);
    };
    let [count] = aggregate.aggr_expr.as_slice() else {
        return Ok(None);
    };
    if !aggregate.group_expr.is_empty() || !is_count_star(count) {
        return Ok(None);
    }
    let LogicalPlan::TableScan(scan) = aggregate.input.as_ref() else {
        return Ok(None);
    };
    if scan.fetch.is_some() {
        return Ok(None);
    }
    let Ok(provider) = source_as_provider(&scan.source) else {
        return Ok(None);
    };
    let Some(table) = provider.downcast_ref::<ObjectTable>() else {
        return Ok(None);
    };
    let Some(query) = table.exact_query(&scan.filters) else {
        return Ok(None);
    };
    let source = provider_as_source(Arc::new(AggregateTable::new(
        table.session().clone(),
        query,
    )));
    // The aggregate's output column keeps its name (`count(*)`) and qualifier.
    let (qualifier, field) = aggregate.schema.qualified_field(0);
    let column = Expr::Column(Column::new(Some(scan.table_name.clone()), COUNT_COLUMN));
    let plan = LogicalPlanBuilder::scan(scan.table_name.clone(), source, None)?
        .project(vec![
            column.alias_qualified(qualifier.cloned(), field.name()),
        ])?
        .build()?;
    Ok(Some(plan))
}

/// `COUNT(*)`, `COUNT(1)`: DataFusion's own count of a non-null constant, nothing else.
fn is_count_star(expr: &Expr) -> bool {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = expr.clone().unalias() else {
        return false;
    };
    func.inner().is::<Count>()
        && !params.distinct
        && params.filter.is_none()
        && params.order_by.is_empty()
        && matches!(params.args.as_slice(), [Expr::Literal(value, _)] if !value.is_null())
}

/// The org's answer to an aggregate query over one object, as a one-row table.
#[derive(Debug)]
pub(crate) struct AggregateTable {
    session: Session,
    query: SoqlQuery,
    schema: SchemaRef,
}

impl AggregateTable {
    fn new(session: Session, query: SoqlQuery) -> Self {
        let schema = Arc::new(Schema::new(vec![Field::new(
            COUNT_COLUMN,
            DataType::Int64,
            false,
        )]));
        Self {
            session,
            query,
            schema,
        }
    }
}

#[async_trait]
impl TableProvider for AggregateTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let scan = state
            .config()
            .options()
            .extensions
            .get::<ScanOptions>()
            .cloned()
            .unwrap_or_default();
        let query = self.query.clone().include_deleted(scan.include_deleted);
        // Planned now (describe calls only, cached) for the fallback and EXPLAIN's calls.
        let options = PlanOptions {
            partitions: 1,
            batch_size: state.config().batch_size(),
            ..PlanOptions::default()
        };
        self.session
            .plan_with(&query, &options)
            .await
            .map_err(datafusion::error::DataFusionError::from)?;
        Ok(Arc::new(SoqlCountExec::new(
            self.session.clone(),
            query,
            options,
            Arc::clone(&self.schema),
        )))
    }
}

/// Counts the rows of a query with one `SELECT COUNT()` call; on refusal, by scanning.
///
/// `EXPLAIN` shows the API, the calls (one) and the SOQL; nothing is sent before the plan
/// runs.
#[derive(Debug)]
pub struct SoqlCountExec {
    session: Session,
    query: SoqlQuery,
    options: PlanOptions,
    properties: Arc<PlanProperties>,
}

impl SoqlCountExec {
    fn new(session: Session, query: SoqlQuery, options: PlanOptions, schema: SchemaRef) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        Self {
            session,
            query,
            options,
            properties: Arc::new(properties),
        }
    }

    /// The SOQL sent to the org.
    pub fn soql(&self) -> String {
        self.query.count_soql()
    }

    /// The API the count goes through: SOAP for `soap` connections, else REST (Bulk API
    /// 2.0 runs no aggregate queries).
    fn api(&self) -> ApiType {
        match self.session.api_type() {
            ApiType::Soap => ApiType::Soap,
            ApiType::Rest | ApiType::BulkV2 => ApiType::Rest,
        }
    }
}

impl DisplayAs for SoqlCountExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deleted = if self.query.include_deleted {
            "queryAll, "
        } else {
            ""
        };
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => write!(
                f,
                "SoqlCountExec: api={}, {deleted}api_calls>=1, soql={}",
                self.api(),
                self.soql()
            ),
            DisplayFormatType::TreeRender => {
                writeln!(f, "api={}", self.api())?;
                writeln!(f, "api_calls>=1")?;
                write!(f, "soql={}", self.soql())
            }
        }
    }
}

impl ExecutionPlan for SoqlCountExec {
    fn name(&self) -> &str {
        "SoqlCountExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        _partition: usize,
        _ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let session = self.session.clone();
        let query = self.query.clone();
        let options = self.options.clone();
        let schema = self.schema();
        let out = Arc::clone(&schema);
        let batch = futures::stream::once(async move {
            let rows = count(&session, &query, &options).await?;
            let rows = i64::try_from(rows).unwrap_or(i64::MAX);
            Ok(RecordBatch::try_new(
                out,
                vec![Arc::new(Int64Array::from(vec![rows]))],
            )?)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batch)))
    }
}

/// The org's count; if it refuses or times out, the rows of a scan counted here.
async fn count(session: &Session, query: &SoqlQuery, options: &PlanOptions) -> Result<u64> {
    let error = match session.count(query).await {
        Ok(rows) => return Ok(rows),
        Err(error) => error,
    };
    tracing::warn!(
        object = %query.object,
        %error,
        "the org did not answer `{}`; counting by scanning instead",
        query.count_soql()
    );
    let plan = session
        .plan_with(query, options)
        .await
        .map_err(datafusion::error::DataFusionError::from)?;
    let mut rows = 0u64;
    let mut stream = plan.stream();
    while let Some(batch) = stream.next().await {
        rows += batch
            .map_err(datafusion::error::DataFusionError::from)?
            .num_rows() as u64;
    }
    Ok(rows)
}
