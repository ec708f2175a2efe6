//! aggregate measures and pivot, window, bucket, split, date_parts, cast and select on the
//! emulated org's data, checked against values computed here from its records.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Datelike;
use sfdf_emulator::{SObject, Value};

use super::{close, folder, number, read_parquet, run, text, write};
use crate::support::{live, org, texts};

/// Column `name` parsed as numbers (null = `None`).
fn numbers(batches: &[datafusion::arrow::array::RecordBatch], name: &str) -> Vec<Option<f64>> {
    texts(batches, name)
        .into_iter()
        .map(|t| {
            t.map(|t| {
                t.parse()
                    .unwrap_or_else(|_| panic!("{name}: {t} is a number"))
            })
        })
        .collect()
}

fn same(got: Option<f64>, want: Option<f64>) -> bool {
    match (got, want) {
        (Some(g), Some(w)) => close(g, w),
        (None, None) => true,
        _ => false,
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn sample_variance(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    Some(values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregate_measures_and_pivot_match_the_records() {
    let org = org(100).await;
    let dir = folder(Some(&org));
    let recipe = write(
        dir.path(),
        "stats.yaml",
        r#"
name: stats
connections: { org: org.yaml }
nodes:
  opps: { load: { connection: org, object: Opportunity, columns: [AccountId, StageName, Amount] } }
  stats:
    aggregate:
      input: opps
      group_by: [StageName]
      measures:
        total: "sum(Amount)"
        average: "avg(Amount)"
        n: "count(*)"
        accounts: "count(DISTINCT AccountId)"
        low: "min(Amount)"
        high: "max(Amount)"
        middle: "median(Amount)"
        spread: "stddev(Amount)"
        variance: "var(Amount)"
  pivoted:
    aggregate:
      input: opps
      group_by: [AccountId]
      measures: { amount: "sum(Amount)", deals: "count(*)" }
      pivot: { column: StageName, values: [Prospecting, Closed Won] }
  o1: { output: { input: stats, path: stats.parquet } }
  o2: { output: { input: pivoted, path: pivoted.parquet } }
"#,
    );
    run(&recipe).await;
    let opps = live(&org, "Opportunity");
    let mut by_stage: BTreeMap<Option<String>, Vec<&SObject>> = BTreeMap::new();
    for o in &opps {
        by_stage.entry(text(o, "StageName")).or_default().push(o);
    }
    let batches = read_parquet(&dir.path().join("stats.parquet"));
    let stages = texts(&batches, "StageName");
    assert_eq!(stages.len(), by_stage.len());
    let column = |name: &str| numbers(&batches, name);
    let (total, average, n, accounts) = (
        column("total"),
        column("average"),
        column("n"),
        column("accounts"),
    );
    let (low, high, middle, spread, variance) = (
        column("low"),
        column("high"),
        column("middle"),
        column("spread"),
        column("variance"),
    );
    for (i, stage) in stages.iter().enumerate() {
        let rows = &by_stage[stage];
        let mut amounts: Vec<f64> = rows.iter().filter_map(|o| number(o, "Amount")).collect();
        let sum = (!amounts.is_empty()).then(|| amounts.iter().sum::<f64>());
        assert!(same(total[i], sum), "{stage:?} sum");
        assert!(
            same(average[i], sum.map(|s| s / amounts.len() as f64)),
            "{stage:?} avg"
        );
        assert_eq!(n[i], Some(rows.len() as f64));
        let distinct: HashSet<String> = rows.iter().filter_map(|o| text(o, "AccountId")).collect();
        assert_eq!(accounts[i], Some(distinct.len() as f64));
        let min = amounts.iter().copied().reduce(f64::min);
        let max = amounts.iter().copied().reduce(f64::max);
        assert!(same(low[i], min) && same(high[i], max), "{stage:?} min/max");
        let var = sample_variance(&amounts);
        assert!(
            same(variance[i], var),
            "{stage:?} var {:?} vs {var:?}",
            variance[i]
        );
        assert!(same(spread[i], var.map(f64::sqrt)), "{stage:?} stddev");
        assert!(same(middle[i], median(&mut amounts)), "{stage:?} median");
    }

    let batches = read_parquet(&dir.path().join("pivoted.parquet"));
    let ids = texts(&batches, "AccountId");
    let prospecting = numbers(&batches, "Prospecting_amount");
    let won = numbers(&batches, "Closed Won_amount");
    let won_deals = numbers(&batches, "Closed Won_deals");
    let mut by_account: HashMap<Option<String>, Vec<&SObject>> = HashMap::new();
    for o in &opps {
        by_account.entry(text(o, "AccountId")).or_default().push(o);
    }
    assert_eq!(ids.len(), by_account.len());
    let sum_of = |rows: &[&SObject], stage: &str| {
        let values: Vec<f64> = rows
            .iter()
            .filter(|o| text(o, "StageName").as_deref() == Some(stage))
            .filter_map(|o| number(o, "Amount"))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>())
    };
    for (i, id) in ids.iter().enumerate() {
        let rows = &by_account[id];
        assert!(same(prospecting[i], sum_of(rows, "Prospecting")), "{id:?}");
        assert!(same(won[i], sum_of(rows, "Closed Won")), "{id:?}");
        let deals = rows
            .iter()
            .filter(|o| text(o, "StageName").as_deref() == Some("Closed Won"))
            .count();
        assert_eq!(won_deals[i], Some(deals as f64));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_functions_follow_partition_and_order() {
    let org = org(80).await;
    let dir = folder(Some(&org));
    let recipe = write(
        dir.path(),
        "window.yaml",
        r#"
name: windows
connections: { org: org.yaml }
nodes:
  opps: { load: { connection: org, object: Opportunity, columns: [Id, AccountId, CloseDate, Amount] } }
  ordered:
    window:
      input: opps
      partition_by: [AccountId]
      order_by: [CloseDate, Id]
      columns: { n: "row_number()", previous: "lag(Amount)", next: "lead(Amount)", running: "sum(Amount)", so_far: "count(*)" }
  ranked:
    window: { input: ordered, partition_by: [AccountId], order_by: [CloseDate desc], columns: { place: "rank()" } }
  out: { output: { input: ranked, path: window.parquet } }
"#,
    );
    run(&recipe).await;
    let opps = live(&org, "Opportunity");
    let mut partitions: HashMap<Option<String>, Vec<&SObject>> = HashMap::new();
    for o in &opps {
        partitions.entry(text(o, "AccountId")).or_default().push(o);
    }
    // Id → (n, previous, next, running, place)
    type Expected = (f64, Option<f64>, Option<f64>, Option<f64>, f64);
    let mut expected: HashMap<String, Expected> = HashMap::new();
    for rows in partitions.values_mut() {
        let date = |o: &SObject| match o.get("CloseDate") {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        };
        rows.sort_by(|a, b| (date(a), a.id()).cmp(&(date(b), b.id())));
        let mut running: Option<f64> = None;
        for (i, o) in rows.iter().enumerate() {
            if let Some(a) = number(o, "Amount") {
                running = Some(running.unwrap_or(0.0) + a);
            }
            let place = 1 + rows.iter().filter(|p| date(p) > date(o)).count();
            expected.insert(
                o.id().to_owned(),
                (
                    (i + 1) as f64,
                    i.checked_sub(1).and_then(|p| number(rows[p], "Amount")),
                    rows.get(i + 1).and_then(|r| number(r, "Amount")),
                    running,
                    place as f64,
                ),
            );
        }
    }
    let batches = read_parquet(&dir.path().join("window.parquet"));
    let ids = texts(&batches, "Id");
    let (n, previous, next) = (
        numbers(&batches, "n"),
        numbers(&batches, "previous"),
        numbers(&batches, "next"),
    );
    let (running, place) = (numbers(&batches, "running"), numbers(&batches, "place"));
    let so_far = numbers(&batches, "so_far");
    assert_eq!(ids.len(), opps.len());
    for (i, id) in ids.iter().enumerate() {
        let want = expected[id.as_deref().expect("id")];
        assert_eq!(n[i], Some(want.0), "{id:?}");
        assert_eq!(
            so_far[i],
            Some(want.0),
            "{id:?}: a running count(*) is the row number"
        );
        assert!(
            same(previous[i], want.1) && same(next[i], want.2),
            "{id:?} lag/lead"
        );
        assert!(
            same(running[i], want.3),
            "{id:?} running {:?} vs {:?}",
            running[i],
            want.3
        );
        assert_eq!(place[i], Some(want.4), "{id:?} rank");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_split_date_parts_cast_and_select_derive_the_expected_columns() {
    let org = org(60).await;
    let dir = folder(Some(&org));
    let recipe = write(
        dir.path(),
        "derive.yaml",
        r#"
name: derive
connections: { org: org.yaml }
nodes:
  opps: { load: { connection: org, object: Opportunity, columns: [Id, Name, StageName, Amount, Probability, CloseDate] } }
  sized:
    bucket:
      input: opps
      column: Amount
      as: size
      ranges: [{ below: 10000, label: small }, { below: 500000, label: medium }]
      otherwise: large
  staged:
    bucket: { input: sized, column: StageName, as: phase, values: { won: [Closed Won], lost: [Closed Lost] }, otherwise: open }
  words: { split: { input: staged, column: Name, separator: " ", into: [first_word, second_word] } }
  dated: { date_parts: { input: words, column: CloseDate, parts: [year, quarter, month, week, day], prefix: d_ } }
  typed: { cast: { input: dated, columns: { Probability: int, Amount: varchar } } }
  picked: { select: { input: typed, columns: [Id, size, phase, first_word, second_word, d_year, d_quarter, d_month, d_week, d_day, Probability, Amount] } }
  out: { output: { input: picked, path: derived.parquet } }
"#,
    );
    run(&recipe).await;
    let batches = read_parquet(&dir.path().join("derived.parquet"));
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "Id",
            "size",
            "phase",
            "first_word",
            "second_word",
            "d_year",
            "d_quarter",
            "d_month",
            "d_week",
            "d_day",
            "Probability",
            "Amount"
        ]
    );
    assert_eq!(
        schema.field(10).data_type(),
        &datafusion::arrow::datatypes::DataType::Int32
    );
    assert!(
        matches!(
            schema.field(11).data_type(),
            datafusion::arrow::datatypes::DataType::Utf8
                | datafusion::arrow::datatypes::DataType::Utf8View
        ),
        "{:?}",
        schema.field(11)
    );
    let by_id: HashMap<String, SObject> = live(&org, "Opportunity")
        .into_iter()
        .map(|o| (o.id().to_owned(), o))
        .collect();
    let column = |name: &str| texts(&batches, name);
    let ids = column("Id");
    let (size, phase) = (column("size"), column("phase"));
    let (first, second) = (column("first_word"), column("second_word"));
    let parts: Vec<Vec<Option<String>>> = ["d_year", "d_quarter", "d_month", "d_week", "d_day"]
        .iter()
        .map(|c| column(c))
        .collect();
    let probability = column("Probability");
    assert_eq!(ids.len(), by_id.len());
    for (i, id) in ids.iter().enumerate() {
        let o = &by_id[id.as_deref().expect("id")];
        let want_size = number(o, "Amount").map(|a| {
            if a < 10000.0 {
                "small"
            } else if a < 500000.0 {
                "medium"
            } else {
                "large"
            }
        });
        assert_eq!(size[i].as_deref(), want_size, "{id:?}");
        let want_phase = text(o, "StageName").map(|s| match s.as_str() {
            "Closed Won" => "won",
            "Closed Lost" => "lost",
            _ => "open",
        });
        assert_eq!(phase[i].as_deref(), want_phase);
        let name = text(o, "Name").unwrap_or_default();
        let mut words = name.split(' ').map(str::to_owned).filter(|w| !w.is_empty());
        assert_eq!(first[i], words.next(), "{name}");
        assert_eq!(second[i], words.next(), "{name}");
        let Some(Value::Date(d)) = o.get("CloseDate") else {
            panic!("CloseDate is required")
        };
        let want = [
            d.year() as u32,
            d.month().div_ceil(3),
            d.month(),
            d.iso_week().week(),
            d.day(),
        ];
        for (part, value) in parts.iter().zip(want) {
            assert_eq!(part[i], Some(value.to_string()), "{id:?} {d}");
        }
        let want_probability = number(o, "Probability").map(|p| (p as i64).to_string());
        assert_eq!(probability[i], want_probability);
    }
}
