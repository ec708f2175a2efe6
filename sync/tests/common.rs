//! Shared helpers: an org, a connection, a sync, and a table compared with the org.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use sfdf_connector::{ApiType, Connection, HttpSettings, ObjectSelection, RetryConfig, Session};
use sfdf_emulator::{EmulatedOrg, SObject, Value};
use sfdf_sync::delta::DeltaDir;
use sfdf_sync::{ObjectReport, SyncOptions};

pub(crate) async fn org(rows: usize) -> EmulatedOrg {
    EmulatedOrg::builder()
        .rows(rows)
        .seed(11)
        .page_rows(700)
        .start()
        .await
        .expect("emulated org starts")
}

/// A connection selecting `objects` (name, fields, filter).
pub(crate) fn connection(
    org: &EmulatedOrg,
    api: ApiType,
    objects: &[ObjectSelection],
) -> Connection {
    connection_at(org, api, "62.0", objects)
}

pub(crate) fn connection_at(
    org: &EmulatedOrg,
    api: ApiType,
    version: &str,
    objects: &[ObjectSelection],
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
            ..HttpSettings::default()
        });
    for o in objects {
        builder = builder.object(o.clone());
    }
    builder.build().expect("valid connection")
}

pub(crate) fn options(target: &Path) -> SyncOptions {
    let mut options = SyncOptions::new(target);
    // Small pages and windows, so several partitions run even on small orgs.
    options.plan.window_min_rows = 50;
    options.plan.page_rows = Some(300);
    options
}

/// Syncs and returns the reports, asserting every object synced.
pub(crate) async fn sync_ok(connection: &Connection, options: &SyncOptions) -> Vec<ObjectReport> {
    let session = Session::connect(connection).await.expect("session");
    let reports = sfdf_sync::sync(&session, options)
        .await
        .expect("objects to sync");
    for r in &reports {
        assert!(r.ok(), "{}", r.line());
    }
    reports
}

/// Connects, then calls `arm` (e.g. to arm a fault for the sync's calls), then syncs and
/// asserts every object synced.
pub(crate) async fn sync_after(
    connection: &Connection,
    options: &SyncOptions,
    arm: impl FnOnce(),
) -> Vec<ObjectReport> {
    let session = Session::connect(connection).await.expect("session");
    arm();
    let reports = sfdf_sync::sync(&session, options)
        .await
        .expect("objects to sync");
    for r in &reports {
        assert!(r.ok(), "{}", r.line());
    }
    reports
}

/// Every row of the table (current version).
pub(crate) async fn table_rows(target: &Path, object: &str) -> RecordBatch {
    let dir = DeltaDir::open(&sfdf_sync::table_dir(target, "emu", object))
        .await
        .expect("table opens");
    assert!(dir.exists(), "no table for {object}");
    let ctx = SessionContext::new();
    let provider = dir.provider(&ctx).await.expect("provider");
    let frame = ctx.read_table(provider).unwrap();
    let schema = frame.schema().as_arrow().clone();
    let batches = frame.collect().await.expect("table reads");
    datafusion::arrow::compute::concat_batches(&std::sync::Arc::new(schema), &batches).unwrap()
}

/// The org's live (not deleted) records of `object`, by Id; `keep` filters them.
pub(crate) fn org_rows(
    org: &EmulatedOrg,
    object: &str,
    keep: impl Fn(&SObject) -> bool,
) -> HashMap<String, SObject> {
    org.records(object)
        .unwrap()
        .into_iter()
        .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
        .filter(|r| keep(r))
        .map(|r| (r.id().to_string(), r))
        .collect()
}

/// Asserts the table holds exactly the org's rows (none lost, none duplicated, none
/// extra) with equal values in every column.
pub(crate) async fn assert_table_matches(
    target: &Path,
    object: &str,
    expected: &HashMap<String, SObject>,
) {
    let batch = table_rows(target, object).await;
    let id_col = batch.schema().index_of("Id").expect("Id column");
    let ids = datafusion::arrow::compute::cast(batch.column(id_col), &DataType::Utf8).unwrap();
    let ids = ids.as_string::<i32>();
    let mut seen = HashSet::new();
    for row in 0..batch.num_rows() {
        let id = ids.value(row);
        assert!(
            seen.insert(id.to_string()),
            "{object} {id} is in the table twice"
        );
        let record = expected
            .get(id)
            .unwrap_or_else(|| panic!("{object} {id} is in the table but not in the org"));
        for (col, field) in batch.schema().fields().iter().enumerate() {
            let want = record.get(field.name()).cloned().unwrap_or(Value::Null);
            let got = value_at(batch.column(col).as_ref(), row);
            assert!(
                same(&got, &want),
                "{object} {id}.{}: table has {got:?}, org has {want:?}",
                field.name()
            );
        }
    }
    let lost: Vec<&String> = expected.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        lost.is_empty(),
        "{object}: {} rows missing from the table, e.g. {:?}",
        lost.len(),
        lost.first()
    );
}

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

fn value_at(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    let any = array.as_any();
    match array.data_type() {
        DataType::Utf8 => Value::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::Utf8View => Value::Text(array.as_string_view().value(row).to_string()),
        DataType::Boolean => Value::Bool(any.downcast_ref::<BooleanArray>().unwrap().value(row)),
        DataType::Int32 => Value::Int(any.downcast_ref::<Int32Array>().unwrap().value(row) as i64),
        DataType::Int64 => Value::Int(any.downcast_ref::<Int64Array>().unwrap().value(row)),
        DataType::Float64 => Value::Double(any.downcast_ref::<Float64Array>().unwrap().value(row)),
        DataType::Decimal128(_, s) => {
            let v = any.downcast_ref::<Decimal128Array>().unwrap().value(row);
            Value::Double(v as f64 / 10f64.powi(*s as i32))
        }
        DataType::Date32 => {
            let d = any.downcast_ref::<Date32Array>().unwrap().value(row);
            Value::Date(NaiveDate::from_num_days_from_ce_opt(d + 719_163).unwrap())
        }
        DataType::Timestamp(_, _) => {
            let us = any
                .downcast_ref::<TimestampMicrosecondArray>()
                .unwrap()
                .value(row);
            Value::DateTime(DateTime::<Utc>::from_timestamp_micros(us).unwrap())
        }
        other => panic!("unexpected column type {other}"),
    }
}
