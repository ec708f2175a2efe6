//! SQL answers equal the same questions answered from the org's records directly.

use std::collections::{BTreeMap, HashMap};

use sfdf_connector::provider::sql;

use crate::support::{
    bulk_soql, context, live, org, query, row_count, session_over, text_of, texts,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_with_an_aggregate_matches_the_records() {
    let org = org(300).await;
    let ctx = context(&org).await;
    let rows = query(
        &ctx,
        "SELECT a.industry AS industry_name, count(*) AS won
           FROM opportunity o JOIN account a ON o.accountid = a.id
          WHERE o.iswon
          GROUP BY a.industry",
    )
    .await;
    let got: BTreeMap<Option<String>, String> = texts(&rows, "industry_name")
        .into_iter()
        .zip(
            texts(&rows, "won")
                .into_iter()
                .map(Option::unwrap_or_default),
        )
        .collect();

    let industry_of: HashMap<String, Option<String>> = live(&org, "Account")
        .iter()
        .map(|a| (a.id().to_owned(), text_of(a.get("Industry"))))
        .collect();
    let mut expected: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for o in live(&org, "Opportunity") {
        let won = text_of(o.get("IsWon")).as_deref() == Some("true");
        let account = text_of(o.get("AccountId"));
        if let (true, Some(industry)) = (won, account.and_then(|id| industry_of.get(&id))) {
            *expected.entry(industry.clone()).or_default() += 1;
        }
    }
    let expected: BTreeMap<Option<String>, String> = expected
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    let soql = bulk_soql(&org);
    assert!(
        soql.contains(&"SELECT AccountId FROM Opportunity WHERE IsWon = TRUE".to_owned()),
        "{soql:?}"
    );
    // The won opportunities' accounts only: the join's keys go into SOQL (`join_keys`).
    assert!(
        soql.iter()
            .any(|s| s.starts_with("SELECT Id, Industry FROM Account WHERE Id IN ('")),
        "{soql:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_star_reads_no_fields() {
    let org = org(150).await;
    let ctx = context(&org).await;
    let rows = query(&ctx, "SELECT count(*) AS n FROM Contact").await;
    let expected = live(&org, "Contact").len();
    assert_eq!(texts(&rows, "n"), [Some(expected.to_string())]);
    // The org counts (see `aggregates`); without that, the scan reads `Id` only.
    assert!(bulk_soql(&org).is_empty());
    query(&ctx, "SET sfdf.pushdown.aggregates = false").await;
    let rows = query(&ctx, "SELECT count(*) AS n FROM Contact").await;
    assert_eq!(texts(&rows, "n"), [Some(expected.to_string())]);
    assert_eq!(bulk_soql(&org), ["SELECT Id FROM Contact"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolve_ignoring_case_and_results_keep_the_org_spelling() {
    let org = org(50).await;
    let ctx = context(&org).await;
    for text in [
        "SELECT name, INDUSTRY FROM account WHERE annualrevenue IS NOT NULL",
        "SELECT Name, Industry FROM Account WHERE AnnualRevenue IS NOT NULL",
        "SELECT NAME, industry FROM DEMO.ACCOUNT WHERE AnnualRevenue IS NOT NULL",
        "SELECT \"Name\", \"Industry\" FROM demo.\"Account\" WHERE \"AnnualRevenue\" IS NOT NULL",
        "SELECT a.name, a.industry FROM Demo.Account AS a WHERE a.AnnualRevenue IS NOT NULL",
    ] {
        let rows = query(&ctx, text).await;
        let schema = rows[0].schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["Name", "Industry"], "{text}");
    }
    // A quoted name is taken as written, as SQL says: there is no field `name`.
    let quoted = sql(&ctx, "SELECT \"name\" FROM account").await;
    let message = quoted.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains(
            "no column `name`; did you mean `Name`? (a quoted name is taken exactly as written)"
        ),
        "{message}"
    );
    // Plain DataFusion SQL finds the table in any case too, with quoted mixed-case columns.
    let plain = ctx
        .sql("SELECT \"Name\" FROM ACCOUNT")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    assert_eq!(row_count(&plain), live(&org, "Account").len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_on_dates_numbers_and_booleans_match_the_records() {
    let org = org(300).await;
    let ctx = context(&org).await;
    let rows = query(
        &ctx,
        "SELECT Id FROM Opportunity
          WHERE CloseDate BETWEEN DATE '2022-01-01' AND DATE '2024-12-31'
            AND (Amount >= 10000 OR NOT IsClosed)
            AND Probability <> 50",
    )
    .await;
    let mut got: Vec<_> = texts(&rows, "Id").into_iter().flatten().collect();
    got.sort();
    let mut expected: Vec<String> = live(&org, "Opportunity")
        .iter()
        .filter(|o| {
            let close = text_of(o.get("CloseDate")).unwrap_or_default();
            let amount: Option<f64> = match o.get("Amount") {
                Some(sfdf_emulator::Value::Double(v)) => Some(*v),
                _ => None,
            };
            let closed = text_of(o.get("IsClosed")).as_deref() == Some("true");
            let probability: Option<f64> = match o.get("Probability") {
                Some(sfdf_emulator::Value::Double(v)) => Some(*v),
                Some(sfdf_emulator::Value::Int(v)) => Some(*v as f64),
                _ => None,
            };
            let in_range = close.as_str() >= "2022-01-01" && close.as_str() <= "2024-12-31";
            in_range
                && (amount.is_some_and(|a| a >= 10000.0) || !closed)
                && probability.is_some_and(|p| p != 50.0)
        })
        .map(|o| o.id().to_owned())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    assert_eq!(
        bulk_soql(&org),
        [
            "SELECT Id FROM Opportunity WHERE CloseDate >= 2022-01-01 AND CloseDate <= 2024-12-31 AND (Amount >= 10000.00 OR IsClosed = FALSE) AND (Probability != 50 AND Probability != NULL)"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_connections_each_is_a_schema_and_unqualified_names_are_not_guessed() {
    let org = org(30).await;
    let first = crate::support::connection(&org);
    let second = sfdf_connector::Connection::builder()
        .developer_name("Sales_EU")
        .domain_url(org.base_url())
        .client_credentials(
            org.client_id(),
            secrecy::SecretString::from(org.client_secret().to_owned()),
        )
        .build()
        .expect("valid");
    let ctx = sfdf_connector::provider::ContextBuilder::new()
        .connection(first)
        .connection(second)
        .build()
        .await
        .expect("two connections");
    let accounts = live(&org, "Account").len();
    for text in [
        "SELECT Id FROM demo.account",
        "SELECT Id FROM sales_eu.Account",
        "SELECT Id FROM SALES_EU.ACCOUNT",
    ] {
        assert_eq!(row_count(&query(&ctx, text).await), accounts, "{text}");
    }
    let unqualified = sql(&ctx, "SELECT Id FROM Account").await;
    let message = unqualified.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("no table `Account`")
            && message.contains("`Sales_EU.Account` or `demo.Account`"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarter_filters_become_soql_date_functions() {
    let org = org(300).await;
    let ctx = context(&org).await;
    let rows = query(
        &ctx,
        "SELECT Id FROM Opportunity WHERE date_part('quarter', CloseDate) = 2 AND extract(month FROM CloseDate) <> 4",
    )
    .await;
    let mut got: Vec<_> = texts(&rows, "Id").into_iter().flatten().collect();
    got.sort();
    let mut expected: Vec<String> = live(&org, "Opportunity")
        .iter()
        .filter(|o| {
            let month: u32 = text_of(o.get("CloseDate"))
                .and_then(|d| d.get(5..7).and_then(|m| m.parse().ok()))
                .unwrap_or(0);
            (4..=6).contains(&month) && month != 4
        })
        .map(|o| o.id().to_owned())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    assert_eq!(
        bulk_soql(&org),
        [
            "SELECT Id FROM Opportunity WHERE CALENDAR_QUARTER(CloseDate) = 2 AND (CALENDAR_MONTH(CloseDate) != 4 AND CloseDate != NULL)"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_soap_scans_answer_like_bulk() {
    use sfdf_connector::ApiType;
    use sfdf_emulator::Api;

    let org = org(200).await;
    let text = "SELECT Name FROM account WHERE NumberOfEmployees > 5000 ORDER BY Name, Id";
    let soql = "SELECT Id, Name FROM Account WHERE NumberOfEmployees > 5000";
    let bulk = texts(&query(&context(&org).await, text).await, "Name");
    assert!(!bulk.is_empty());
    for (api_type, api) in [(ApiType::Rest, Api::Rest), (ApiType::Soap, Api::Soap)] {
        org.clear_requests();
        let connection = sfdf_connector::Connection::builder()
            .developer_name("demo")
            .domain_url(org.base_url())
            .api_type(api_type)
            .client_credentials(
                org.client_id(),
                secrecy::SecretString::from(org.client_secret().to_owned()),
            )
            .build()
            .expect("valid");
        // One partition: one cursor (more partitions read SystemModstamp windows, see
        // sql::windows).
        let ctx = session_over(connection, 1).await;
        assert_eq!(texts(&query(&ctx, text).await, "Name"), bulk, "{api_type}");
        let sent: Vec<String> = org
            .requests()
            .into_iter()
            .filter(|r| r.api == api)
            .filter_map(|r| r.soql)
            .collect();
        assert_eq!(sent, [soql], "{api_type}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_rows_are_read_through_query_all_when_asked() {
    let org = org(200).await;
    let all = org.records("Account").expect("Account").len();
    let alive = live(&org, "Account").len();
    assert!(
        all > alive,
        "the emulated org has deleted Accounts in its recycle bin"
    );
    let ctx = context(&org).await;
    let count = |rows: Vec<datafusion::arrow::array::RecordBatch>| texts(&rows, "n");
    let n = count(query(&ctx, "SELECT count(*) AS n FROM Account").await);
    assert_eq!(n, [Some(alive.to_string())]);
    query(&ctx, "SET sfdf.include_deleted = true").await;
    let n = count(query(&ctx, "SELECT count(*) AS n FROM Account").await);
    assert_eq!(n, [Some(all.to_string())]);
    let n = count(query(&ctx, "SELECT count(*) AS n FROM Account WHERE IsDeleted").await);
    assert_eq!(n, [Some((all - alive).to_string())]);
    let plan = query(&ctx, "EXPLAIN SELECT Id FROM Account").await;
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&plan)
        .expect("prints")
        .to_string();
    assert!(plan.contains("queryAll"), "{plan}");
}
