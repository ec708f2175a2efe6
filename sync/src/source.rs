//! An extraction plan read as one DataFusion stream: every partition at once, counted,
//! and stopped when the API budget is spent.

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::kernels::aggregate::max;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
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
    /// The first error of the extraction, as it should be reported (the stream ends there).
    pub error: Option<String>,
}

/// Counters of a [`read`] stream.
pub(crate) type SeenRef = Arc<Mutex<Seen>>;

/// Called with the rows read so far after each batch.
pub(crate) type OnBatch = Box<dyn Fn(u64) + Send + Sync>;

/// Asked after each batch whether to stop; `Some(why)` ends the stream with that error.
pub(crate) type StopWhen = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// What to watch while reading.
#[derive(Default)]
pub(crate) struct Watch {
    /// Told the rows read so far after each batch (progress).
    pub on_batch: Option<OnBatch>,
    /// Stops the extraction (e.g. a spent API budget).
    pub stop: Option<StopWhen>,
}

/// Opens every partition of `plan` and reads them concurrently (the order of rows does not
/// matter to a sync). The first error ends the stream and is kept in the returned [`Seen`]
/// so the caller can report it as it is.
pub(crate) fn read(plan: &ExtractPlan, watch: Watch) -> (SendableRecordBatchStream, SeenRef) {
    let seen: SeenRef = Arc::default();
    let schema = plan.schema();
    if let Some(why) = watch.stop.as_ref().and_then(|stop| stop()) {
        // Spent before the first call: send nothing.
        let failed = Arc::clone(&seen);
        let stream = futures::stream::once(async move { stopped(&failed, why) }).boxed();
        return (
            Box::pin(RecordBatchStreamAdapter::new(schema, stream)),
            seen,
        );
    }
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
    let on_batch = watch.on_batch;
    let stop = watch.stop;
    let merged = futures::stream::select_all(opened)
        .map(move |item| {
            let item = item_counted(&counted, item);
            if item.is_ok() {
                if let Some(report) = &on_batch {
                    report(counted.lock().map(|s| s.rows).unwrap_or(0));
                }
                if let Some(why) = stop.as_ref().and_then(|stop| stop()) {
                    return stopped(&counted, why);
                }
            }
            item
        })
        // Nothing after the first error: the extraction is over.
        .scan(false, |failed, item| {
            let done = *failed;
            *failed |= item.is_err();
            futures::future::ready((!done).then_some(item))
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

fn stopped(seen: &SeenRef, why: String) -> datafusion::error::Result<RecordBatch> {
    if let Ok(mut seen) = seen.lock()
        && seen.error.is_none()
    {
        seen.error = Some(why.clone());
    }
    Err(DataFusionError::External(why.into()))
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
                seen.error = Some(message.clone());
            }
            Err(DataFusionError::External(message.into()))
        }
    }
}

/// The newest value of a timestamp column of a batch, epoch milliseconds.
pub(crate) fn newest_stamp(batch: &RecordBatch, field: &str) -> Option<i64> {
    let column = batch.column(batch.schema().index_of(field).ok()?);
    if !matches!(
        column.data_type(),
        DataType::Timestamp(TimeUnit::Millisecond, _)
    ) {
        return None;
    }
    max(column.as_primitive::<TimestampMillisecondType>())
}
