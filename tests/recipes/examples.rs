//! The recipes of `examples/`, run against emulated orgs (their connection files pointed at
//! them), with results checked against the orgs' records.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::Datelike;
use sfdf_emulator::{EmulatedOrg, Value};

use super::{close, number, read_parquet, run, text, write};
use crate::support::{live, org, row_count, texts};

/// Copies `examples/NAME` into a temporary folder, with the demo connection files pointed
/// at `main` and `eu`.
fn example(
    name: &str,
    main: &EmulatedOrg,
    eu: &EmulatedOrg,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dir = tempfile::tempdir().expect("temp dir");
    for (file, org) in [
        ("demo-connection.yaml", main),
        ("demo-connection-eu.yaml", eu),
    ] {
        let text = std::fs::read_to_string(examples.join(file)).expect("example connection");
        write(
            dir.path(),
            file,
            &text.replace("http://127.0.0.1:8643", org.base_url()),
        );
    }
    let recipe = std::fs::read_to_string(examples.join(name)).expect("example recipe");
    let path = write(dir.path(), name, &recipe);
    (dir, path)
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("csv written");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn won_by_industry_and_fiscal_quarter() {
    let org = org(150).await;
    let (dir, recipe) = example("won_by_industry.recipe.yaml", &org, &org);
    run(&recipe).await;
    let industry: HashMap<String, Option<String>> = live(&org, "Account")
        .iter()
        .map(|a| (a.id().to_owned(), text(a, "Industry")))
        .collect();
    // Fiscal year from February, named by the year it ends in.
    let mut expected: BTreeMap<(String, i32, u32), (f64, usize)> = BTreeMap::new();
    for opp in live(&org, "Opportunity") {
        if opp.get("IsWon") != Some(&Value::Bool(true)) {
            continue;
        }
        let Some(Value::Date(date)) = opp.get("CloseDate") else {
            continue;
        };
        let month = date.month();
        let fiscal_year = if month >= 2 {
            date.year() + 1
        } else {
            date.year()
        };
        let fiscal_quarter = (month + 12 - 2) % 12 / 3 + 1;
        let ind = text(&opp, "AccountId")
            .and_then(|id| industry.get(&id).cloned().flatten())
            .unwrap_or_default();
        let e = expected
            .entry((ind, fiscal_year, fiscal_quarter))
            .or_default();
        e.0 += number(&opp, "Amount").unwrap_or(0.0);
        e.1 += 1;
    }
    let rows = csv_rows(&dir.path().join("out/won_by_industry.csv"));
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        let key = (
            row[0].clone(),
            row[1].parse().expect("year"),
            row[2].parse().expect("quarter"),
        );
        let (sum, deals) = expected
            .get(&key)
            .unwrap_or_else(|| panic!("unexpected group {row:?}"));
        assert_eq!(row[4], deals.to_string(), "{row:?}");
        let got: f64 = row[3].parse().unwrap_or(0.0);
        assert!(close(got, *sum), "{row:?} vs {sum}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_flattened_by_interest() {
    let org = org(60).await;
    let (dir, recipe) = example("contacts_by_interest.recipe.yaml", &org, &org);
    run(&recipe).await;
    let contacts = live(&org, "Contact");
    let mut pairs: Vec<(String, Option<String>)> = Vec::new();
    for c in &contacts {
        match text(c, "Interests__c") {
            None => pairs.push((c.id().to_owned(), None)),
            Some(list) => pairs.extend(
                list.split(';')
                    .map(|i| (c.id().to_owned(), Some(i.to_owned()))),
            ),
        }
    }
    assert!(
        pairs.len() > contacts.len(),
        "some contacts have several interests"
    );
    let batches = read_parquet(&dir.path().join("out/contact_interests.parquet"));
    let mut got: Vec<(String, Option<String>)> = texts(&batches, "Id")
        .into_iter()
        .map(Option::unwrap_or_default)
        .zip(texts(&batches, "interest"))
        .collect();
    got.sort();
    pairs.sort();
    assert_eq!(got, pairs);

    let mut per: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for (id, interest) in &pairs {
        per.entry(interest.clone().unwrap_or_default())
            .or_default()
            .insert(id.clone());
    }
    let rows = csv_rows(&dir.path().join("out/contacts_by_interest.csv"));
    let got: BTreeMap<String, usize> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().expect("count")))
        .collect();
    let want: BTreeMap<String, usize> = per.into_iter().map(|(k, v)| (k, v.len())).collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_appended_from_two_connections() {
    let main = org(30).await;
    let eu = EmulatedOrg::builder()
        .rows(20)
        .seed(99)
        .start()
        .await
        .expect("second org");
    let (dir, recipe) = example("accounts_two_orgs.recipe.yaml", &main, &eu);
    run(&recipe).await;
    let batches = read_parquet(&dir.path().join("out/all_accounts.parquet"));
    let main_accounts = live(&main, "Account");
    let eu_accounts = live(&eu, "Account");
    assert_eq!(row_count(&batches), main_accounts.len() + eu_accounts.len());
    let sources = texts(&batches, "source");
    let ids = texts(&batches, "Id");
    let revenue = texts(&batches, "AnnualRevenue");
    let country = texts(&batches, "BillingCountry");
    let by_id_main: HashMap<&str, _> = main_accounts.iter().map(|a| (a.id(), a)).collect();
    let by_id_eu: HashMap<&str, _> = eu_accounts.iter().map(|a| (a.id(), a)).collect();
    for i in 0..ids.len() {
        let id = ids[i].as_deref().expect("id");
        match sources[i].as_deref() {
            Some("main") => {
                let a = by_id_main[id];
                assert!(country[i].is_none(), "main rows have no BillingCountry");
                let want = number(a, "AnnualRevenue");
                let got = revenue[i]
                    .as_deref()
                    .map(|r| r.parse::<f64>().expect("number"));
                assert_eq!(got.is_some(), want.is_some());
                if let (Some(g), Some(w)) = (got, want) {
                    assert!(close(g, w));
                }
            }
            Some("eu") => {
                let a = by_id_eu[id];
                assert!(revenue[i].is_none(), "eu rows have no AnnualRevenue");
                assert_eq!(country[i], text(a, "BillingCountry"));
            }
            other => panic!("unexpected source {other:?}"),
        }
    }
}
