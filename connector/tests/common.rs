//! Shared helpers: an org, a connection to it, and batches compared with the org's data.

use std::collections::HashMap;

use datafusion::arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use sfdf_connector::{ApiType, Connection, ExtractPlan, ObjectSelection};
use sfdf_emulator::EmulatedOrg;

pub(crate) async fn org(rows: usize, page_rows: usize) -> EmulatedOrg {
    EmulatedOrg::builder()
        .rows(rows)
        .seed(7)
        .page_rows(page_rows)
        .start()
        .await
        .expect("emulated org starts")
}

pub(crate) fn connection(org: &EmulatedOrg, api: ApiType) -> Connection {
    connection_to(org, api, "62.0", None)
}

/// A connection at `version`, with a data sync filter on one object when given.
pub(crate) fn connection_to(
    org: &EmulatedOrg,
    api: ApiType,
    version: &str,
    filter: Option<(&str, &str)>,
) -> Connection {
    let mut builder = sfdf_testkit::connection(org)
        .api_type(api)
        .api_version(version);
    if let Some((object, filter)) = filter {
        builder = builder.object(ObjectSelection::new(object).filter(filter));
    }
    builder.build().expect("valid connection")
}

pub(crate) async fn collect(plan: &ExtractPlan) -> Vec<RecordBatch> {
    plan.stream()
        .try_collect()
        .await
        .expect("extraction succeeds")
}

pub(crate) fn concat(batches: &[RecordBatch], plan: &ExtractPlan) -> RecordBatch {
    datafusion::arrow::compute::concat_batches(&plan.schema(), batches).unwrap()
}

/// Rows sorted by `Id` (column 0 must be `Id`).
pub(crate) fn sorted_by_id(batch: &RecordBatch) -> RecordBatch {
    let indices = datafusion::arrow::compute::sort_to_indices(batch.column(0), None, None).unwrap();
    datafusion::arrow::compute::take_record_batch(batch, &indices).unwrap()
}

pub(crate) use sfdf_testkit::{org_rows, value_at};

/// Asserts the batch holds exactly the org's rows (none lost, none duplicated) with equal values.
pub(crate) fn assert_matches_org(
    batch: &RecordBatch,
    expected: &HashMap<String, sfdf_emulator::SObject>,
) {
    sfdf_testkit::assert_rows_match("extracted rows", batch, expected);
}
