//! Incremental sync: inserts, updates, deletes and undeletes merged by Id, checkpoint in the
//! same commit; hard deletes found by reconcile.

use sfdf_connector::{ApiType, ObjectSelection};
use sfdf_emulator::Value;
use sfdf_sync::Mode;

use crate::common::*;

async fn changes_are_merged(api: ApiType) {
    let org = org(250).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, api, &[ObjectSelection::new("Account")]);
    // Deleted before the first sync: not in the table; undeleted later.
    let before: Vec<String> = org
        .records("Account")
        .unwrap()
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    org.delete("Account", &before[0]).unwrap();
    let first = sync_ok(&conn, &options(dir.path())).await;
    assert_eq!(first[0].mode, Mode::Full);
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;

    // Changes on the org.
    let new_a = org
        .create("Account", &[("Name", Value::Text("Fresh One".into()))])
        .unwrap();
    org.create("Account", &[("Name", Value::Text("Fresh Two".into()))])
        .unwrap();
    for id in &before[1..4] {
        org.update("Account", id, &[("Industry", Value::Text("Energy".into()))])
            .unwrap();
    }
    org.delete("Account", &before[5]).unwrap();
    org.delete("Account", &before[6]).unwrap();
    org.undelete("Account", &before[0]).unwrap();
    // Created and deleted between two syncs: never in the table.
    let ghost = org
        .create("Account", &[("Name", Value::Text("Ghost".into()))])
        .unwrap();
    org.delete("Account", &ghost).unwrap();
    // Updated then deleted: removed.
    org.update(
        "Account",
        &before[7],
        &[("Name", Value::Text("Gone".into()))],
    )
    .unwrap();
    org.delete("Account", &before[7]).unwrap();

    let second = sync_ok(&conn, &options(dir.path())).await;
    let r = &second[0];
    assert_eq!(r.mode, Mode::Incremental, "{}", r.line());
    assert_eq!(
        r.inserted,
        3,
        "two new rows and one undeleted: {}",
        r.line()
    );
    assert_eq!(r.updated, 3, "{}", r.line());
    assert_eq!(r.deleted, 3, "{}", r.line());
    assert_eq!(
        r.version,
        first[0].version.map(|v| v + 1),
        "data and checkpoint in one commit: {}",
        r.line()
    );
    let expected = org_rows(&org, "Account", |_| true);
    assert!(expected.contains_key(&new_a) && expected.contains_key(&before[0]));
    assert_table_matches(dir.path(), "Account", &expected).await;

    // Again with nothing new: nothing changes, not even the version.
    let third = sync_ok(&conn, &options(dir.path())).await;
    let r = &third[0];
    assert_eq!(
        (r.inserted, r.updated, r.deleted),
        (0, 0, 0),
        "{}",
        r.line()
    );
    assert_eq!(r.version, second[0].version, "{}", r.line());
    assert_table_matches(dir.path(), "Account", &expected).await;

    // Hard deletes and a purged recycle bin: queryAll no longer sees them; reconcile does.
    org.hard_delete("Account", &before[10]).unwrap();
    org.delete("Account", &before[11]).unwrap();
    org.empty_recycle_bin();
    let mut opts = options(dir.path());
    opts.reconcile = true;
    let fourth = sync_ok(&conn, &opts).await;
    assert_eq!(fourth[0].deleted, 2, "{}", fourth[0].line());
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_merged_bulkv2() {
    changes_are_merged(ApiType::BulkV2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_merged_rest() {
    changes_are_merged(ApiType::Rest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_merged_soap() {
    changes_are_merged(ApiType::Soap).await;
}
