//! Aggregates the org answers: `COUNT(*)` sent as `SELECT COUNT()`, other aggregates and
//! `GROUP BY` as SOQL aggregate queries, each compared with the same SQL run with the
//! pushdown off; and the scans that replace them when the org refuses.

use datafusion::arrow::util::pretty::pretty_format_batches;
use sfdf_connector::ApiType;
use sfdf_emulator::{Api, Failure, Value};

use crate::support::{
    bulk_job_deleted, context_for, live, org, query, sent, small_query_api, text_of, texts,
};

fn count_of(ctx_rows: &[datafusion::arrow::array::RecordBatch]) -> String {
    let column = ctx_rows[0].schema().field(0).name().clone();
    texts(ctx_rows, &column)[0].clone().expect("a count")
}

const COUNTED: &str =
    "SELECT count(*) FROM Account WHERE NumberOfEmployees > 1000 AND AnnualRevenue IS NOT NULL";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_star_over_exact_filters_is_one_soql_count_with_every_api() {
    let org = org(300).await;
    let expected = live(&org, "Account")
        .iter()
        .filter(|r| {
            let employees: i64 = text_of(r.get("NumberOfEmployees"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(-1);
            employees > 1000 && text_of(r.get("AnnualRevenue")).is_some()
        })
        .count();
    assert!(expected > 0, "the generated org has such accounts");
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let ctx = context_for(&org, api).await;
        org.clear_requests();
        let pushed = query(&ctx, COUNTED).await;
        assert_eq!(pushed[0].schema().field(0).name(), "count(*)");
        assert_eq!(
            pushed[0].schema().field(0).data_type(),
            &datafusion::arrow::datatypes::DataType::Int64
        );
        assert_eq!(count_of(&pushed), expected.to_string(), "{api}");
        // Bulk API 2.0 runs no aggregates: a bulkv2 connection counts through REST.
        let carrier = small_query_api(api);
        assert_eq!(
            sent(&org),
            [(
                carrier,
                "SELECT COUNT() FROM Account WHERE NumberOfEmployees > 1000 AND AnnualRevenue != NULL"
                    .to_string()
            )],
            "{api}"
        );

        query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
        let scanned = query(&ctx, COUNTED).await;
        assert_eq!(count_of(&scanned), count_of(&pushed), "{api}");
        assert_eq!(scanned[0].schema(), pushed[0].schema(), "{api}");
        assert!(
            sent(&org).iter().any(|(_, soql)| soql
                == "SELECT Id FROM Account WHERE NumberOfEmployees > 1000 AND AnnualRevenue != NULL"),
            "{api}: without the pushdown the rows are scanned"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_the_org_cannot_answer_exactly_are_not_pushed() {
    let org = org(200).await;
    let ctx = context_for(&org, ApiType::Rest).await;
    for (sql, scanned) in [
        // Text comparisons ignore case in SOQL: DataFusion filters again, so it counts.
        (
            "SELECT count(*) FROM Account WHERE Industry = 'energy'",
            "SELECT Industry FROM Account WHERE Industry = 'energy'",
        ),
        // A LIMIT below the count.
        (
            "SELECT count(*) FROM (SELECT Id FROM Account LIMIT 7)",
            "SELECT Id FROM Account LIMIT 7",
        ),
        // Not an aggregate SOQL answers as SQL does: text sorts by the org's collation.
        ("SELECT min(Name) FROM Account", "SELECT Name FROM Account"),
    ] {
        org.clear_requests();
        let rows = query(&ctx, sql).await;
        assert!(!count_of(&rows).is_empty());
        let soql = sent(&org);
        assert!(
            soql.iter().all(|(_, s)| !s.contains("COUNT()")),
            "{sql}: {soql:?}"
        );
        assert!(soql.iter().any(|(_, s)| s == scanned), "{sql}: {soql:?}");
    }
    let lower = query(
        &ctx,
        "SELECT count(*) FROM Account WHERE Industry = 'energy'",
    )
    .await;
    assert_eq!(count_of(&lower), "0", "SQL's = is case-sensitive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_the_count_query_and_sends_nothing() {
    let org = org(100).await;
    for (api, shown) in [
        (ApiType::BulkV2, "api=rest"),
        (ApiType::Rest, "api=rest"),
        (ApiType::Soap, "api=soap"),
    ] {
        let ctx = context_for(&org, api).await;
        org.clear_requests();
        let plan = query(&ctx, &format!("EXPLAIN {COUNTED}")).await;
        let text = pretty_format_batches(&plan).unwrap().to_string();
        assert!(
            text.contains(&format!("SoqlAggregateExec: {shown}, api_calls>=1, soql=SELECT COUNT() FROM Account WHERE NumberOfEmployees > 1000 AND AnnualRevenue != NULL")),
            "{text}"
        );
        assert!(sent(&org).is_empty(), "EXPLAIN sends no query");
        // EXPLAIN ANALYZE runs it and counts the rows the aggregate plan sent (one).
        let analyzed = query(&ctx, &format!("EXPLAIN ANALYZE {COUNTED}")).await;
        let text = pretty_format_batches(&analyzed).unwrap().to_string();
        let line = text
            .lines()
            .find(|l| l.contains("SoqlAggregateExec"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains("output_rows=1"), "{api}: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_the_org_times_out_is_counted_by_scanning() {
    let org = org(300).await;
    for api in [ApiType::Rest, ApiType::Soap, ApiType::BulkV2] {
        let ctx = context_for(&org, api).await;
        query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
        let scanned = count_of(&query(&ctx, COUNTED).await);
        query(&ctx, "SET sfdf.pushdown.aggregates = true").await;
        if api == ApiType::BulkV2 {
            // The reference scan's Bulk job is deleted by a task of its own once its stream
            // ends. Wait for that DELETE, or the fault below may meet it instead of the count.
            bulk_job_deleted(&org).await;
        }
        org.clear_requests();
        org.faults().fail_next(1, Failure::QueryTimeout);
        let rows = query(&ctx, COUNTED).await;
        assert_eq!(count_of(&rows), scanned, "{api}");
        assert!(
            org.requests().iter().any(|r| r.status == 400),
            "{api}: the count was refused"
        );
        let soql = sent(&org);
        assert!(
            soql.iter()
                .any(|(_, s)| s.starts_with("SELECT Id FROM Account WHERE")),
            "{api}: {soql:?}"
        );
    }
}

/// Each shape with the SOQL the org must receive for it. Grouped results are ordered in SQL
/// so the pushed and scanned answers compare row by row.
const SHAPES: &[(&str, &str)] = &[
    (
        "SELECT min(Amount), max(Amount), sum(Amount), avg(Amount), count(Amount), count(*) \
         FROM Opportunity WHERE Probability > 10",
        "SELECT MIN(Amount), MAX(Amount), SUM(Amount), COUNT(Amount), COUNT(Id) \
         FROM Opportunity WHERE Probability > 10",
    ),
    (
        "SELECT IsWon, count(*), sum(Amount), avg(Probability), max(CloseDate), min(CreatedDate) \
         FROM Opportunity GROUP BY IsWon ORDER BY IsWon",
        "SELECT IsWon, COUNT(Id), SUM(Amount), SUM(Probability), COUNT(Probability), \
         MAX(CloseDate), MIN(CreatedDate) FROM Opportunity GROUP BY IsWon",
    ),
    (
        "SELECT IsClosed, IsWon, count(StageName), count(*) FROM Opportunity \
         WHERE CloseDate >= DATE '2024-01-01' GROUP BY IsClosed, IsWon ORDER BY 1, 2",
        "SELECT IsClosed, IsWon, COUNT(StageName), COUNT(Id) FROM Opportunity \
         WHERE CloseDate >= 2024-01-01 GROUP BY IsClosed, IsWon",
    ),
    (
        "SELECT sum(NumberOfEmployees), avg(NumberOfEmployees), min(NumberOfEmployees), \
         max(AnnualRevenue) FROM Account WHERE AnnualRevenue >= 1000000",
        "SELECT SUM(NumberOfEmployees), COUNT(NumberOfEmployees), MIN(NumberOfEmployees), \
         MAX(AnnualRevenue) FROM Account WHERE AnnualRevenue >= 1000000",
    ),
    (
        "SELECT count(DISTINCT NumberOfEmployees) FROM Account WHERE NumberOfEmployees < 100000",
        "SELECT COUNT_DISTINCT(NumberOfEmployees) FROM Account WHERE NumberOfEmployees < 100000",
    ),
    (
        "SELECT IsWon, count(DISTINCT CloseDate) FROM Opportunity GROUP BY IsWon ORDER BY IsWon",
        "SELECT IsWon, COUNT_DISTINCT(CloseDate) FROM Opportunity GROUP BY IsWon",
    ),
    (
        "SELECT CloseDate, count(*), avg(Amount) FROM Opportunity WHERE Amount > 1500000 \
         GROUP BY CloseDate ORDER BY CloseDate",
        "SELECT CloseDate, COUNT(Id), SUM(Amount), COUNT(Amount) FROM Opportunity \
         WHERE Amount > 1500000.00 GROUP BY CloseDate",
    ),
];

/// The batches as printed.
fn printed(batches: &[datafusion::arrow::array::RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_and_groups_are_one_soql_aggregate_query_with_every_api() {
    let org = org(300).await;
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let ctx = context_for(&org, api).await;
        let carrier = small_query_api(api);
        for (sql, soql) in SHAPES {
            query(&ctx, "SET sfdf.pushdown.aggregates = true").await;
            org.clear_requests();
            let pushed = query(&ctx, sql).await;
            let soql = soql.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(sent(&org), [(carrier, soql.clone())], "{api}: {sql}");

            query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
            let scanned = query(&ctx, sql).await;
            let without = sent(&org);
            assert!(
                without.iter().all(|(_, s)| *s != soql)
                    && without.iter().any(|(_, s)| !s.contains('(')),
                "{api}: without the pushdown the rows are scanned: {without:?}"
            );
            assert_eq!(pushed[0].schema(), scanned[0].schema(), "{api}: {sql}");
            assert_eq!(printed(&pushed), printed(&scanned), "{api}: {sql}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_soql_could_answer_differently_are_aggregated_by_datafusion() {
    let org = org(200).await;
    let ctx = context_for(&org, ApiType::BulkV2).await;
    for (sql, scanned) in [
        // SOQL groups and compares text ignoring case: 'Energy' and 'ENERGY' would merge.
        (
            "SELECT Industry, count(*) FROM Account GROUP BY Industry",
            "SELECT Industry FROM Account",
        ),
        (
            "SELECT count(DISTINCT Name) FROM Account",
            "SELECT Name FROM Account",
        ),
        // The org sums a double field's exact decimals, DataFusion floating point numbers.
        (
            "SELECT sum(TotalOpportunityQuantity) FROM Opportunity",
            "SELECT TotalOpportunityQuantity FROM Opportunity",
        ),
        // Datetimes and currency are not groupable (describe).
        (
            "SELECT CreatedDate, count(*) FROM Opportunity GROUP BY CreatedDate",
            "SELECT CreatedDate FROM Opportunity",
        ),
        // Checkboxes are not aggregatable (describe).
        (
            "SELECT count(IsWon) FROM Opportunity",
            "SELECT IsWon FROM Opportunity",
        ),
        // An inexact filter: DataFusion filters the rows again, so it aggregates them.
        (
            "SELECT max(AnnualRevenue) FROM Account WHERE Industry = 'Energy'",
            "SELECT Industry, AnnualRevenue FROM Account WHERE Industry = 'Energy'",
        ),
    ] {
        org.clear_requests();
        let rows = query(&ctx, sql).await;
        assert!(crate::support::row_count(&rows) > 0, "{sql}");
        let soql = sent(&org);
        assert_eq!(
            soql.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
            [scanned],
            "{sql}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_the_grouped_query_and_sends_nothing() {
    let org = org(100).await;
    let ctx = context_for(&org, ApiType::BulkV2).await;
    org.clear_requests();
    let plan = query(
        &ctx,
        "EXPLAIN SELECT IsWon, sum(Amount) FROM Opportunity WHERE Probability > 10 GROUP BY IsWon",
    )
    .await;
    let text = pretty_format_batches(&plan).unwrap().to_string();
    assert!(
        text.contains(
            "SoqlAggregateExec: api=rest, api_calls>=1, soql=SELECT IsWon, SUM(Amount) \
             FROM Opportunity WHERE Probability > 10 GROUP BY IsWon"
        ),
        "{text}"
    );
    assert!(sent(&org).is_empty(), "EXPLAIN sends no query");
    query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
    let plan = query(
        &ctx,
        "EXPLAIN SELECT IsWon, sum(Amount) FROM Opportunity GROUP BY IsWon",
    )
    .await;
    let text = pretty_format_batches(&plan).unwrap().to_string();
    assert!(!text.contains("SoqlAggregateExec"), "{text}");
    assert!(text.contains("AggregateExec"), "{text}");
}

const GROUPED: &str = "SELECT IsWon, count(*), sum(Amount), avg(Amount) FROM Opportunity \
                       WHERE Probability > 10 GROUP BY IsWon ORDER BY IsWon";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grouped_aggregate_the_org_times_out_is_aggregated_by_scanning() {
    let org = org(300).await;
    for api in [ApiType::Rest, ApiType::Soap, ApiType::BulkV2] {
        let ctx = context_for(&org, api).await;
        query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
        let scanned = query(&ctx, GROUPED).await;
        query(&ctx, "SET sfdf.pushdown.aggregates = true").await;
        if api == ApiType::BulkV2 {
            bulk_job_deleted(&org).await;
        }
        org.clear_requests();
        org.faults().fail_next(1, Failure::QueryTimeout);
        let rows = query(&ctx, GROUPED).await;
        assert_eq!(printed(&rows), printed(&scanned), "{api}");
        assert_eq!(rows[0].schema(), scanned[0].schema(), "{api}");
        assert!(
            org.requests().iter().any(|r| r.status == 400),
            "{api}: the aggregate query was refused"
        );
        let soql = sent(&org);
        assert!(
            soql.iter()
                .any(|(_, s)| s.starts_with("SELECT Amount, IsWon FROM Opportunity WHERE")),
            "{api}: {soql:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_groups_than_one_answer_holds_are_aggregated_by_scanning() {
    // ~2,500 distinct employee counts: more groups than a GROUP BY answer may hold (2,000).
    let org = org(3000).await;
    let sql = "SELECT NumberOfEmployees, count(*) FROM Account \
               GROUP BY NumberOfEmployees ORDER BY NumberOfEmployees";
    for api in [ApiType::Rest, ApiType::Soap] {
        let ctx = context_for(&org, api).await;
        query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
        let scanned = query(&ctx, sql).await;
        assert!(crate::support::row_count(&scanned) > 2000);
        query(&ctx, "SET sfdf.pushdown.aggregates = true").await;
        org.clear_requests();
        let rows = query(&ctx, sql).await;
        assert_eq!(printed(&rows), printed(&scanned), "{api}");
        let refused = org
            .requests()
            .into_iter()
            .filter(|r| r.status >= 400)
            .filter_map(|r| r.soql)
            .collect::<Vec<_>>();
        assert_eq!(
            refused,
            ["SELECT NumberOfEmployees, COUNT(Id) FROM Account GROUP BY NumberOfEmployees"],
            "{api}: the org refused the grouped query"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_a_restricted_picklist_is_pushed_with_every_api() {
    // Invoice__c.Status__c is a restricted picklist (`restrictedPicklist: true` in describe):
    // its values cannot differ by case only, so SOQL's groups are SQL's.
    let org = org(300).await;
    let sql = "SELECT Status__c, count(*), max(Issue_Date__c) FROM Invoice__c \
               GROUP BY Status__c ORDER BY Status__c";
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let ctx = context_for(&org, api).await;
        org.clear_requests();
        let pushed = query(&ctx, sql).await;
        let carrier = small_query_api(api);
        assert_eq!(
            sent(&org),
            [(
                carrier,
                "SELECT Status__c, COUNT(Id), MAX(Issue_Date__c) FROM Invoice__c \
                 GROUP BY Status__c"
                    .to_string()
            )],
            "{api}"
        );
        query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
        let scanned = query(&ctx, sql).await;
        assert!(
            crate::support::row_count(&scanned) > 1,
            "{api}: several statuses"
        );
        assert_eq!(printed(&pushed), printed(&scanned), "{api}");
        assert_eq!(pushed[0].schema(), scanned[0].schema(), "{api}");
        let soql = sent(&org);
        assert!(
            soql.iter().all(|(_, s)| !s.contains("GROUP BY")),
            "{api}: without the pushdown the rows are scanned: {soql:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_an_unrestricted_picklist_is_answered_by_datafusion() {
    // Account.Industry is unrestricted: through the API it takes any value, 'ENERGY' beside
    // 'Energy', which SOQL would put in one group and SQL keeps apart.
    let org = org(100).await;
    for industry in ["Energy", "ENERGY"] {
        org.create(
            "Account",
            &[
                ("Name", Value::Text(format!("{industry} Corp"))),
                ("Industry", Value::Text(industry.into())),
            ],
        )
        .expect("account created");
    }
    let ctx = context_for(&org, ApiType::Rest).await;
    org.clear_requests();
    // The issue's own example.
    let rows = query(
        &ctx,
        "SELECT Industry, COUNT(*) FROM Account GROUP BY Industry",
    )
    .await;
    let soql = sent(&org);
    assert!(
        soql.contains(&(Api::Rest, "SELECT Industry FROM Account".to_string())),
        "{soql:?}"
    );
    assert!(
        soql.iter().all(|(_, s)| !s.contains("GROUP BY")),
        "{soql:?}"
    );
    let industries = texts(&rows, "Industry");
    for industry in ["Energy", "ENERGY"] {
        assert!(
            industries.contains(&Some(industry.to_string())),
            "{industry}: {industries:?}"
        );
    }
}
