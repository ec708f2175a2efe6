//! A REST scan with several partitions reads SystemModstamp windows in parallel.

use std::collections::HashSet;

use datafusion::arrow::util::pretty::pretty_format_batches;
use secrecy::SecretString;
use sfdf_connector::{ApiType, Connection};
use sfdf_emulator::{Api, EmulatedOrg};

use crate::support::{bulk_soql, connection, live, org, query, session_over, texts};

async fn rest_context(org: &EmulatedOrg, partitions: usize) -> datafusion::prelude::SessionContext {
    let connection = Connection::builder()
        .developer_name("demo")
        .domain_url(org.base_url())
        .client_credentials(
            org.client_id(),
            SecretString::from(org.client_secret().to_owned()),
        )
        .api_type(ApiType::Rest)
        .build()
        .expect("valid connection");
    let ctx = session_over(connection, partitions).await;
    // The test org is small: windows however few rows they hold.
    query(&ctx, "SET sfdf.window_min_rows = 1").await;
    ctx
}

fn rest_soql(org: &EmulatedOrg) -> Vec<String> {
    org.requests()
        .into_iter()
        .filter(|r| r.api == Api::Rest)
        .filter_map(|r| r.soql)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_scan_over_four_partitions_returns_every_record_once() {
    let org = org(600).await;
    let ctx = rest_context(&org, 4).await;
    org.clear_requests();

    let plan = query(&ctx, "EXPLAIN SELECT Id, Name FROM Account").await;
    let text = pretty_format_batches(&plan).unwrap().to_string();
    assert!(
        text.contains("api=rest, partitions=4, windows=4 on SystemModstamp, api_calls>=6"),
        "{text}"
    );
    assert!(rest_soql(&org).is_empty(), "EXPLAIN sends nothing");

    let rows = query(&ctx, "SELECT Id, Name FROM Account").await;
    let ids: Vec<String> = texts(&rows, "Id").into_iter().flatten().collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "no row twice");
    let expected: HashSet<String> = live(&org, "Account")
        .iter()
        .map(|r| r.id().to_owned())
        .collect();
    assert_eq!(unique, expected.iter().collect());

    let sent = rest_soql(&org);
    assert_eq!(
        sent.iter()
            .filter(|s| s.contains("MIN(SystemModstamp)"))
            .count(),
        1,
        "{sent:#?}"
    );
    assert_eq!(
        sent.iter()
            .filter(|s| s.starts_with("SELECT Id, Name FROM Account WHERE SystemModstamp"))
            .count(),
        5,
        "four windows and the rows changed meanwhile: {sent:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_scan_with_a_limit_reads_one_cursor() {
    let org = org(100).await;
    let ctx = rest_context(&org, 4).await;
    let plan = query(&ctx, "EXPLAIN SELECT Id FROM Account LIMIT 5").await;
    let text = pretty_format_batches(&plan).unwrap().to_string();
    assert!(
        text.contains("api=rest, partitions=1, api_calls>=1"),
        "{text}"
    );
    org.clear_requests();
    let rows = query(&ctx, "SELECT Id FROM Account LIMIT 5").await;
    assert_eq!(texts(&rows, "Id").len(), 5);
    assert_eq!(rest_soql(&org), ["SELECT Id FROM Account LIMIT 5"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_sfdf_bulk_windows_runs_one_bulk_job_per_partition() {
    let org = org(300).await;
    let ctx = session_over(connection(&org), 3).await;
    let explain = |ctx: datafusion::prelude::SessionContext| async move {
        let plan = query(&ctx, "EXPLAIN SELECT Id FROM Account").await;
        pretty_format_batches(&plan).unwrap().to_string()
    };
    let before = explain(ctx.clone()).await;
    assert!(
        before.contains("api=bulkv2, partitions=3, api_calls>=5"),
        "{before}"
    );
    query(&ctx, "SET sfdf.bulk_windows = true").await;
    query(&ctx, "SET sfdf.window_min_rows = 1").await;
    let after = explain(ctx.clone()).await;
    assert!(
        after.contains("api=bulkv2, partitions=3, windows=3 on SystemModstamp, api_calls>=14"),
        "{after}"
    );
    assert!(bulk_soql(&org).is_empty(), "EXPLAIN runs no job");

    let rows = query(&ctx, "SELECT Id FROM Account").await;
    let ids: Vec<String> = texts(&rows, "Id").into_iter().flatten().collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "no row twice");
    let expected: HashSet<String> = live(&org, "Account")
        .iter()
        .map(|r| r.id().to_owned())
        .collect();
    assert_eq!(unique, expected.iter().collect());
    let jobs = bulk_soql(&org);
    assert_eq!(jobs.len(), 3, "{jobs:#?}");
    assert!(
        jobs.iter().all(|s| s.contains("SystemModstamp")),
        "{jobs:#?}"
    );
}
