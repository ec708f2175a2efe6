//! The org's answer to a pushed aggregate as a table, and the plan that asks for it.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

use super::{Output, PushedAggregate, answer};
use crate::config::ApiType;
use crate::provider::ScanOptions;
use crate::provider::fallback::Fallback;
use crate::provider::leaf::OrgLeaf;
use crate::provider::options::Pushdown;
use crate::session::Session;

/// The org's answer to an aggregate query over one object.
#[derive(Debug)]
pub(crate) struct AggregateTable {
    session: Session,
    pushed: PushedAggregate,
    /// The aggregate as DataFusion planned it, run when the org does not answer.
    fallback: LogicalPlan,
}

impl AggregateTable {
    pub(super) fn new(session: Session, pushed: PushedAggregate, fallback: LogicalPlan) -> Self {
        Self {
            session,
            pushed,
            fallback,
        }
    }
}

#[async_trait]
impl TableProvider for AggregateTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.pushed.schema)
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
        let options = state
            .config()
            .options()
            .extensions
            .get::<ScanOptions>()
            .cloned()
            .unwrap_or_default();
        let mut pushed = self.pushed.clone();
        pushed.query = pushed.query.include_deleted(options.include_deleted);
        let fallback = Fallback::new(state, Pushdown::Aggregates, self.fallback.clone());
        Ok(Arc::new(SoqlAggregateExec::new(
            self.session.clone(),
            pushed,
            fallback,
        )))
    }
}

/// Answers an aggregate with one SOQL aggregate query (`SELECT COUNT()` for a lone
/// `COUNT(*)`); when the org refuses, times out or answers inexactly, by scanning.
///
/// `EXPLAIN` shows the API, the calls (one) and the SOQL; nothing is sent before the plan
/// runs.
#[derive(Debug)]
pub struct SoqlAggregateExec {
    session: Session,
    pushed: Arc<PushedAggregate>,
    fallback: Arc<Fallback>,
    leaf: OrgLeaf,
}

impl SoqlAggregateExec {
    fn new(session: Session, pushed: PushedAggregate, fallback: Fallback) -> Self {
        let leaf = OrgLeaf::new(Arc::clone(&pushed.schema), 1, EmissionType::Final);
        Self {
            session,
            pushed: Arc::new(pushed),
            fallback: Arc::new(fallback),
            leaf,
        }
    }

    /// The SOQL sent to the org.
    pub fn soql(&self) -> String {
        self.pushed.soql()
    }

    /// The API the query goes through: SOAP for `soap` connections, else REST (Bulk API
    /// 2.0 runs no aggregate queries).
    fn api(&self) -> ApiType {
        match self.session.api_type() {
            ApiType::Soap => ApiType::Soap,
            ApiType::Rest | ApiType::BulkV2 => ApiType::Rest,
        }
    }
}

impl DisplayAs for SoqlAggregateExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deleted = if self.pushed.query.include_deleted {
            "queryAll, "
        } else {
            ""
        };
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => write!(
                f,
                "SoqlAggregateExec: api={}, {deleted}api_calls>=1, soql={}",
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

impl ExecutionPlan for SoqlAggregateExec {
    fn name(&self) -> &str {
        "SoqlAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.leaf.properties()
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.leaf.metrics())
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
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let session = self.session.clone();
        let pushed = Arc::clone(&self.pushed);
        let asked = futures::stream::once(async move { ask_org(&session, &pushed).await });
        let asked = Box::pin(RecordBatchStreamAdapter::new(self.schema(), asked));
        let rows = Arc::clone(&self.fallback).or_instead(
            asked,
            self.pushed.query.object.clone(),
            self.soql(),
            ctx,
        );
        Ok(self.leaf.counted(partition, rows))
    }
}

/// The org's answer as the aggregate's rows, or why there is none.
async fn ask_org(session: &Session, pushed: &PushedAggregate) -> Result<RecordBatch> {
    if pushed.count_only() {
        let rows = session.count(&pushed.query).await?;
        let rows = i64::try_from(rows).unwrap_or(i64::MAX);
        let columns = pushed
            .outputs
            .iter()
            .map(|_| Arc::new(Int64Array::from(vec![rows])) as _)
            .collect();
        return Ok(RecordBatch::try_new(Arc::clone(&pushed.schema), columns)?);
    }
    debug_assert!(!pushed.outputs.contains(&Output::Rows));
    let statement = pushed.statement()?;
    let rows = session
        .aggregate(&pushed.query, &statement, &pushed.keys())
        .await?;
    answer::to_batch(pushed, &rows).map_err(|reason| {
        DataFusionError::Execution(format!(
            "the answer to `{statement}` cannot be read exactly: {reason}"
        ))
    })
}
