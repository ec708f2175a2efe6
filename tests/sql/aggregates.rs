//! Aggregates the org answers: `COUNT(*)` sent as `SELECT COUNT()`, compared with the same
//! SQL run with the pushdown off.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use secrecy::SecretString;
use sfdf_connector::provider::ContextBuilder;
use sfdf_connector::{ApiType, Connection};
use sfdf_emulator::{Api, EmulatedOrg, Failure};

use crate::support::{live, org, query, text_of, texts};

async fn context_for(org: &EmulatedOrg, api: ApiType) -> SessionContext {
    ContextBuilder::new()
        .target_partitions(Some(2))
        .connection(
            Connection::builder()
                .developer_name("demo")
                .domain_url(org.base_url())
                .client_credentials(
                    org.client_id(),
                    SecretString::from(org.client_secret().to_owned()),
                )
                .api_type(api)
                .build()
                .expect("valid connection"),
        )
        .build()
        .await
        .expect("session over the emulated org")
}

/// Every SOQL the org received since the last call, with the API that carried it.
fn sent(org: &EmulatedOrg) -> Vec<(Api, String)> {
    let soql = org
        .requests()
        .into_iter()
        .filter_map(|r| Some((r.api, r.soql?)))
        .collect();
    org.clear_requests();
    soql
}

/// Waits (at most 10 s) until the org has seen a Bulk query job deleted.
async fn job_deleted(org: &EmulatedOrg) {
    for _ in 0..200 {
        let deleted = org
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.contains("/jobs/query/"));
        if deleted {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the reference scan's Bulk job was never deleted");
}

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
        let carrier = if api == ApiType::Soap {
            Api::Soap
        } else {
            Api::Rest
        };
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
        // Not a count of rows.
        (
            "SELECT count(Industry) FROM Account",
            "SELECT Industry FROM Account",
        ),
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
            text.contains(&format!("SoqlCountExec: {shown}, api_calls>=1, soql=SELECT COUNT() FROM Account WHERE NumberOfEmployees > 1000 AND AnnualRevenue != NULL")),
            "{text}"
        );
        assert!(sent(&org).is_empty(), "EXPLAIN sends no query");
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
            job_deleted(&org).await;
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
