//! What reaches the org: the SOQL each SQL query sends, as the org logged it.

use datafusion::arrow::util::pretty::pretty_format_batches;
use futures::StreamExt;
use sfdf_connector::provider::sql;
use sfdf_emulator::{Api, EmulatedOrg};

use crate::support::{bulk_soql, context, eventually, live, org, query, row_count, text_of, texts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_exact_filters_and_limit_become_soql() {
    let org = org(300).await;
    let ctx = context(&org).await;
    let rows = query(&ctx, "SELECT id FROM account WHERE numberofemployees > 1000 AND CreatedDate >= TIMESTAMP '2000-01-01T00:00:00Z' LIMIT 7").await;
    assert_eq!(row_count(&rows), 7);
    assert_eq!(
        bulk_soql(&org),
        [
            "SELECT Id FROM Account WHERE NumberOfEmployees > 1000 AND CreatedDate >= 2000-01-01T00:00:00Z LIMIT 7"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_filters_are_pushed_but_checked_again_because_soql_ignores_case() {
    let org = org(300).await;
    let ctx = context(&org).await;

    // SOQL's `=` ignores case, so the org returns the Energy accounts for 'energy' too;
    // DataFusion filters again and, as SQL says, keeps none of them.
    let lower = query(
        &ctx,
        "SELECT Id FROM Account WHERE Industry = 'energy' LIMIT 5",
    )
    .await;
    assert_eq!(row_count(&lower), 0);
    let exact = query(
        &ctx,
        "SELECT Id FROM Account WHERE Industry = 'Energy' LIMIT 500",
    )
    .await;
    let expected = live(&org, "Account")
        .iter()
        .filter(|r| text_of(r.get("Industry")).as_deref() == Some("Energy"))
        .count();
    assert!(expected > 0, "the generated org has Energy accounts");
    assert_eq!(row_count(&exact), expected);
    // Inexact filters keep the LIMIT out of SOQL: the org could return too few rows.
    assert_eq!(
        bulk_soql(&org),
        [
            "SELECT Id, Industry FROM Account WHERE Industry = 'energy'",
            "SELECT Id, Industry FROM Account WHERE Industry = 'Energy'",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_soql_cannot_express_is_filtered_in_datafusion() {
    let org = org(200).await;
    let ctx = context(&org).await;
    let rows = query(&ctx, "SELECT Name FROM Account WHERE Name < 'M' AND upper(Industry) = 'ENERGY' AND NumberOfEmployees + 1 > 10").await;
    let expected = live(&org, "Account")
        .iter()
        .filter(|r| {
            let name = text_of(r.get("Name")).unwrap_or_default();
            let industry = text_of(r.get("Industry")).unwrap_or_default();
            let employees: i64 = text_of(r.get("NumberOfEmployees"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(-1);
            name.as_str() < "M" && industry.to_uppercase() == "ENERGY" && employees + 1 > 10
        })
        .count();
    assert_eq!(row_count(&rows), expected);
    assert_eq!(
        bulk_soql(&org),
        ["SELECT Name, Industry, NumberOfEmployees FROM Account"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_in_sql_strings_cannot_change_the_soql() {
    let org = org(100).await;
    let ctx = context(&org).await;
    let rows = query(
        &ctx,
        "SELECT Id FROM Account WHERE Name = 'x'' OR Name != '''",
    )
    .await;
    assert_eq!(row_count(&rows), 0, "no account is named x' OR Name != '");
    let rows = query(
        &ctx,
        r"SELECT Id FROM Account WHERE Name LIKE '%'') OR (Name LIKE ''%' OR Name IN ('\', 'a')",
    )
    .await;
    assert_eq!(row_count(&rows), 0);
    // Names cannot carry SOQL either: only objects and fields the org described exist.
    for text in [
        "SELECT Id FROM \"Account WHERE Name != null\"",
        "SELECT \"Id FROM Account WHERE Name != null\" FROM Account",
    ] {
        assert!(sql(&ctx, text).await.is_err(), "{text}");
    }
    assert_eq!(
        bulk_soql(&org),
        [
            r"SELECT Id, Name FROM Account WHERE Name = 'x\' OR Name != \''",
            r"SELECT Id, Name FROM Account WHERE Name LIKE '%\') OR (Name LIKE \'%' OR Name = '\\' OR Name = 'a'",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_the_soql_api_and_calls_without_running_a_job() {
    let org = org(100).await;
    let ctx = context(&org).await;
    let plan = query(
        &ctx,
        "EXPLAIN SELECT name FROM account WHERE numberofemployees > 10",
    )
    .await;
    let text = pretty_format_batches(&plan).expect("printable").to_string();
    assert!(
        text.contains("SoqlScanExec: api=bulkv2, partitions=2, api_calls>="),
        "{text}"
    );
    assert!(
        text.contains("soql=SELECT Name FROM Account WHERE NumberOfEmployees > 10"),
        "{text}"
    );
    assert!(bulk_soql(&org).is_empty(), "EXPLAIN created a Bulk job");

    // EXPLAIN ANALYZE runs the scan and counts what it read.
    let analyzed = query(&ctx, "EXPLAIN ANALYZE SELECT Id FROM account").await;
    let text = pretty_format_batches(&analyzed)
        .expect("printable")
        .to_string();
    let accounts = live(&org, "Account").len();
    assert!(text.contains(&format!("output_rows={accounts}")), "{text}");
}

fn job_requests(org: &EmulatedOrg, method: &str) -> usize {
    org.requests()
        .iter()
        .filter(|r| r.api == Api::Bulk && r.method == method && r.path.contains("/jobs/query/"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_running_query_aborts_its_bulk_job() {
    // The job stays InProgress for many polls: the query is still waiting when dropped.
    let org = EmulatedOrg::builder()
        .rows(100)
        .seed(3)
        .bulk_polls_in_progress(10_000)
        .start()
        .await
        .expect("org");
    let ctx = context(&org).await;
    let frame = sql(&ctx, "SELECT Id, Name FROM Account")
        .await
        .expect("plans");
    let mut stream = frame.execute_stream().await.expect("starts");
    let waiting = tokio::spawn(async move {
        let _ = stream.next().await;
    });
    eventually("the Bulk job is created", || !bulk_soql(&org).is_empty()).await;
    waiting.abort();
    eventually("the job is aborted", || job_requests(&org, "PATCH") >= 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_stream_in_parallel_partitions_with_the_org_spelling() {
    let org = EmulatedOrg::builder()
        .rows(400)
        .seed(5)
        .page_rows(50)
        .start()
        .await
        .expect("org");
    let ctx = context(&org).await;
    let rows = query(&ctx, "SELECT id, NAME FROM ACCOUNT").await;
    assert_eq!(rows[0].schema().field(0).name(), "Id");
    assert_eq!(rows[0].schema().field(1).name(), "Name");
    let mut ids: Vec<_> = texts(&rows, "Id").into_iter().flatten().collect();
    ids.sort();
    let mut expected: Vec<_> = live(&org, "Account")
        .iter()
        .map(|r| r.id().to_owned())
        .collect();
    expected.sort();
    assert_eq!(
        ids, expected,
        "every row once, none lost or doubled across pages"
    );
    // 400 rows in pages of 50: several result pages were fetched.
    let pages = org
        .requests()
        .iter()
        .filter(|r| r.api == Api::Bulk && r.path.ends_with("/results"))
        .count();
    assert!(pages >= 2, "fetched {pages} result page(s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_too_long_for_soql_is_applied_by_datafusion() {
    let org = org(300).await;
    let ctx = context(&org).await;
    // 20,000 values: well over Salesforce's 100,000 characters per SOQL statement.
    let employees: Vec<i64> = live(&org, "Account")
        .iter()
        .filter_map(|r| text_of(r.get("NumberOfEmployees"))?.parse().ok())
        .collect();
    let picked: Vec<i64> = employees.iter().copied().step_by(3).collect();
    let list: Vec<String> = picked
        .iter()
        .map(i64::to_string)
        .chain((0..20_000).map(|i| (10_000_000 + i).to_string()))
        .collect();
    let expected = employees.iter().filter(|n| picked.contains(n)).count();
    assert!(expected > 0);
    for text in [
        format!(
            "SELECT count(*) AS n FROM Account WHERE NumberOfEmployees IN ({}) AND Industry IS NOT NULL OR NumberOfEmployees IN ({})",
            list.join(", "),
            list.join(", ")
        ),
        format!(
            "SELECT count(*) AS n FROM Account WHERE NumberOfEmployees IN ({})",
            list.join(", ")
        ),
    ] {
        let rows = query(&ctx, &text).await;
        assert_eq!(texts(&rows, "n"), [Some(expected.to_string())]);
    }
    // A short filter next to the long one is still pushed.
    org.clear_requests();
    let text = format!(
        "SELECT count(*) AS n FROM Account WHERE NumberOfEmployees IN ({}) AND NumberOfEmployees > 0",
        list.join(", ")
    );
    let rows = query(&ctx, &text).await;
    let positive = employees
        .iter()
        .filter(|n| picked.contains(n) && **n > 0)
        .count();
    assert_eq!(texts(&rows, "n"), [Some(positive.to_string())]);
    assert_eq!(
        bulk_soql(&org),
        ["SELECT NumberOfEmployees FROM Account WHERE NumberOfEmployees > 0"]
    );
}
