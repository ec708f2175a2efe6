//! Shared helpers: an org, a connection, a sync, and a table compared with the org.

use std::collections::HashMap;
use std::path::Path;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use sfdf_connector::{ApiType, Connection, ObjectSelection, Session, SyncSettings};
use sfdf_emulator::{EmulatedOrg, SObject};
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
    connection_with(org, api, version, objects, SyncSettings::default())
}

/// A connection with `sync:` settings.
pub(crate) fn connection_with(
    org: &EmulatedOrg,
    api: ApiType,
    version: &str,
    objects: &[ObjectSelection],
    sync: SyncSettings,
) -> Connection {
    let mut builder = sfdf_testkit::connection(org)
        .sync_settings(sync)
        .api_type(api)
        .api_version(version);
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

/// Syncs and returns the reports, whether objects failed or not.
pub(crate) async fn sync_any(connection: &Connection, options: &SyncOptions) -> Vec<ObjectReport> {
    let session = Session::connect(connection).await.expect("session");
    sfdf_sync::sync(&session, options)
        .await
        .expect("objects to sync")
}

/// The table's version, `None` without a table.
pub(crate) async fn table_version(target: &Path, object: &str) -> Option<u64> {
    DeltaDir::open(&sfdf_sync::table_dir(target, "emu", object))
        .await
        .expect("table opens")
        .version()
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
    let mut rows = sfdf_testkit::org_rows(org, object);
    rows.retain(|_, r| keep(r));
    rows
}

/// Asserts the table holds exactly the org's rows (none lost, none duplicated, none
/// extra) with equal values in every column.
pub(crate) async fn assert_table_matches(
    target: &Path,
    object: &str,
    expected: &HashMap<String, SObject>,
) {
    let batch = table_rows(target, object).await;
    sfdf_testkit::assert_rows_match(&format!("synced {object}"), &batch, expected);
}
