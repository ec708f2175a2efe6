//! Top-N sent to the org: `ORDER BY .. LIMIT n [OFFSET m]` in the scan's SOQL, compared with
//! the same SQL run with the pushdown off, order included.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sfdf_connector::ApiType;
use sfdf_emulator::{Api, Failure, Value};

use crate::support::{bulk_job_deleted, context_for, org, query, sent, small_query_api, texts};

/// The rows as text, one vector per row, columns in order.
fn rows(batches: &[RecordBatch]) -> Vec<Vec<Option<String>>> {
    let Some(first) = batches.first() else {
        return Vec::new();
    };
    let columns: Vec<Vec<Option<String>>> = first
        .schema()
        .fields()
        .iter()
        .map(|f| texts(batches, f.name()))
        .collect();
    let n = columns.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect()
}

/// Whether two answers to the same top-N agree, honest about ties: the first `keys`
/// columns are the sort keys. The sequence of key values must be equal (that is the
/// order). Rows equal on every key come in an order SQL leaves open, so within such a
/// group the rows are compared as a multiset; and a group cut by the `LIMIT` (the last) or
/// the `OFFSET` (the first, when `offset`) may hold any of the tied rows, so only its keys
/// are compared.
fn same_answer(
    a: &[Vec<Option<String>>],
    b: &[Vec<Option<String>>],
    keys: usize,
    offset: bool,
) -> bool {
    let key_seq = |rows: &[Vec<Option<String>>]| -> Vec<Vec<Option<String>>> {
        rows.iter().map(|r| r[..keys].to_vec()).collect()
    };
    if key_seq(a) != key_seq(b) {
        return false;
    }
    let groups = |rows: &[Vec<Option<String>>]| -> Vec<Vec<Vec<Option<String>>>> {
        let mut out: Vec<Vec<Vec<Option<String>>>> = Vec::new();
        for row in rows {
            match out.last_mut() {
                Some(group) if group[0][..keys] == row[..keys] => group.push(row.clone()),
                _ => out.push(vec![row.clone()]),
            }
        }
        for group in &mut out {
            group.sort();
        }
        out
    };
    let (ga, gb) = (groups(a), groups(b));
    let inner = ga.len().saturating_sub(1);
    ga.iter()
        .zip(&gb)
        .enumerate()
        .all(|(i, (x, y))| (i == 0 && offset) || i >= inner || x == y)
}

const TOP: &str = "SELECT NumberOfEmployees, Name, Id FROM Account WHERE NumberOfEmployees > 1000 \
                   ORDER BY NumberOfEmployees DESC NULLS LAST LIMIT 5";
