//! The scan operator: one Salesforce query, its partitions read in parallel.

use std::fmt;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions,
};
use futures::TryStreamExt;

use crate::extract::ExtractPlan;

/// Reads one [`ExtractPlan`]: each DataFusion partition is one extraction partition, so
/// DataFusion polls them concurrently (up to its target partitions). Dropping a partition's
/// stream stops its download; when every stream and the plan are gone, the Bulk job is
/// aborted (if still running) or deleted.
///
/// `EXPLAIN` shows the SOQL, the API, the partitions, the `SystemModstamp` windows (when
/// the scan splits into them; each window sends the SOQL with its bounds ANDed on) and the
/// fewest API calls the scan will make.
#[derive(Debug)]
pub struct SoqlScanExec {
    plan: ExtractPlan,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl SoqlScanExec {
    /// A scan of `plan`.
    pub fn new(plan: ExtractPlan) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(plan.schema()),
            Partitioning::UnknownPartitioning(plan.partition_count().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            plan,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// The extraction this scan reads.
    pub fn extract_plan(&self) -> &ExtractPlan {
        &self.plan
    }

    /// The SOQL sent to the org.
    pub fn soql(&self) -> &str {
        self.plan.soql()
    }
}

impl DisplayAs for SoqlScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = &self.plan;
        // Windows are decided at plan time (their boundaries only when the scan runs), so
        // EXPLAIN can say how many without asking the org.
        let windows = match plan.windows() {
            0 => String::new(),
            n => format!("windows={n} on SystemModstamp, "),
        };
        let deleted = if plan.query().include_deleted {
            "queryAll, "
        } else {
            ""
        };
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => write!(
                f,
                "SoqlScanExec: api={}, {deleted}partitions={}, {windows}api_calls>={}, soql={}",
                plan.api_type(),
                plan.partition_count(),
                plan.min_api_calls(),
                plan.soql()
            ),
            DisplayFormatType::TreeRender => {
                writeln!(f, "api={}", plan.api_type())?;
                if plan.windows() > 0 {
                    writeln!(f, "windows={} on SystemModstamp", plan.windows())?;
                }
                writeln!(f, "api_calls>={}", plan.min_api_calls())?;
                write!(f, "soql={}", plan.soql())
            }
        }
    }
}

impl ExecutionPlan for SoqlScanExec {
    fn name(&self) -> &str {
        "SoqlScanExec"
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

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        _ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        // `open` returns at once; the partition's task starts its requests in the background
        // (a Bulk job or window boundaries are shared by all partitions, asked once).
        let stream = self.plan.open(partition).map_err(DataFusionError::from)?;
        // Rows per partition, for `EXPLAIN ANALYZE`.
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let stream = stream
            .map_err(DataFusionError::from)
            .inspect_ok(move |batch| {
                baseline.record_output(batch.num_rows());
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.plan.schema(),
            stream,
        )))
    }
}
