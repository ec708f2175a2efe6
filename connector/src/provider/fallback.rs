//! What a pushed query falls back to when the org does not answer it: the plan DataFusion
//! would have run without that pushdown, over a plain scan. The aggregate and top-N rules
//! both keep one, so a refusal (`QUERY_TIMEOUT` on a large object, too many groups, a sort
//! the org will not run) costs time, never the answer.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::Session as DfSession;
use datafusion::common::DataFusionError;
use datafusion::execution::session_state::SessionState;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::execute_stream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::{StreamExt, TryStreamExt};

use super::options::Pushdown;

/// The plan that answers a pushed shape's question when the org does not.
pub(crate) struct Fallback {
    pushdown: Pushdown,
    plan: LogicalPlan,
    /// The session's settings minus `pushdown` (or its rule would push the same shape
    /// again); `None` when the session is not a DataFusion `SessionState`.
    state: Option<Box<SessionState>>,
}

impl fmt::Debug for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fallback")
            .field("pushdown", &self.pushdown)
            .field("plan", &self.plan.display_indent().to_string())
            .finish_non_exhaustive()
    }
}

impl Fallback {
    /// `plan` (the shape as DataFusion plans it without `pushdown`), to be run with the
    /// settings of `state`.
    pub(crate) fn new(state: &dyn DfSession, pushdown: Pushdown, plan: LogicalPlan) -> Self {
        let state = state.as_any().downcast_ref::<SessionState>().map(|state| {
            let mut state = state.clone();
            pushdown.turn_off(state.config_mut().options_mut());
            Box::new(state)
        });
        Self {
            pushdown,
            plan,
            state,
        }
    }

    /// What DataFusion does instead, in the warning.
    fn instead(&self) -> &'static str {
        match self.pushdown {
            Pushdown::Aggregates => "aggregating a scan instead",
            Pushdown::TopN => "sorting a scan instead",
            Pushdown::JoinKeys => "scanning without the join's keys instead",
        }
    }

    /// The rows of `asked`, the org's answer to `soql` (a query of `object`). When its first
    /// item is an error (the org refused the query, timed out, or answered inexactly), a
    /// warning and this plan's rows instead, under `asked`'s column names. An error after
    /// the first rows is passed on: falling back then would repeat rows.
    pub(crate) fn or_instead(
        self: Arc<Self>,
        asked: SendableRecordBatchStream,
        object: String,
        soql: String,
        ctx: Arc<TaskContext>,
    ) -> SendableRecordBatchStream {
        let schema = asked.schema();
        let names = Arc::clone(&schema);
        let rows = futures::stream::once(async move {
            let mut asked = asked;
            let error = match asked.next().await {
                None => return Ok(futures::stream::empty().boxed()),
                Some(Ok(first)) => {
                    return Ok(futures::stream::once(async { Ok(first) })
                        .chain(asked)
                        .boxed());
                }
                Some(Err(error)) => error,
            };
            tracing::warn!(
                %object,
                %error,
                "the org did not answer `{soql}` exactly; {}",
                self.instead()
            );
            let Some(state) = &self.state else {
                return Err(DataFusionError::Execution(format!(
                    "the org did not answer `{soql}` ({error}), and this session cannot plan \
                     the scan instead; run with `SET {} = false`",
                    self.pushdown.setting()
                )));
            };
            let plan = state.create_physical_plan(&self.plan).await?;
            // Same types (the rules keep DataFusion's); only the names may differ.
            let rows = execute_stream(plan, ctx)?.map(move |batch| {
                Ok(RecordBatch::try_new(
                    Arc::clone(&names),
                    batch?.columns().to_vec(),
                )?)
            });
            Ok(rows.boxed())
        })
        .try_flatten();
        Box::pin(RecordBatchStreamAdapter::new(schema, rows))
    }
}
