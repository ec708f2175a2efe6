//! The connection's `sync:` settings and the checkpoint fallback: objects without
//! SystemModstamp, extraction concurrency, an API budget that stops the sync cleanly.

use sfdf_connector::{
    ApiType, Connection, HttpSettings, ObjectSelection, RetryConfig, Session, SyncSettings,
};
use sfdf_emulator::{EmulatedOrg, Profile, Value};
use sfdf_sync::Mode;

use crate::common::*;

/// A connection through a client app whose Run As user cannot see `hidden` fields of
/// Account: to the sync, an Account without them.
async fn org_hiding(hidden: &[&str]) -> (EmulatedOrg, Connection) {
    let mut profile = Profile::new("No modstamp");
    for field in hidden {
        profile = profile.hide_field("Account", field);
    }
    let org = EmulatedOrg::builder()
        .rows(120)
        .seed(11)
        .page_rows(700)
        .client_app("restricted-app", "restricted-secret", profile)
        .start()
        .await
        .expect("emulated org starts");
    let conn = Connection::builder()
        .developer_name("emu")
        .domain_url(org.base_url())
        .client_credentials("restricted-app", "restricted-secret".into())
        .api_type(ApiType::Rest)
        .api_version("62.0")
        .http(HttpSettings {
            retry: RetryConfig::fast(),
            ..HttpSettings::default()
        })
        .object(ObjectSelection::new("Account").fields(["Id", "Name", "Industry"]))
        .build()
        .expect("valid connection");
    (org, conn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_system_modstamp_the_checkpoint_is_last_modified_date() {
    let (org, conn) = org_hiding(&["SystemModstamp"]).await;
    let dir = tempfile::tempdir().unwrap();
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Full);
    assert_eq!(
        r.fallback.as_deref(),
        Some("no SystemModstamp: checkpoint on LastModifiedDate"),
        "{}",
        r.line()
    );
    assert!(r.line().contains("checkpoint on LastModifiedDate"));
    let table = table_rows(dir.path(), "Account").await;
    assert!(table.schema().index_of("LastModifiedDate").is_ok());
    assert!(table.schema().index_of("SystemModstamp").is_err());

    let ids: Vec<String> = org_rows(&org, "Account", |_| true).into_keys().collect();
    org.update(
        "Account",
        &ids[0],
        &[("Industry", Value::Text("Energy".into()))],
    )
    .unwrap();
    org.delete("Account", &ids[1]).unwrap();
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Incremental, "{}", r.line());
    assert_eq!((r.updated, r.deleted), (1, 1), "{}", r.line());
    let queries: Vec<String> = org.requests().into_iter().filter_map(|q| q.soql).collect();
    assert!(
        queries.iter().any(|q| q.contains("LastModifiedDate >=")),
        "{queries:#?}"
    );
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_stamp_every_sync_is_full() {
    let (org, conn) = org_hiding(&["SystemModstamp", "LastModifiedDate"]).await;
    let dir = tempfile::tempdir().unwrap();
    sync_ok(&conn, &options(dir.path())).await;
    let ids: Vec<String> = org_rows(&org, "Account", |_| true).into_keys().collect();
    org.delete("Account", &ids[0]).unwrap();
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Full, "{}", r.line());
    assert_eq!(
        r.fallback.as_deref(),
        Some("no SystemModstamp or LastModifiedDate: every sync is full")
    );
    assert_eq!(r.checkpoint, None);
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

/// Cursors opened on Account's rows: first pages of row queries (`…/query` with the SOQL;
/// later pages follow `nextRecordsUrl`), not the aggregate that finds the windows.
fn cursors(org: &EmulatedOrg) -> usize {
    org.requests()
        .iter()
        .filter(|r| r.path.ends_with("/query"))
        .filter(|r| {
            r.soql
                .as_deref()
                .is_some_and(|q| !q.contains("MIN(SystemModstamp)"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extraction_runs_within_the_configured_concurrency() {
    let org = org(600).await;
    for concurrency in [1, 3] {
        let dir = tempfile::tempdir().unwrap();
        let sync = SyncSettings {
            concurrency,
            ..SyncSettings::default()
        };
        let conn = connection_with(
            &org,
            ApiType::Rest,
            "62.0",
            &[ObjectSelection::new("Account")],
            sync,
        );
        org.clear_requests();
        sync_ok(&conn, &options(dir.path())).await;
        // REST: one cursor per SystemModstamp window, one window per partition; with
        // windows, the first partition then reads the rows from the span's MAX on.
        let expected = if concurrency == 1 { 1 } else { concurrency + 1 };
        assert_eq!(
            cursors(&org),
            expected,
            "concurrency {concurrency}: {:#?}",
            org.requests()
                .iter()
                .filter_map(|r| r.soql.clone())
                .collect::<Vec<_>>()
        );
        assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_api_budget_stops_cleanly_and_the_next_run_resumes() {
    const LIMIT: u64 = 1_000;
    let org = EmulatedOrg::builder()
        .rows(900)
        .seed(11)
        .page_rows(200)
        .daily_api_limit(LIMIT)
        .start()
        .await
        .expect("emulated org starts");
    let objects = [
        ObjectSelection::new("Account"),
        ObjectSelection::new("Contact"),
        ObjectSelection::new("Lead"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let free = connection_with(
        &org,
        ApiType::Rest,
        "62.0",
        &objects,
        SyncSettings::default(),
    );
    sync_ok(&free, &options(dir.path())).await;
    let versions = [
        table_version(dir.path(), "Account").await,
        table_version(dir.path(), "Contact").await,
        table_version(dir.path(), "Lead").await,
    ];
    // Changes on every object.
    for object in ["Account", "Contact", "Lead"] {
        for id in org_rows(&org, object, |_| true).into_keys().take(3) {
            org.delete(object, &id).unwrap();
        }
    }

    // A budget a few calls above what the org has used so far.
    let used = {
        let session = Session::connect(&free).await.unwrap();
        session.api_usage().used
    };
    let budget = (used + 8) as f64 / LIMIT as f64;
    let sync = SyncSettings {
        api_budget: Some(budget),
        ..SyncSettings::default()
    };
    let tight = connection_with(&org, ApiType::Rest, "62.0", &objects, sync);
    let reports = sync_any(&tight, &options(dir.path())).await;
    let failed: Vec<_> = reports.iter().filter(|r| !r.ok()).collect();
    assert!(!failed.is_empty(), "the budget allowed every object");
    for r in &failed {
        let e = r.error.as_deref().unwrap();
        assert!(e.contains("API budget is spent"), "{e}");
        assert!(e.contains("sync.api_budget"), "{e}");
    }
    // Stopped, not refused: the org's own limit was never reached.
    assert!(org.api_requests_used() < LIMIT);
    // Each failed object kept its version; none is half-merged.
    for (object, version) in ["Account", "Contact", "Lead"].iter().zip(versions) {
        if failed.iter().any(|r| r.object == *object) {
            assert_eq!(table_version(dir.path(), object).await, version, "{object}");
        }
    }

    // A new day: the next run resumes from the committed checkpoints and completes.
    org.reset_api_usage();
    let reports = sync_ok(&tight, &options(dir.path())).await;
    for r in &reports {
        assert_eq!(r.mode, Mode::Incremental, "{}", r.line());
    }
    for object in ["Account", "Contact", "Lead"] {
        assert_table_matches(dir.path(), object, &org_rows(&org, object, |_| true)).await;
    }
}
