//! Each node type on the emulated org's data, checked against results computed here from
//! the org's records.

use std::collections::{BTreeMap, HashMap};

use super::{close, folder, number, read_parquet, run, text, write};
use crate::support::{bulk_soql, live, org, row_count, texts};

/// load (live, filter + columns pushed to SOQL) → lookup join → aggregate → sort → parquet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn won_amount_by_industry_matches_the_org_and_pushes_filter_and_columns() {
    let org = org(120).await;
    let dir = folder(Some(&org));
    let recipe = write(
        dir.path(),
        "won.yaml",
        r#"
name: won_by_industry
connections: { org: org.yaml }
nodes:
  accounts: { load: { connection: org, object: account, columns: [Id, industry] } }
  won:
    load:
      connection: org
      object: Opportunity
      columns: [AccountId, Amount]
      filter: "IsWon = true"
  joined: { join: { left: won, right: accounts, kind: lookup, on: { AccountId: Id }, right_prefix: account_ } }
  totals:
    aggregate:
      input: joined
      group_by: [account_Industry]
      measures: { amount: "sum(Amount)", deals: "count(*)" }
  sorted: { sort: { input: totals, by: [account_Industry] } }
  out: { output: { input: sorted, path: out/won.parquet } }
"#,
    );
    org.clear_requests();
    let summaries = run(&recipe).await;
    assert_eq!(summaries.len(), 1);

    let industry: HashMap<String, Option<String>> = live(&org, "Account")
        .iter()
        .map(|a| (a.id().to_owned(), text(a, "Industry")))
        .collect();
    let mut expected: BTreeMap<Option<String>, (f64, usize)> = BTreeMap::new();
    for opp in live(&org, "Opportunity") {
        if text(&opp, "IsWon").as_deref() != Some("true") {
            continue;
        }
        let key = text(&opp, "AccountId").and_then(|id| industry.get(&id).cloned().flatten());
        let entry = expected.entry(key).or_default();
        entry.0 += number(&opp, "Amount").unwrap_or(0.0);
        entry.1 += 1;
    }
    let batches = read_parquet(&dir.path().join("out/won.parquet"));
    assert_eq!(row_count(&batches) as u64, summaries[0].rows);
    let industries = texts(&batches, "account_Industry");
    let amounts = texts(&batches, "amount");
    let deals = texts(&batches, "deals");
    assert_eq!(industries.len(), expected.len(), "{industries:?}");
    for (i, ind) in industries.iter().enumerate() {
        let (sum, count) = expected[ind];
        assert_eq!(
            deals[i].as_deref(),
            Some(count.to_string().as_str()),
            "{ind:?}"
        );
        let got: f64 = amounts[i]
            .as_deref()
            .unwrap_or("0")
            .parse()
            .expect("number");
        assert!(close(got, sum), "{ind:?}: {got} vs {sum}");
    }
    // Sorted ascending, nulls last.
    let present: Vec<&String> = industries.iter().flatten().collect();
    assert!(present.windows(2).all(|w| w[0] <= w[1]), "{industries:?}");

    let soql = bulk_soql(&org);
    let opportunity = soql
        .iter()
        .find(|q| q.contains("FROM Opportunity"))
        .expect("Opportunity queried");
    assert!(
        opportunity.to_lowercase().contains("where iswon = true"),
        "{opportunity}"
    );
    assert!(
        !opportunity.contains("StageName"),
        "only needed columns: {opportunity}"
    );
    let account = soql
        .iter()
        .find(|q| q.contains("FROM Account"))
        .expect("Account queried");
    assert!(!account.contains("Name"), "only needed columns: {account}");
}

