//! Join keys into SOQL: the object scan on a hash join's probe side sends `Id IN (…)` with
//! the keys of the join's small side, compared with the same SQL run with the pushdown off.

use std::collections::BTreeSet;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use sfdf_connector::ApiType;
use sfdf_emulator::{Api, EmulatedOrg};

use crate::support::{context_for, live, org, query, sent, session_over, text_of};

/// The SOQL sent for `object` (ignoring the other scans of the query).
fn sent_for(sent: &[(Api, String)], object: &str) -> Vec<String> {
    let from = format!(" FROM {object}");
    sent.iter()
        .filter(|(_, soql)| soql.contains(&from))
        .map(|(_, soql)| soql.clone())
        .collect()
}

/// The quoted values of `soql`'s `<key> IN (…)`, or `None` when it has none.
fn in_list(soql: &str, key: &str) -> Option<Vec<String>> {
    let start = soql.find(&format!("{key} IN ("))? + key.len() + 5;
    let end = start + soql[start..].find(')')?;
    Some(
        soql[start..end]
            .split(", ")
            .map(|v| v.trim_matches('\'').to_string())
            .collect(),
    )
}

fn table(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

/// Runs `sql` with the pushdown on and off: the results must be equal. Returns the SOQL
/// sent with the pushdown on, and the result.
async fn pushed_and_plain(
    ctx: &SessionContext,
    org: &EmulatedOrg,
    sql: &str,
) -> (Vec<(Api, String)>, String) {
    query(ctx, "SET sfdf.pushdown.join_keys = true").await;
    org.clear_requests();
    let pushed = table(&query(ctx, sql).await);
    let soql = sent(org);
    query(ctx, "SET sfdf.pushdown.join_keys = false").await;
    let plain = table(&query(ctx, sql).await);
    let plain_soql = sent(org);
    assert_eq!(
        pushed, plain,
        "{sql}: same rows with and without the pushdown"
    );
    assert!(
        plain_soql
            .iter()
            .all(|(_, s)| !s.contains(" FROM Account") || !s.contains("Id IN (")),
        "without the pushdown the Account scan reads every row: {plain_soql:?}"
    );
    query(ctx, "SET sfdf.pushdown.join_keys = true").await;
    (soql, pushed)
}

/// The API that carries a scan's SOQL for a connection of `api`.
fn carrier(api: ApiType) -> Api {
    match api {
        ApiType::BulkV2 => Api::Bulk,
        ApiType::Rest => Api::Rest,
        ApiType::Soap => Api::Soap,
    }
}

/// The one Account query among `soql`, which `api`'s connection sent through its own API,
/// and the keys of its `Id IN (…)`.
fn account_query(soql: &[(Api, String)], api: ApiType) -> (String, BTreeSet<String>) {
    let account_soql = sent_for(soql, "Account");
    assert_eq!(account_soql.len(), 1, "{api}: {soql:?}");
    let account_soql = account_soql[0].clone();
    let keys = in_list(&account_soql, "Id")
        .unwrap_or_else(|| panic!("{api}: no Id IN (…): {account_soql}"))
        .into_iter()
        .collect();
    assert!(
        soql.iter()
            .any(|(carried, s)| *carried == carrier(api) && *s == account_soql),
        "{api}: {soql:?}"
    );
    (account_soql, keys)
}

const APIS: [ApiType; 3] = [ApiType::BulkV2, ApiType::Rest, ApiType::Soap];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_object_joined_with_account_sends_its_account_ids() {
    let org = org(300).await;
    // Three opportunities with an account: a filtered, small build side.
    let chosen: Vec<(String, String)> = live(&org, "Opportunity")
        .iter()
        .filter_map(|r| Some((text_of(r.get("Id"))?, text_of(r.get("AccountId"))?)))
        .take(3)
        .collect();
    assert_eq!(chosen.len(), 3, "the generated org has such opportunities");
    let ids: Vec<String> = chosen.iter().map(|(id, _)| format!("'{id}'")).collect();
    let sql = format!(
        "SELECT o.Id AS opportunity, a.Id AS account, a.Name FROM Opportunity o \
         JOIN Account a ON o.AccountId = a.Id WHERE o.Id IN ({}) ORDER BY o.Id",
        ids.join(", ")
    );
    let accounts: BTreeSet<String> = chosen.iter().map(|(_, a)| a.clone()).collect();
    for api in APIS {
        let ctx = context_for(&org, api).await;
        let (soql, result) = pushed_and_plain(&ctx, &org, &sql).await;
        assert_eq!(result.matches("| 006").count(), 3, "{api}: {result}");
        let (account_soql, keys) = account_query(&soql, api);
        assert_eq!(
            keys, accounts,
            "{api}: the opportunities' accounts are sent"
        );
        assert!(
            account_soql.starts_with("SELECT Id, Name FROM Account WHERE Id IN ("),
            "{api}: {account_soql}"
        );
    }
}

/// Ids of the first `n` live accounts.
fn account_ids(org: &EmulatedOrg, n: usize) -> Vec<String> {
    live(org, "Account")
        .iter()
        .filter_map(|r| text_of(r.get("Id")))
        .take(n)
        .collect()
}

/// `SELECT … FROM (VALUES …) JOIN Account` over `keys` (SQL literals).
fn values_join(keys: &[String]) -> String {
    let rows: Vec<String> = keys.iter().map(|k| format!("({k})")).collect();
    format!(
        "SELECT v.id, a.Name FROM (VALUES {}) AS v(id) JOIN Account a ON a.Id = v.id \
         ORDER BY v.id",
        rows.join(", ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_values_list_joined_with_account_sends_its_ids() {
    let org = org(200).await;
    let ids = account_ids(&org, 3);
    // A duplicate, a NULL, a wrong-case id (SQL's = is case-sensitive, so it matches no
    // row, whatever SOQL does with it) and text that is no id at all.
    let mut keys: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    keys.push(format!("'{}'", ids[0]));
    keys.push("NULL".into());
    keys.push(format!("'{}'", ids[1].to_lowercase()));
    keys.push("'not an id'".into());
    let sql = values_join(&keys);
    for api in APIS {
        let ctx = context_for(&org, api).await;
        let (soql, result) = pushed_and_plain(&ctx, &org, &sql).await;
        for id in &ids {
            assert_eq!(
                result.matches(id.as_str()).count(),
                1 + usize::from(*id == ids[0]),
                "{api}: {result}"
            );
        }
        let (_, sent_keys) = account_query(&soql, api);
        let mut expected: BTreeSet<String> = ids.iter().cloned().collect();
        expected.insert(ids[1].to_lowercase());
        assert_eq!(
            sent_keys, expected,
            "{api}: distinct ids, no NULL, no non-id"
        );
    }
}

/// Joins `ids` (as a `VALUES` list) with Account through each API after `setting`, with
/// the pushdown on and off (same result, every account found); the Account SOQL each API's
/// connection sent with it on.
async fn account_soql_per_api(
    org: &EmulatedOrg,
    ids: &[String],
    setting: &str,
) -> Vec<(ApiType, Vec<String>)> {
    let keys: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    let sql = values_join(&keys);
    let mut per_api = Vec::new();
    for api in APIS {
        let ctx = context_for(org, api).await;
        query(&ctx, setting).await;
        let (soql, result) = pushed_and_plain(&ctx, org, &sql).await;
        assert_eq!(
            result.matches("| 001").count(),
            ids.len(),
            "{api}: {result}"
        );
        per_api.push((api, sent_for(&soql, "Account")));
    }
    per_api
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_keys_than_join_keys_max_read_the_object_as_before() {
    let org = org(200).await;
    let ids = account_ids(&org, 4);
    let setting = "SET sfdf.pushdown.join_keys_max = 3";
    for (api, account_soql) in account_soql_per_api(&org, &ids, setting).await {
        // The plain scan (REST/SOAP first ask for its SystemModstamp windows).
        assert!(
            account_soql
                .iter()
                .any(|s| s == "SELECT Id, Name FROM Account")
                && account_soql.iter().all(|s| !s.contains(" IN (")),
            "{api}: 4 keys > 3: the plain scan: {account_soql:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_beyond_one_query_are_sent_in_several() {
    let org = org(200).await;
    let ids = account_ids(&org, 7);
    let setting = "SET sfdf.pushdown.join_keys_per_query = 3";
    for (api, account_soql) in account_soql_per_api(&org, &ids, setting).await {
        assert_eq!(
            account_soql.len(),
            3,
            "{api}: 7 keys, 3 per query: {account_soql:?}"
        );
        let mut every: Vec<String> = account_soql
            .iter()
            .flat_map(|s| in_list(s, "Id").unwrap_or_else(|| panic!("{api}: {s}")))
            .collect();
        every.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(every, expected, "{api}: each key in exactly one query");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_the_scan_will_take_join_keys_and_sends_nothing() {
    let org = org(100).await;
    let keys: Vec<String> = account_ids(&org, 2)
        .iter()
        .map(|id| format!("'{id}'"))
        .collect();
    let sql = values_join(&keys);
    for api in APIS {
        let ctx = context_for(&org, api).await;
        org.clear_requests();
        let text = table(&query(&ctx, &format!("EXPLAIN {sql}")).await);
        assert!(
            text.contains("soql=SELECT Id, Name FROM Account, join_keys=Id@0 IN ("),
            "{api}: {text}"
        );
        assert!(text.contains("over 2000 keys"), "{api}: {text}");
        assert!(sent(&org).is_empty(), "{api}: EXPLAIN sends no query");
        query(&ctx, "SET sfdf.pushdown.join_keys = false").await;
        let text = table(&query(&ctx, &format!("EXPLAIN {sql}")).await);
        assert!(!text.contains("join_keys="), "{api}: {text}");
    }
}

/// A join of two objects read through Bulk result pages, with fewer HTTP slots than pages in
/// flight: the probe side's pages must not keep the slots the build side needs to finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_of_two_paged_bulk_scans_finishes_with_few_http_slots() {
    let org = sfdf_emulator::EmulatedOrg::builder()
        .rows(400)
        .seed(11)
        .page_rows(50)
        .start()
        .await
        .expect("emulated org starts");
    for slots in [1, 2] {
        let connection = sfdf_testkit::connection(&org)
            .developer_name("demo")
            .api_type(ApiType::BulkV2)
            .http(sfdf_connector::HttpSettings {
                retry: sfdf_connector::RetryConfig::fast(),
                polling: sfdf_connector::BulkPolling::fast(),
                max_concurrency: slots,
                ..sfdf_connector::HttpSettings::default()
            })
            .build()
            .expect("valid connection");
        let ctx = session_over(connection, 2).await;
        let mut answers = Vec::new();
        for setting in ["true", "false"] {
            query(&ctx, &format!("SET sfdf.pushdown.join_keys = {setting}")).await;
            let sql = "SELECT count(*) AS n FROM Contact c JOIN Account a ON c.AccountId = a.Id";
            let rows = tokio::time::timeout(std::time::Duration::from_secs(60), query(&ctx, sql))
                .await
                .unwrap_or_else(|_| {
                    panic!("{slots} HTTP slot(s), join_keys = {setting}: the join never finished")
                });
            answers.push(pretty_format_batches(&rows).unwrap().to_string());
        }
        assert_eq!(answers[0], answers[1], "{slots} slot(s)");
        assert!(!answers[0].contains("| 0 "), "{}", answers[0]);
    }
}
