//! Queries past Salesforce's size limits: a REST URI over 16,384 bytes goes through the
//! Composite resource (or fails with the fixes when the API version has none), and a
//! statement over 100,000 characters is refused before anything is sent.

use futures::TryStreamExt;
use sfdf_connector::{ApiType, Connection, Session};
use sfdf_emulator::EmulatedOrg;

use crate::common::{collect, concat, connection_to, org, org_rows};

fn with_filter(org: &EmulatedOrg, api: ApiType, version: &str, filter: &str) -> Connection {
    connection_to(org, api, version, Some(("Contact", filter)))
}

/// `Id IN (…)` over the first `n` live Contacts (sorted), and those Ids.
fn id_filter(org: &EmulatedOrg, n: usize) -> (String, Vec<String>) {
    let mut ids: Vec<String> = org_rows(org, "Contact").into_keys().collect();
    ids.sort();
    assert!(
        ids.len() >= n,
        "the org has only {} live Contacts",
        ids.len()
    );
    ids.truncate(n);
    let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    (format!("Id IN ({})", list.join(", ")), ids)
}

/// Five conditions on 3,900-character strings (SOQL allows 4,000 per string) that every
/// Contact meets: ~20 KB once URL-encoded, cheap for the org to evaluate.
fn long_true_filter() -> String {
    let long = "z".repeat(3_900);
    ["LastName", "FirstName", "Email", "Phone", "Title"]
        .map(|f| format!("{f} != '{long}'"))
        .join(" AND ")
}

async fn extracted_ids(session: &Session) -> sfdf_connector::Result<Vec<String>> {
    let query = session.query_for("Contact").await?.columns(["Id"]);
    // One partition, one cursor: the REST case pages through `nextRecordsUrl` (more
    // partitions would read SystemModstamp windows of fewer rows each).
    let options = sfdf_connector::PlanOptions {
        partitions: 1,
        ..Default::default()
    };
    let plan = session.plan_with(&query, &options).await?;
    let batches: Vec<_> = plan.stream().try_collect().await?;
    let batch = concat(&batches, &plan);
    let col = datafusion::arrow::array::AsArray::as_string::<i32>(batch.column(0));
    let mut ids: Vec<String> = (0..batch.num_rows())
        .map(|i| col.value(i).to_string())
        .collect();
    ids.sort();
    Ok(ids)
}

