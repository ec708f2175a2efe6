//! Shared helpers: an org, a connection to it, and batches compared with the org's data.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, Time32MillisecondArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use sfdf_connector::{
    ApiType, BulkPolling, Connection, ExtractPlan, HttpSettings, ObjectSelection, RetryConfig,
};
use sfdf_emulator::{EmulatedOrg, Value};

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
    let mut builder = Connection::builder()
        .connection_name("Emulated")
        .developer_name("emu")
        .domain_url(org.base_url())
        .client_credentials(org.client_id(), org.client_secret().into())
        .api_type(api)
        .api_version(version)
        .http(HttpSettings {
            retry: RetryConfig::fast(),
            polling: BulkPolling::fast(),
            ..HttpSettings::default()
        });
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

/// The org's live (not deleted) records of `object`, by Id.
pub(crate) fn org_rows(org: &EmulatedOrg, object: &str) -> HashMap<String, sfdf_emulator::SObject> {
    org.records(object)
        .unwrap()
        .into_iter()
        .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
        .map(|r| (r.id().to_string(), r))
        .collect()
}

/// Asserts the batch holds exactly the org's rows (none lost, none duplicated) with equal values.
pub(crate) fn assert_matches_org(
    batch: &RecordBatch,
    expected: &HashMap<String, sfdf_emulator::SObject>,
) {
    let ids = batch.column(0).as_string::<i32>();
    let mut seen = std::collections::HashSet::new();
    for row in 0..batch.num_rows() {
        let id = ids.value(row);
        assert!(seen.insert(id.to_string()), "row {id} extracted twice");
        let record = expected
            .get(id)
            .unwrap_or_else(|| panic!("row {id} is not in the org"));
        for (col, field) in batch.schema().fields().iter().enumerate() {
            let want = record.get(field.name()).cloned().unwrap_or(Value::Null);
            let got = value_at(batch.column(col).as_ref(), row);
            assert!(
                same(&got, &want),
                "{id}.{}: extracted {got:?}, org has {want:?}",
                field.name()
            );
        }
    }
    assert_eq!(seen.len(), expected.len(), "rows lost");
}

fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Double(a), Value::Double(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        (Value::Double(a), Value::Int(b)) => (a - *b as f64).abs() < 1e-9,
        (Value::Int(a), Value::Double(b)) => (*a as f64 - b).abs() < 1e-9,
        _ => got == want,
    }
}

pub(crate) fn value_at(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => Value::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::Boolean => Value::Bool(
            array
                .as_any()
                .downcast_ref::<BooleanArray>()
                .unwrap()
                .value(row),
        ),
        DataType::Int32 => Value::Int(
            array
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap()
                .value(row) as i64,
        ),
        DataType::Int64 => Value::Int(
            array
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(row),
        ),
        DataType::Float64 => Value::Double(
            array
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(row),
        ),
        DataType::Decimal128(_, s) => {
            let v = array
                .as_any()
                .downcast_ref::<Decimal128Array>()
                .unwrap()
                .value(row);
            Value::Double(v as f64 / 10f64.powi(*s as i32))
        }
        DataType::Date32 => {
            let d = array
                .as_any()
                .downcast_ref::<Date32Array>()
                .unwrap()
                .value(row);
            Value::Date(NaiveDate::from_num_days_from_ce_opt(d + 719_163).unwrap())
        }
        DataType::Timestamp(_, _) => {
            let ms = array
                .as_any()
                .downcast_ref::<TimestampMillisecondArray>()
                .unwrap()
                .value(row);
            Value::DateTime(DateTime::<Utc>::from_timestamp_millis(ms).unwrap())
        }
        DataType::Time32(_) => {
            let ms = array
                .as_any()
                .downcast_ref::<Time32MillisecondArray>()
                .unwrap()
                .value(row);
            Value::Time(
                NaiveTime::from_num_seconds_from_midnight_opt(
                    (ms / 1000) as u32,
                    (ms % 1000) as u32 * 1_000_000,
                )
                .unwrap(),
            )
        }
        other => panic!("unexpected column type {other}"),
    }
}
