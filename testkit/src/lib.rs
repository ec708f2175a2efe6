//! Test helpers shared by the workspace's test binaries (dev-only): a connection to an
//! emulated org, the org's live records, and Arrow rows compared with them.
//!
//! The connector's, sync's and the end-to-end tests all use these, so "the table holds
//! exactly the org's rows" means the same thing everywhere. The emulator's own tests speak
//! raw HTTP and need none of this; the emulator never depends on the connector.
//!
//! [`plain_bulk`] is the benches' floor: a Bulk query job's pages downloaded by a bare HTTP
//! client.

pub mod plain_bulk;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use sfdf_connector::{BulkPolling, Connection, ConnectionBuilder, HttpSettings, RetryConfig};
use sfdf_emulator::{EmulatedOrg, SObject, Value};

/// A connection to `org` through its default connected app: developer name `emu`, client
/// credentials, the default API type and version, and short retry and polling waits.
/// Callers add what their test varies (API type, version, objects) and `build()`.
pub fn connection(org: &EmulatedOrg) -> ConnectionBuilder {
    Connection::builder()
        .connection_name("Emulated")
        .developer_name("emu")
        .domain_url(org.base_url())
        .client_credentials(org.client_id(), org.client_secret().into())
        .http(HttpSettings {
            retry: RetryConfig::fast(),
            polling: BulkPolling::fast(),
            ..HttpSettings::default()
        })
}

/// The org's live records of `object` in the org's order: what a plain query sees (the
/// recycle bin's soft-deleted rows only show with `queryAll`).
pub fn live_records(org: &EmulatedOrg, object: &str) -> Vec<SObject> {
    org.records(object)
        .unwrap_or_else(|e| panic!("the org has no object {object}: {e:?}"))
        .into_iter()
        .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
        .collect()
}

/// [`live_records`] by Id.
pub fn org_rows(org: &EmulatedOrg, object: &str) -> HashMap<String, SObject> {
    live_records(org, object)
        .into_iter()
        .map(|r| (r.id().to_string(), r))
        .collect()
}

/// Asserts `batch` holds exactly the `expected` records (none lost, none duplicated, none
/// extra) with equal values in every column. `what` names the rows in messages (an object,
/// a table). The batch needs an `Id` column.
pub fn assert_rows_match(what: &str, batch: &RecordBatch, expected: &HashMap<String, SObject>) {
    let id_col = batch
        .schema()
        .index_of("Id")
        .unwrap_or_else(|_| panic!("{what}: no Id column"));
    let ids = cast(batch.column(id_col), &DataType::Utf8).expect("Id as text");
    let ids = ids.as_string::<i32>();
    let mut seen = HashSet::new();
    for row in 0..batch.num_rows() {
        let id = ids.value(row);
        assert!(seen.insert(id.to_string()), "{what}: {id} is there twice");
        let record = expected
            .get(id)
            .unwrap_or_else(|| panic!("{what}: {id} is there but not in the org"));
        for (col, field) in batch.schema().fields().iter().enumerate() {
            let want = record.get(field.name()).cloned().unwrap_or(Value::Null);
            let got = value_at(batch.column(col).as_ref(), row);
            assert!(
                same(&got, &want),
                "{what}: {id}.{} is {got:?}, the org has {want:?}",
                field.name()
            );
        }
    }
    let lost: Vec<&String> = expected.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        lost.is_empty(),
        "{what}: {} of the org's rows are missing, e.g. {:?}",
        lost.len(),
        lost.first()
    );
}

/// Equal as the org means them: numbers within floating-point noise (decimals arrive as
/// doubles from the org's model), times written as text compared as times.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Double(a), Value::Double(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        (Value::Double(a), Value::Int(b)) => (a - *b as f64).abs() < 1e-9,
        (Value::Int(a), Value::Double(b)) => (*a as f64 - b).abs() < 1e-9,
        (Value::Text(t), Value::Time(w)) => NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
            .map(|g| g == *w)
            .unwrap_or(false),
        _ => got == want,
    }
}

/// The value at `row` of an Arrow column, as the emulator's model spells it.
pub fn value_at(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    let prim = |t: &DataType| cast(&array.slice(row, 1), t).expect("castable column");
    match array.data_type() {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
            let text = prim(&DataType::Utf8);
            Value::Text(text.as_string::<i32>().value(0).to_string())
        }
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let v = prim(&DataType::Int64);
            Value::Int(
                v.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                    .value(0),
            )
        }
        DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
            let v = prim(&DataType::Float64);
            Value::Double(
                v.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                    .value(0),
            )
        }
        DataType::Date32 => {
            let d = array
                .as_primitive::<datafusion::arrow::datatypes::Date32Type>()
                .value(row);
            Value::Date(NaiveDate::from_num_days_from_ce_opt(d + 719_163).expect("a date"))
        }
        DataType::Timestamp(..) => {
            let v = prim(&DataType::Timestamp(TimeUnit::Microsecond, None));
            let us = v
                .as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>()
                .value(0);
            Value::DateTime(DateTime::<Utc>::from_timestamp_micros(us).expect("a timestamp"))
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            let v = prim(&DataType::Time64(TimeUnit::Nanosecond));
            let ns = v
                .as_primitive::<datafusion::arrow::datatypes::Time64NanosecondType>()
                .value(0);
            Value::Time(
                NaiveTime::from_num_seconds_from_midnight_opt(
                    (ns / 1_000_000_000) as u32,
                    (ns % 1_000_000_000) as u32,
                )
                .expect("a time of day"),
            )
        }
        other => panic!("unexpected column type {other}"),
    }
}