/// formula, filter, rename, drop, sort, limit → CSV; then CSV load → select → parquet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_filter_rename_drop_sort_limit_and_files_round_trip() {
    let org = org(80).await;
    let dir = folder(Some(&org));
    let first = write(
        dir.path(),
        "top.yaml",
        r#"
name: top_accounts
connections: { org: org.yaml }
nodes:
  all_accounts: { load: { connection: org, object: Account } }
  accounts: { select: { input: all_accounts, columns: [Name, AnnualRevenue, NumberOfEmployees] } }
  rich: { filter: { input: accounts, where: "annualrevenue > 1000000 AND NumberOfEmployees > 0" } }
  ratio: { formula: { input: rich, columns: { per_employee: "AnnualRevenue / NumberOfEmployees", double_ratio: "per_employee * 2" } } }
  named: { rename: { input: ratio, columns: { Name: account_name } } }
  slim: { drop: { input: named, columns: [NumberOfEmployees, double_ratio] } }
  ordered: { sort: { input: slim, by: [AnnualRevenue desc] } }
  top: { limit: { input: ordered, rows: 5 } }
  out: { output: { input: top, path: top.csv } }
"#,
    );
    org.clear_requests();
    run(&first).await;
    // The select and filter nodes above the load reached its SOQL.
    let soql = bulk_soql(&org);
    assert_eq!(soql.len(), 1, "{soql:?}");
    assert!(
        soql[0].starts_with("SELECT Name, AnnualRevenue, NumberOfEmployees FROM Account WHERE"),
        "{soql:?}"
    );
    assert!(soql[0].contains("AnnualRevenue > 1000000"), "{soql:?}");
    let mut expected: Vec<(String, f64, f64)> = live(&org, "Account")
        .iter()
        .filter_map(|a| {
            let revenue = number(a, "AnnualRevenue")?;
            let employees = number(a, "NumberOfEmployees")?;
            (revenue > 1_000_000.0 && employees > 0.0).then(|| {
                (
                    text(a, "Name").unwrap_or_default(),
                    revenue,
                    revenue / employees,
                )
            })
        })
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    expected.truncate(5);
    let csv = std::fs::read_to_string(dir.path().join("top.csv")).expect("csv written");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("account_name,AnnualRevenue,per_employee")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), expected.len(), "{csv}");
    for (row, (name, revenue, ratio)) in rows.iter().zip(&expected) {
        // Names may contain commas and are then quoted: read the numbers from the right.
        let mut cells = row.rsplitn(3, ',');
        let got_ratio: f64 = cells.next().and_then(|c| c.parse().ok()).expect("ratio");
        let got_revenue: f64 = cells.next().and_then(|c| c.parse().ok()).expect("revenue");
        let got_name = cells.next().expect("name").trim_matches('"');
        assert_eq!(got_name, name.as_str());
        assert!(
            close(got_revenue, *revenue) && close(got_ratio, *ratio),
            "{row}"
        );
    }

    let second = write(
        dir.path(),
        "again.yaml",
        r#"
name: again
nodes:
  top: { load: { csv: top.csv, columns: [account_name, per_employee] } }
  out: { output: { input: top, path: again.parquet } }
"#,
    );
    run(&second).await;
    let third = write(
        dir.path(),
        "third.yaml",
        r#"
name: third
nodes:
  back: { load: { parquet: again.parquet } }
  out: { output: { input: back, path: copy/again.parquet } }
"#,
    );
    run(&third).await;
    let batches = read_parquet(&dir.path().join("copy/again.parquet"));
    let names = texts(&batches, "account_name");
    let want: Vec<Option<String>> = expected.iter().map(|e| Some(e.0.clone())).collect();
    assert_eq!(names, want);
    assert_eq!(batches[0].num_columns(), 2);
}