/// Requests that carried a query (REST GET/composite, Bulk job creation, SOAP).
fn query_calls(org: &EmulatedOrg) -> Vec<(String, String, u16)> {
    org.requests()
        .into_iter()
        .filter(|r| r.soql.is_some() || r.path.ends_with("/composite"))
        .map(|r| (r.method, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn a_filter_too_long_for_a_uri_runs_through_composite_with_every_page() {
    // Five conditions with 3,900-character strings (SOQL allows 4,000 per string): the URI
    // would be ~20 KB; every Contact matches, so REST needs two pages of 2,000.
    let org = org(1_100, 10_000).await;
    let filter = long_true_filter();
    let mut expected: Vec<String> = org_rows(&org, "Contact").into_keys().collect();
    expected.sort();
    assert!(expected.len() > 2_000);
    for api in [ApiType::Rest, ApiType::BulkV2, ApiType::Soap] {
        org.clear_requests();
        let session = Session::connect(&with_filter(&org, api, "62.0", &filter))
            .await
            .unwrap();
        let got = extracted_ids(&session)
            .await
            .unwrap_or_else(|e| panic!("{api}: {e}"));
        assert_eq!(got, expected, "{api}");
        let calls = query_calls(&org);
        assert!(calls.iter().all(|c| c.2 < 400), "{api}: {calls:?}");
        if api == ApiType::Rest {
            assert!(
                calls
                    .iter()
                    .any(|c| c.0 == "POST" && c.1 == "/services/data/v62.0/composite"),
                "{calls:?}"
            );
            // The second page came by its (short) nextRecordsUrl.
            assert!(
                org.requests()
                    .iter()
                    .any(|r| r.method == "GET" && r.path.starts_with("/services/data/v62.0/query/")),
                "no nextRecordsUrl call"
            );
        }
    }
}

#[tokio::test]
async fn without_composite_a_too_long_uri_fails_with_the_fixes_before_sending() {
    let org = org(400, 10_000).await;
    let (filter, _) = id_filter(&org, 600);
    let session = Session::connect(&with_filter(&org, ApiType::Rest, "41.0", &filter))
        .await
        .unwrap();
    org.clear_requests();
    let e = extracted_ids(&session).await.unwrap_err().to_string();
    for part in [
        "object `Contact`",
        "REST query URI would be",
        "at most 16,384 bytes",
        "api_version to 42.0 or later",
        "api_type: bulkv2 or soap",
        "objects.Contact.fields",
        "objects.Contact.filter",
    ] {
        assert!(e.contains(part), "`{part}` missing: {e}");
    }
    assert_eq!(query_calls(&org), [], "nothing was sent");

    // A short filter at the same version is an ordinary GET.
    let (short, ids) = id_filter(&org, 5);
    let session = Session::connect(&with_filter(&org, ApiType::Rest, "41.0", &short))
        .await
        .unwrap();
    assert_eq!(extracted_ids(&session).await.unwrap(), ids);
}

#[tokio::test]
async fn a_statement_over_100000_characters_is_refused_before_any_job_or_query() {
    let org = org(2_500, 10_000).await;
    // 4,700 Ids of 18 characters, quoted and comma-separated: ~103,000 characters.
    let (filter, _) = id_filter(&org, 4_700);
    assert!(filter.len() > 100_000);
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&with_filter(&org, api, "62.0", &filter))
            .await
            .unwrap();
        org.clear_requests();
        let e = extracted_ids(&session).await.unwrap_err().to_string();
        for part in [
            "object `Contact`",
            "characters long",
            "at most 100,000 characters",
            "objects.Contact.fields",
            "objects.Contact.filter",
        ] {
            assert!(e.contains(part), "{api}: `{part}` missing: {e}");
        }
        assert_eq!(query_calls(&org), [], "{api}: nothing was sent");
    }
}

#[tokio::test]
async fn a_plan_with_a_long_filter_still_returns_the_org_rows() {
    // The common helpers' extraction path (plan + collect) with the composite route.
    let org = org(200, 10_000).await;
    let session = Session::connect(&with_filter(
        &org,
        ApiType::Rest,
        "62.0",
        &long_true_filter(),
    ))
    .await
    .unwrap();
    org.clear_requests();
    let query = session.query_for("Contact").await.unwrap();
    let plan = session.plan(&query).await.unwrap();
    let batch = concat(&collect(&plan).await, &plan);
    crate::common::assert_matches_org(&batch, &org_rows(&org, "Contact"));
    assert!(
        org.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/composite"))
    );
}

#[tokio::test]
async fn deleted_rows_come_through_composite_query_all() {
    let org = org(200, 10_000).await;
    let session = Session::connect(&with_filter(
        &org,
        ApiType::Rest,
        "62.0",
        &long_true_filter(),
    ))
    .await
    .unwrap();
    org.clear_requests();
    let query = session
        .query_for("Contact")
        .await
        .unwrap()
        .columns(["Id"])
        .include_deleted(true);
    let plan = session.plan(&query).await.unwrap();
    let batch = concat(&collect(&plan).await, &plan);
    let all = org.records("Contact").unwrap();
    assert!(
        all.iter()
            .any(|r| r.get("IsDeleted") == Some(&sfdf_emulator::Value::Bool(true)))
    );
    assert_eq!(batch.num_rows(), all.len(), "live and deleted rows");
    // Every query of the scan (the SystemModstamp span, each window) went through composite.
    let calls = query_calls(&org);
    assert!(!calls.is_empty());
    assert!(
        calls
            .iter()
            .all(|c| c.0 == "POST" && c.1 == "/services/data/v62.0/composite"),
        "{calls:?}"
    );
    assert!(org.requests().iter().any(|r| {
        r.soql
            .as_deref()
            .is_some_and(|q| q.starts_with("SELECT Id FROM Contact WHERE LastName != 'zzz"))
    }));
}
