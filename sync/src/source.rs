//! An extraction plan read as one DataFusion stream: every partition at once, counted.

use std::sync::{Arc, Mutex};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use sfdf_connector::ExtractPlan;

/// What the stream saw, shared with whoever reads it.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Rows read.
    pub rows: u64,
    /// The first error of the extraction (the stream ends there).
    pub error: Option<sfdf_connector::Error>,
}

/// Counters of a [`read`] stream.
pub(crate) type SeenRef = Arc<Mutex<Seen>>;

/// Called with the rows read so far after each batch.
pub(crate) type OnBatch = Box<dyn Fn(u64) + Send + Sync>;

/// Opens every partition of `plan` and reads them concurrently (the order of rows does not
/// matter to a sync). The first connector error ends the stream and is kept in the
/// returned [`Seen`] so the caller can report it as it is.
pub(crate) fn read(
    plan: &ExtractPlan,
    on_batch: Option<OnBatch>,
) -> (SendableRecordBatchStream, SeenRef) {
    let seen: SeenRef = Arc::default();
    let schema = plan.schema();
    let mut opened = Vec::new();
    let mut open_error = None;
    for i in 0..plan.partition_count() {
        match plan.open(i) {
            Ok(s) => opened.push(s),
            Err(e) => {
                open_error = Some(e);
                break;
            }
        }
    }
    let counted = Arc::clone(&seen);
    let merged = futures::stream::select_all(opened).map(move |item| {
        let item = item_counted(&counted, item);
        if let (Some(report), Ok(_)) = (&on_batch, &item) {
            report(counted.lock().map(|s| s.rows).unwrap_or(0));
        }
        item
    });
    let stream: futures::stream::BoxStream<'static, datafusion::error::Result<RecordBatch>> =
        match open_error {
            Some(e) => {
                let failed = Arc::clone(&seen);
                futures::stream::once(async move { item_counted(&failed, Err(e)) }).boxed()
            }
            None => merged.boxed(),
        };
    (
        Box::pin(RecordBatchStreamAdapter::new(schema, stream)),
        seen,
    )
}

fn item_counted(
    seen: &SeenRef,
    item: sfdf_connector::Result<RecordBatch>,
) -> datafusion::error::Result<RecordBatch> {
    let mut seen = seen
        .lock()
        .map_err(|_| DataFusionError::Execution("extraction counters are poisoned".into()))?;
    match item {
        Ok(batch) => {
            seen.rows += batch.num_rows() as u64;
            Ok(batch)
        }
        Err(e) => {
            let message = e.to_string();
            if seen.error.is_none() {
                seen.error = Some(e);
            }
            Err(DataFusionError::External(message.into()))
        }
    }
}
