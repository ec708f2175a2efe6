//! Faults mid-sync: the connector retries them; the table ends with exactly the org's rows.

use sfdf_connector::{ApiType, ObjectSelection};
use sfdf_emulator::{Failure, Value};

use crate::common::*;

/// A full sync, changes, then an incremental sync, with `fault` armed before each sync.
async fn survives(api: ApiType, fault: impl Fn(&sfdf_emulator::EmulatedOrg)) {
    let org = org(400).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, api, &[ObjectSelection::new("Account")]);
    sync_after(&conn, &options(dir.path()), || fault(&org)).await;
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
    let ids: Vec<String> = org
        .records("Account")
        .unwrap()
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    for id in &ids[..30] {
        org.update("Account", id, &[("Phone", Value::Text("555-0100".into()))])
            .unwrap();
    }
    org.delete("Account", &ids[40]).unwrap();
    org.create("Account", &[("Name", Value::Text("After".into()))])
        .unwrap();
    let reports = sync_after(&conn, &options(dir.path()), || fault(&org)).await;
    assert_eq!(reports[0].updated, 30, "{}", reports[0].line());
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_mid_sync() {
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        survives(api, |org| org.faults().expire_all_tokens()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_request_limit_bursts() {
    survives(ApiType::BulkV2, |org| {
        org.faults().fail_next(2, Failure::ServerError)
    })
    .await;
    survives(ApiType::Rest, |org| {
        org.faults().fail_next(2, Failure::RequestLimitExceeded)
    })
    .await;
    survives(ApiType::Soap, |org| {
        org.faults().fail_next(2, Failure::ServiceUnavailable)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_bulk_job_and_cut_body() {
    survives(ApiType::BulkV2, |org| {
        org.faults().fail_next_bulk_job(Some("boom"))
    })
    .await;
    survives(ApiType::BulkV2, |org| org.faults().cut_next_body(2000)).await;
    survives(ApiType::Rest, |org| org.faults().cut_next_body(2000)).await;
}
