//! What every plan that reads from the org ([`SoqlScanExec`](super::SoqlScanExec),
//! [`SoqlAggregateExec`](super::SoqlAggregateExec)) has alike: it is a bounded leaf with no
//! known order, and it counts the rows it sends for `EXPLAIN ANALYZE`.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{Partitioning, PlanProperties};
use futures::TryStreamExt;

/// The properties and metrics of a plan reading from the org.
#[derive(Debug)]
pub(crate) struct OrgLeaf {
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl OrgLeaf {
    /// A leaf of `partitions` streams of `schema`; `emission`: rows as they come
    /// (`Incremental`) or all at the end (`Final`).
    pub(crate) fn new(schema: SchemaRef, partitions: usize, emission: EmissionType) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(partitions.max(1)),
            emission,
            Boundedness::Bounded,
        );
        Self {
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// The same properties, with metrics of its own (for a changed copy of the plan).
    pub(crate) fn renewed(&self) -> Self {
        Self {
            properties: Arc::clone(&self.properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// For `ExecutionPlan::properties`.
    pub(crate) fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    /// For `ExecutionPlan::metrics`.
    pub(crate) fn metrics(&self) -> MetricsSet {
        self.metrics.clone_inner()
    }

    /// `stream`, its rows counted as partition `partition`'s output.
    pub(crate) fn counted(
        &self,
        partition: usize,
        stream: SendableRecordBatchStream,
    ) -> SendableRecordBatchStream {
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let schema = stream.schema();
        let stream = stream.inspect_ok(move |batch| {
            baseline.record_output(batch.num_rows());
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, stream))
    }
}