/// Every join kind, composite keys, and the lookup's rule for duplicate keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_kinds_match_counts_computed_from_the_records() {
    let org = org(60).await;
    let dir = folder(Some(&org));
    let recipe = write(
        dir.path(),
        "joins.yaml",
        r#"
name: joins
connections: { org: org.yaml }
nodes:
  opps: { load: { connection: org, object: Opportunity, columns: [Id, AccountId] } }
  accounts: { load: { connection: org, object: Account, columns: [Id, Name] } }
  contacts: { load: { connection: org, object: Contact, columns: [Id, AccountId, LastName] } }
  inner: { join: { left: opps, right: accounts, kind: inner, on: { AccountId: Id } } }
  left: { join: { left: opps, right: accounts, kind: left, on: { AccountId: Id } } }
  right: { join: { left: opps, right: accounts, kind: right, on: { AccountId: Id } } }
  full: { join: { left: opps, right: accounts, kind: full, on: { AccountId: Id } } }
  few_accounts: { limit: { input: accounts, rows: 3 } }
  few_contacts: { limit: { input: contacts, rows: 4 } }
  cross: { join: { left: few_accounts, right: few_contacts, kind: cross } }
  lookup: { join: { left: accounts, right: contacts, kind: lookup, on: { Id: AccountId }, right_prefix: c_ } }
  multi: { join: { left: accounts, right: contacts, kind: multi_value_lookup, on: { Id: AccountId }, right_prefix: c_ } }
  pairs: { join: { left: contacts, right: contacts, kind: inner, on: { AccountId: AccountId, LastName: LastName }, right_prefix: other_ } }
  o_inner: { output: { input: inner, path: inner.parquet } }
  o_left: { output: { input: left, path: left.parquet } }
  o_right: { output: { input: right, path: right.parquet } }
  o_full: { output: { input: full, path: full.parquet } }
  o_cross: { output: { input: cross, path: cross.parquet } }
  o_lookup: { output: { input: lookup, path: lookup.parquet } }
  o_multi: { output: { input: multi, path: multi.parquet } }
  o_pairs: { output: { input: pairs, path: pairs.parquet } }
"#,
    );
    let summaries = run(&recipe).await;
    let rows = |node: &str| {
        summaries
            .iter()
            .find(|s| s.node == node)
            .map(|s| s.rows as usize)
            .expect("output written")
    };
    let accounts = live(&org, "Account");
    let opps = live(&org, "Opportunity");
    let contacts = live(&org, "Contact");
    let account_ids: Vec<String> = accounts.iter().map(|a| a.id().to_owned()).collect();
    let matched = opps
        .iter()
        .filter(|o| text(o, "AccountId").is_some_and(|id| account_ids.contains(&id)))
        .count();
    let without_opp = account_ids
        .iter()
        .filter(|id| {
            !opps
                .iter()
                .any(|o| text(o, "AccountId").as_ref() == Some(id))
        })
        .count();
    assert_eq!(rows("o_inner"), matched);
    assert_eq!(rows("o_left"), opps.len());
    assert_eq!(rows("o_right"), matched + without_opp);
    assert_eq!(rows("o_full"), opps.len() + without_opp);
    assert_eq!(rows("o_cross"), 12);

    // multi_value_lookup: every account, once per contact (at least once).
    let per_account = |id: &str| {
        contacts
            .iter()
            .filter(|c| text(c, "AccountId").as_deref() == Some(id))
            .count()
    };
    let multi: usize = account_ids.iter().map(|id| per_account(id).max(1)).sum();
    assert_eq!(rows("o_multi"), multi);
    assert!(
        multi > accounts.len(),
        "the org has accounts with several contacts"
    );

    // lookup: one row per account; of several contacts, the one first by (Id, AccountId,
    // LastName), i.e. the smallest Id.
    assert_eq!(rows("o_lookup"), accounts.len());
    let batches = read_parquet(&dir.path().join("lookup.parquet"));
    let ids = texts(&batches, "Id");
    let chosen = texts(&batches, "c_Id");
    for (id, contact) in ids.iter().zip(&chosen) {
        let id = id.as_deref().expect("account id");
        let smallest = contacts
            .iter()
            .filter(|c| text(c, "AccountId").as_deref() == Some(id))
            .map(|c| c.id().to_owned())
            .min();
        assert_eq!(contact, &smallest, "account {id}");
    }

    // Composite key: contacts with the same account and last name, each pair both ways.
    let mut groups: HashMap<(String, String), usize> = HashMap::new();
    for c in &contacts {
        if let (Some(a), Some(l)) = (text(c, "AccountId"), text(c, "LastName")) {
            *groups.entry((a, l)).or_default() += 1;
        }
    }
    let pairs: usize = groups.values().map(|n| n * n).sum();
    assert_eq!(rows("o_pairs"), pairs);
}
