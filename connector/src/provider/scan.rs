//! The scan operator: one Salesforce query, its partitions read in parallel.

use std::fmt;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::filter_pushdown::{
    ChildPushdownResult, FilterPushdownPhase, FilterPushdownPropagation, PushedDown,
};
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::TryStreamExt;

use super::fallback::Fallback;
use super::join_keys::JoinKeyScan;
use super::leaf::OrgLeaf;
use super::options::Pushdown;
use crate::extract::ExtractPlan;

/// Reads one [`ExtractPlan`]: each DataFusion partition is one extraction partition, so
/// DataFusion polls them concurrently (up to its target partitions). Dropping a partition's
/// stream stops its download; when every stream and the plan are gone, the Bulk job is
/// aborted (if still running) or deleted.
///
/// `EXPLAIN` shows the SOQL, the API, the partitions, the `SystemModstamp` windows (when
/// the scan splits into them; each window sends the SOQL with its bounds ANDed on) and the
/// fewest API calls the scan will make.
///
/// On the probe side of a hash join, the scan may send the join's keys instead
/// (`key IN (…)`, see `join_keys`): it then waits for the join's build side before it
/// sends anything, and `EXPLAIN` says `join_keys=…`.
///
/// A sorted scan (top-N, see `topn`) keeps the plan to run if the org refuses its sorted
/// query: it then warns and reads the rows unsorted, and DataFusion sorts them.
#[derive(Debug)]
pub struct SoqlScanExec {
    plan: ExtractPlan,
    leaf: OrgLeaf,
    join_keys: Option<JoinKeyScan>,
    fallback: Option<Arc<Fallback>>,
}

impl SoqlScanExec {
    /// A scan of `plan`.
    pub fn new(plan: ExtractPlan) -> Self {
        let leaf = OrgLeaf::new(
            plan.schema(),
            plan.partition_count(),
            EmissionType::Incremental,
        );
        Self {
            plan,
            leaf,
            join_keys: None,
            fallback: None,
        }
    }

    /// The same scan, answered by `fallback` when the org does not answer its query.
    pub(crate) fn with_fallback(self, fallback: Fallback) -> Self {
        Self {
            fallback: Some(Arc::new(fallback)),
            ..self
        }
    }

    /// The same scan, able (or not) to take a join's keys.
    pub(crate) fn with_join_keys(&self, join_keys: JoinKeyScan) -> Self {
        Self {
            plan: self.plan.clone(),
            leaf: self.leaf.renewed(),
            join_keys: Some(join_keys),
            fallback: self.fallback.clone(),
        }
    }

    pub(crate) fn join_keys(&self) -> Option<&JoinKeyScan> {
        self.join_keys.as_ref()
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
        let join_keys = self.join_keys.as_ref().and_then(JoinKeyScan::describe);
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(
                    f,
                    "SoqlScanExec: api={}, {deleted}partitions={}, {windows}api_calls>={}, soql={}",
                    plan.api_type(),
                    plan.partition_count(),
                    plan.min_api_calls(),
                    plan.soql()
                )?;
                match join_keys {
                    Some(keys) => write!(f, ", {keys}"),
                    None => Ok(()),
                }
            }
            DisplayFormatType::TreeRender => {
                writeln!(f, "api={}", plan.api_type())?;
                if plan.windows() > 0 {
                    writeln!(f, "windows={} on SystemModstamp", plan.windows())?;
                }
                writeln!(f, "api_calls>={}", plan.min_api_calls())?;
                write!(f, "soql={}", plan.soql())?;
                match join_keys {
                    Some(keys) => write!(f, "\n{keys}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl ExecutionPlan for SoqlScanExec {
    fn name(&self) -> &str {
        "SoqlScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.leaf.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        // A hash join computes its dynamic filter only when its probe side holds it.
        for expr in self.join_keys.iter().flat_map(JoinKeyScan::expressions) {
            if f(expr)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn handle_child_pushdown_result(
        &self,
        phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        let filters: Vec<Arc<dyn PhysicalExpr>> = child_pushdown_result
            .parent_filters
            .into_iter()
            .map(|f| f.filter)
            .collect();
        // Nothing is applied by the scan itself: DataFusion keeps every filter above it.
        let result = FilterPushdownPropagation::with_parent_pushdown_result(vec![
            PushedDown::No;
            filters.len()
        ]);
        if phase != FilterPushdownPhase::Post || !Pushdown::JoinKeys.enabled(config) {
            return Ok(result);
        }
        // Dynamic filters: kept as candidates for `JoinKeyPushdown` (which keeps a hash
        // join's only).
        match self
            .join_keys
            .as_ref()
            .and_then(|k| k.with_candidates(&filters))
        {
            Some(keys) => Ok(result.with_updated_node(Arc::new(self.with_join_keys(keys)))),
            None => Ok(result),
        }
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
        Some(self.leaf.metrics())
    }

    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        // `open` returns at once; the partition's task starts its requests in the background
        // (a Bulk job or window boundaries are shared by all partitions, asked once). A scan
        // armed with a join's keys first waits for them.
        let stream = match &self.join_keys {
            Some(keys) if keys.is_armed() => {
                keys.open(&self.plan, partition, self.plan.partition_count())
            }
            _ => self.plan.open(partition).map_err(DataFusionError::from)?,
        };
        let mut stream: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(
            self.plan.schema(),
            stream.map_err(DataFusionError::from),
        ));
        if let Some(fallback) = &self.fallback {
            stream = Arc::clone(fallback).or_instead(
                stream,
                self.plan.query().object.clone(),
                self.soql().to_owned(),
                ctx,
            );
        }
        Ok(self.leaf.counted(partition, stream))
    }
}