const TOP_SOQL: &str = "SELECT Id, Name, NumberOfEmployees FROM Account WHERE NumberOfEmployees > 1000 \
                        ORDER BY NumberOfEmployees DESC NULLS LAST LIMIT 5";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_n_is_sorted_and_cut_by_the_org_with_every_api() {
    let org = org(300).await;
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let ctx = context_for(&org, api).await;
        org.clear_requests();
        let pushed = rows(&query(&ctx, TOP).await);
        assert_eq!(pushed.len(), 5, "{api}");
        // A small top-N of a bulkv2 connection reads through REST: one call, not a job.
        let carrier = small_query_api(api);
        assert_eq!(sent(&org), [(carrier, TOP_SOQL.to_string())], "{api}");

        query(&ctx, "SET sfdf.pushdown.topn = false").await;
        let scanned = rows(&query(&ctx, TOP).await);
        assert!(
            same_answer(&pushed, &scanned, 1, false),
            "{api}: {pushed:?} vs {scanned:?}"
        );
        assert!(
            sent(&org)
                .iter()
                .all(|(_, soql)| !soql.contains("ORDER BY")),
            "{api}: without the pushdown DataFusion sorts"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_goes_into_soql_only_where_the_org_accepts_it() {
    let org = org(300).await;
    let sql = |limit: u64, offset: u64| {
        format!(
            "SELECT CloseDate, Id FROM Opportunity WHERE IsClosed \
             ORDER BY CloseDate ASC NULLS FIRST LIMIT {limit} OFFSET {offset}"
        )
    };
    let soql = |tail: &str| {
        format!(
            "SELECT Id, CloseDate FROM Opportunity WHERE IsClosed = TRUE \
             ORDER BY CloseDate ASC NULLS FIRST {tail}"
        )
    };
    for (api, limit, offset, expected) in [
        // REST and SOAP take OFFSET; a small Bulk top-N reads through REST.
        (ApiType::Rest, 4, 3, (Api::Rest, soql("LIMIT 4 OFFSET 3"))),
        (ApiType::Soap, 4, 3, (Api::Soap, soql("LIMIT 4 OFFSET 3"))),
        (ApiType::BulkV2, 4, 3, (Api::Rest, soql("LIMIT 4 OFFSET 3"))),
        // The org refuses OFFSET over 2,000: DataFusion skips instead.
        (ApiType::Rest, 4, 2001, (Api::Rest, soql("LIMIT 2005"))),
        // Over 10,000 rows a Bulk job reads them, and Bulk API 2.0 refuses OFFSET.
        (ApiType::BulkV2, 10_000, 5, (Api::Bulk, soql("LIMIT 10005"))),
    ] {
        let ctx = context_for(&org, api).await;
        org.clear_requests();
        let pushed = rows(&query(&ctx, &sql(limit, offset)).await);
        let soql_sent: Vec<_> = sent(&org)
            .into_iter()
            .filter(|(carrier, _)| *carrier != Api::Bulk || expected.0 == Api::Bulk)
            .collect();
        assert!(
            soql_sent.contains(&expected),
            "{api} LIMIT {limit} OFFSET {offset}: {soql_sent:?}"
        );
        query(&ctx, "SET sfdf.pushdown.topn = false").await;
        let scanned = rows(&query(&ctx, &sql(limit, offset)).await);
        assert!(
            same_answer(&pushed, &scanned, 1, offset > 0),
            "{api} LIMIT {limit} OFFSET {offset}: {pushed:?} vs {scanned:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_n_the_org_refuses_is_sorted_by_datafusion_over_a_plain_scan() {
    let org = org(300).await;
    let unsorted = "SELECT Id, Name, NumberOfEmployees FROM Account WHERE NumberOfEmployees > 1000";
    for api in [ApiType::Rest, ApiType::Soap, ApiType::BulkV2] {
        let ctx = context_for(&org, api).await;
        query(&ctx, "SET sfdf.pushdown.topn = false").await;
        let scanned = rows(&query(&ctx, TOP).await);
        assert!(!scanned.is_empty(), "{api}");
        query(&ctx, "SET sfdf.pushdown.topn = true").await;
        if api == ApiType::BulkV2 {
            bulk_job_deleted(&org).await;
        }
        org.clear_requests();
        org.faults().fail_next(1, Failure::QueryTimeout);
        let answered = rows(&query(&ctx, TOP).await);
        assert!(
            same_answer(&answered, &scanned, 1, false),
            "{api}: {answered:?} vs {scanned:?}"
        );
        // The sorted query (a bulkv2 connection's small top-N too goes through REST) was
        // refused; the emulator logs a refused SOAP call without its SOQL.
        let refused: Vec<_> = org
            .requests()
            .into_iter()
            .filter(|r| r.status >= 400)
            .collect();
        assert_eq!(refused.len(), 1, "{api}: {refused:?}");
        assert_ne!(refused[0].api, Api::Bulk, "{api}");
        if api != ApiType::Soap {
            assert_eq!(refused[0].soql.as_deref(), Some(TOP_SOQL), "{api}");
        }
        // Then the plain scan, whose rows DataFusion sorts.
        let soql: Vec<String> = sent(&org).into_iter().map(|(_, s)| s).collect();
        assert!(soql.iter().any(|s| s == unsorted), "{api}: {soql:?}");
        assert!(
            soql.iter()
                .all(|s| s == TOP_SOQL || !s.contains("ORDER BY")),
            "{api}: {soql:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_top_n_with_its_offset_in_soql_skips_the_same_rows_in_datafusion() {
    let org = org(300).await;
    let sql = "SELECT CloseDate, Id FROM Opportunity WHERE IsClosed \
               ORDER BY CloseDate ASC NULLS FIRST LIMIT 4 OFFSET 3";
    let sorted = "SELECT Id, CloseDate FROM Opportunity WHERE IsClosed = TRUE \
                  ORDER BY CloseDate ASC NULLS FIRST LIMIT 4 OFFSET 3";
    let ctx = context_for(&org, ApiType::Rest).await;
    query(&ctx, "SET sfdf.pushdown.topn = false").await;
    let scanned = rows(&query(&ctx, sql).await);
    assert_eq!(scanned.len(), 4);
    query(&ctx, "SET sfdf.pushdown.topn = true").await;
    org.clear_requests();
    org.faults().fail_next(1, Failure::QueryTimeout);
    let answered = rows(&query(&ctx, sql).await);
    assert!(
        same_answer(&answered, &scanned, 1, true),
        "{answered:?} vs {scanned:?}"
    );
    let refused: Vec<_> = org
        .requests()
        .into_iter()
        .filter(|r| r.status >= 400)
        .filter_map(|r| r.soql)
        .collect();
    assert_eq!(refused, [sorted]);
    let soql: Vec<String> = sent(&org).into_iter().map(|(_, s)| s).collect();
    assert!(
        soql.iter()
            .any(|s| s == "SELECT Id, CloseDate FROM Opportunity WHERE IsClosed = TRUE"),
        "{soql:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sorted_bulk_job_that_keeps_failing_is_sorted_by_datafusion_over_a_plain_scan() {
    let org = org(300).await;
    // Over 10,000 rows a bulkv2 top-N is one sorted Bulk job.
    let sql = TOP.replace("LIMIT 5", "LIMIT 10001");
    let sorted = TOP_SOQL.replace("LIMIT 5", "LIMIT 10001");
    let unsorted = "SELECT Id, Name, NumberOfEmployees FROM Account WHERE NumberOfEmployees > 1000";
    let ctx = context_for(&org, ApiType::BulkV2).await;
    query(&ctx, "SET sfdf.pushdown.topn = false").await;
    let scanned = rows(&query(&ctx, &sql).await);
    query(&ctx, "SET sfdf.pushdown.topn = true").await;
    bulk_job_deleted(&org).await;
    org.clear_requests();
    // The connector creates a failed job again twice (three attempts) before giving up.
    org.faults().fail_next_bulk_jobs(
        3,
        Some("InvalidBatch : Failed to process query: QUERY_TIMEOUT: Your query request was running for too long."),
    );
    let answered = rows(&query(&ctx, &sql).await);
    assert!(!answered.is_empty());
    assert!(
        same_answer(&answered, &scanned, 1, false),
        "{answered:?} vs {scanned:?}"
    );
    assert_eq!(
        crate::support::bulk_soql(&org),
        [sorted.as_str(), sorted.as_str(), sorted.as_str(), unsorted],
        "three sorted jobs failed, then the plain scan's job"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_the_pushed_top_n_and_sends_nothing() {
    let org = org(100).await;
    let ctx = context_for(&org, ApiType::BulkV2).await;
    org.clear_requests();
    let plan = query(&ctx, &format!("EXPLAIN {TOP}")).await;
    let text = pretty_format_batches(&plan).expect("printable").to_string();
    assert!(
        text.contains(&format!(
            "SoqlScanExec: api=rest, partitions=1, api_calls>=1, soql={TOP_SOQL}"
        )),
        "{text}"
    );
    assert!(sent(&org).is_empty(), "EXPLAIN sent a query");
    assert!(
        org.requests().iter().all(|r| !r.path.contains("/query")),
        "EXPLAIN sent a query"
    );
    query(&ctx, "SET sfdf.pushdown.topn = false").await;
    let plan = query(&ctx, &format!("EXPLAIN {TOP}")).await;
    let text = pretty_format_batches(&plan).expect("printable").to_string();
    assert!(!text.contains("ORDER BY"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_key_is_sorted_by_datafusion_because_soql_ignores_case() {
    let org = org(50).await;
    // SOQL's first row ignoring case would be 'apple'; SQL's first by bytes is 'Cherry'.
    for name in ["banana", "Cherry", "apple"] {
        org.create(
            "Account",
            &[
                ("Name", Value::Text(name.into())),
                ("NumberOfEmployees", Value::Int(777_777)),
            ],
        )
        .expect("account created");
    }
    let ctx = context_for(&org, ApiType::Rest).await;
    org.clear_requests();
    let top = query(
        &ctx,
        "SELECT Name FROM Account WHERE NumberOfEmployees = 777777 ORDER BY Name LIMIT 1",
    )
    .await;
    assert_eq!(texts(&top, "Name"), [Some("Cherry".to_string())]);
    let soql = sent(&org);
    assert!(
        soql.contains(&(
            Api::Rest,
            "SELECT Name FROM Account WHERE NumberOfEmployees = 777777".to_string()
        )),
        "{soql:?}"
    );
    assert!(
        soql.iter().all(|(_, s)| !s.contains("ORDER BY")),
        "{soql:?}"
    );
    // Neither behind a number key, nor a picklist, nor currency in a multi-currency org,
    // nor over an inexact filter.
    for (sql, scanned) in [
        (
            "SELECT Name FROM Account WHERE NumberOfEmployees = 777777 \
             ORDER BY NumberOfEmployees, Name LIMIT 1",
            "SELECT Name, NumberOfEmployees FROM Account WHERE NumberOfEmployees = 777777",
        ),
        (
            "SELECT Industry FROM Account ORDER BY Industry LIMIT 3",
            "SELECT Industry FROM Account",
        ),
        (
            "SELECT AnnualRevenue FROM Account ORDER BY AnnualRevenue DESC LIMIT 3",
            "SELECT AnnualRevenue FROM Account",
        ),
        (
            "SELECT NumberOfEmployees FROM Account WHERE Industry = 'Energy' \
             ORDER BY NumberOfEmployees LIMIT 3",
            "SELECT Industry, NumberOfEmployees FROM Account WHERE Industry = 'Energy'",
        ),
    ] {
        let rows = query(&ctx, sql).await;
        assert!(!rows.is_empty(), "{sql}");
        let soql = sent(&org);
        assert!(soql.iter().any(|(_, s)| s == scanned), "{sql}: {soql:?}");
    }
    let ties = query(
        &ctx,
        "SELECT Name FROM Account WHERE NumberOfEmployees = 777777 \
         ORDER BY NumberOfEmployees, Name LIMIT 1",
    )
    .await;
    assert_eq!(texts(&ties, "Name"), [Some("Cherry".to_string())]);
}

/// Sort keys of the property test: (column, pushed when the filters are exact).
const KEYS: &[(&str, bool)] = &[
    ("Name", false),                    // text
    ("StageName", false),               // picklist
    ("LeadSource", false),              // picklist with nulls
    ("Probability", true),              // percent
    ("FiscalYear", true),               // int
    ("TotalOpportunityQuantity", true), // double, with nulls
    ("CloseDate", true),                // date
    ("CreatedDate", true),              // datetime
    ("IsWon", true),                    // boolean
    ("Amount", false),                  // currency in a multi-currency org
];

/// Exact filters of the property test.
const FILTERS: &[&str] = &[
    "TRUE",
    "Probability >= 50",
    "CloseDate <= DATE '2025-06-30'",
    "IsWon",
    "NOT IsClosed",
    "FiscalYear IN (2021, 2023, 2024)",
    "TotalOpportunityQuantity IS NULL",
    "Amount > 50000 AND Probability < 90",
];

#[derive(Debug, Clone)]
struct Case {
    filter: &'static str,
    keys: Vec<(usize, bool, bool)>,
    limit: u64,
    offset: u64,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(FILTERS),
        prop::collection::vec((0..KEYS.len(), any::<bool>(), any::<bool>()), 1..3),
        1u64..40,
        prop::sample::select(&[0u64, 0, 1, 3, 17, 2001][..]),
    )
        .prop_map(|(filter, keys, limit, offset)| Case {
            filter,
            keys,
            limit,
            offset,
        })
}

impl Case {
    fn sql(&self) -> String {
        // Keys are selected under aliases (a column may be drawn twice) and sorted by them.
        let order: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, &(_, asc, nulls_first))| {
                format!(
                    "k{i} {} NULLS {}",
                    if asc { "ASC" } else { "DESC" },
                    if nulls_first { "FIRST" } else { "LAST" }
                )
            })
            .collect();
        let columns: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, &(k, ..))| format!("{} AS k{i}", KEYS[k].0))
            .collect();
        let offset = match self.offset {
            0 => String::new(),
            m => format!(" OFFSET {m}"),
        };
        format!(
            "SELECT {}, Id FROM Opportunity WHERE {} ORDER BY {} LIMIT {}{offset}",
            columns.join(", "),
            self.filter,
            order.join(", "),
            self.limit
        )
    }

    fn pushable(&self) -> bool {
        self.keys.iter().all(|&(k, ..)| KEYS[k].1)
    }
}

#[test]
fn random_exact_filters_sort_keys_and_limits_answer_alike_pushed_or_not() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (org, pushed_ctx, plain_ctx) = runtime.block_on(async {
        let org = org(300).await;
        let pushed = context_for(&org, ApiType::Rest).await;
        let plain = context_for(&org, ApiType::Rest).await;
        query(&plain, "SET sfdf.pushdown.topn = false").await;
        (org, pushed, plain)
    });
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let pushed_cases = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&cases(), |case| {
            let sql = case.sql();
            let keys = case.keys.len();
            let (pushed, plain, soql) = runtime.block_on(async {
                org.clear_requests();
                let pushed = rows(&query(&pushed_ctx, &sql).await);
                let soql = sent(&org);
                let plain = rows(&query(&plain_ctx, &sql).await);
                (pushed, plain, soql)
            });
            let sorted_by_org = soql.iter().any(|(_, s)| s.contains(" ORDER BY "));
            prop_assert_eq!(sorted_by_org, case.pushable(), "{}: {:?}", sql, soql);
            if sorted_by_org {
                pushed_cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if !same_answer(&pushed, &plain, keys, case.offset > 0) {
                return Err(TestCaseError::fail(format!(
                    "{sql}\npushed: {pushed:?}\nplain: {plain:?}"
                )));
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        pushed_cases.into_inner() > 0,
        "no generated case was pushed"
    );
}
