//! Hard deletes found by reconcile: getDeleted within its window, an Id comparison beyond
//! it; and a reconcile every N syncs.

use std::num::NonZeroU32;

use sfdf_connector::{ApiType, ObjectSelection, SyncSettings};
use sfdf_emulator::{EmulatedOrg, LoggedRequest};
use sfdf_sync::Mode;

use crate::common::*;

fn get_deleted_calls(requests: &[LoggedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.path.ends_with("/sobjects/Account/deleted/"))
        .count()
}

/// Extractions of the Id column alone (`SELECT Id FROM Account`), whatever the API.
fn id_only_extractions(requests: &[LoggedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| {
            r.soql.as_deref().is_some_and(|q| {
                let q = q.to_ascii_lowercase();
                q.starts_with("select id from account")
            })
        })
        .count()
}

fn account_ids(org: &EmulatedOrg) -> Vec<String> {
    org.records("Account")
        .unwrap()
        .iter()
        .map(|r| r.id().to_string())
        .collect()
}

async fn hard_deletes_within_the_window_come_from_get_deleted(api: ApiType) {
    let org = org(150).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, api, &[ObjectSelection::new("Account")]);
    sync_ok(&conn, &options(dir.path())).await;
    let ids = account_ids(&org);
    org.hard_delete("Account", &ids[3]).unwrap();
    org.hard_delete("Account", &ids[4]).unwrap();
    // Soft-deleted, then purged from the recycle bin: queryAll no longer sees it either.
    org.delete("Account", &ids[5]).unwrap();
    org.empty_recycle_bin();
    // Deleted and undeleted: it stays.
    org.delete("Account", &ids[6]).unwrap();
    org.undelete("Account", &ids[6]).unwrap();

    org.clear_requests();
    let mut opts = options(dir.path());
    opts.reconcile = true;
    let r = &sync_ok(&conn, &opts).await[0];
    assert_eq!(r.mode, Mode::Incremental, "{}", r.line());
    assert_eq!(r.deleted, 3, "{}", r.line());
    assert!(
        r.reconcile
            .as_deref()
            .unwrap()
            .starts_with("getDeleted since"),
        "{}",
        r.line()
    );
    let requests = org.requests();
    assert_eq!(get_deleted_calls(&requests), 1);
    assert_eq!(id_only_extractions(&requests), 0, "{requests:#?}");
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;

    // Again: nothing more to remove, still no Id extraction.
    org.clear_requests();
    let r = &sync_ok(&conn, &opts).await[0];
    assert_eq!(r.deleted, 0, "{}", r.line());
    assert_eq!(id_only_extractions(&org.requests()), 0);
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_deletes_within_the_window_come_from_get_deleted_bulkv2() {
    hard_deletes_within_the_window_come_from_get_deleted(ApiType::BulkV2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_deletes_within_the_window_come_from_get_deleted_soap() {
    hard_deletes_within_the_window_come_from_get_deleted(ApiType::Soap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_window_reconcile_compares_ids() {
    let org = org(150).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, ApiType::Rest, &[ObjectSelection::new("Account")]);
    sync_ok(&conn, &options(dir.path())).await;
    let ids = account_ids(&org);
    org.hard_delete("Account", &ids[1]).unwrap();
    org.hard_delete("Account", &ids[2]).unwrap();
    // The org purges its delete log: getDeleted no longer knows these deletes.
    org.purge_delete_log();

    org.clear_requests();
    let mut opts = options(dir.path());
    opts.reconcile = true;
    let r = &sync_ok(&conn, &opts).await[0];
    assert_eq!(r.deleted, 2, "{}", r.line());
    let how = r.reconcile.as_deref().unwrap();
    assert!(
        how.starts_with("Id comparison") && how.contains("delete log starts at"),
        "{}",
        r.line()
    );
    let requests = org.requests();
    assert_eq!(get_deleted_calls(&requests), 1, "asked first");
    assert!(id_only_extractions(&requests) >= 1, "{requests:#?}");
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;

    // The Id comparison set a new reconcile point, after the purge: the next reconcile
    // uses getDeleted (with no lookback, which would reach back before the purge).
    opts.lookback = std::time::Duration::ZERO;
    org.hard_delete("Account", &ids[7]).unwrap();
    org.clear_requests();
    let r = &sync_ok(&conn, &opts).await[0];
    assert_eq!(r.deleted, 1, "{}", r.line());
    assert!(
        r.reconcile.as_deref().unwrap().starts_with("getDeleted"),
        "{}",
        r.line()
    );
    assert_eq!(id_only_extractions(&org.requests()), 0);
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconcile_runs_every_n_syncs() {
    let org = org(120).await;
    let dir = tempfile::tempdir().unwrap();
    let sync = SyncSettings {
        reconcile_every: NonZeroU32::new(2),
        ..SyncSettings::default()
    };
    let conn = connection_with(
        &org,
        ApiType::Rest,
        "62.0",
        &[ObjectSelection::new("Account")],
        sync,
    );
    let first = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(first.mode, Mode::Full);
    let ids = account_ids(&org);
    org.hard_delete("Account", &ids[2]).unwrap();

    // 1st sync after the full one: no reconcile, the hard-deleted row is still there.
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.reconcile, None, "{}", r.line());
    let before = org_rows(&org, "Account", |_| true).len();
    assert_eq!(
        table_rows(dir.path(), "Account").await.num_rows(),
        before + 1
    );

    // 2nd: reconciles, without --reconcile.
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert!(r.reconcile.is_some(), "{}", r.line());
    assert_eq!(r.deleted, 1, "{}", r.line());
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;

    // The count starts over: the next one does not reconcile, the one after does.
    org.hard_delete("Account", &ids[3]).unwrap();
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.reconcile, None, "{}", r.line());
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.deleted, 1, "{}", r.line());
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}
