//! Evaluating WHERE, ORDER BY, LIMIT and OFFSET with SOQL semantics.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use soql::{
    EvalContext, EvalError, Query, Record, Subqueries, Value, compare_records, matches, parse,
    parse_where, select_rows,
};

/// A record with nested parents, keyed case-insensitively.
#[derive(Debug, Clone, Default)]
struct Row {
    fields: HashMap<String, Value>,
    parents: HashMap<String, Option<Row>>,
}

impl Row {
    fn new(fields: &[(&str, Value)]) -> Row {
        Row {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.clone()))
                .collect(),
            parents: HashMap::new(),
        }
    }

    fn parent(mut self, name: &str, parent: Option<Row>) -> Row {
        self.parents.insert(name.to_lowercase(), parent);
        self
    }
}

impl Record for Row {
    fn value(&self, path: &[&str]) -> Option<Value> {
        match path {
            [] => None,
            [field] => self.fields.get(&field.to_lowercase()).cloned(),
            [rel, rest @ ..] => match self.parents.get(&rel.to_lowercase())? {
                Some(parent) => parent.value(rest),
                None => Some(Value::Null),
            },
        }
    }
}

fn ctx() -> EvalContext {
    // Wednesday 2024-05-15 12:00 UTC.
    EvalContext::new(
        Utc.with_ymd_and_hms(2024, 5, 15, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}

fn test(filter: &str, row: &Row) -> bool {
    let expr = parse_where(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    matches(&expr, row, &ctx()).unwrap_or_else(|e| panic!("{filter}: {e}"))
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn acme() -> Row {
    Row::new(&[
        ("Id", s("001X")),
        ("Name", s("Acme Corp")),
        ("Industry", Value::Null),
        ("NumberOfEmployees", Value::Integer(250)),
        ("AnnualRevenue", Value::Double(1.5e6)),
        ("IsDeleted", Value::Boolean(false)),
        ("Tags__c", Value::multipicklist("Gold;Partner;EMEA")),
        (
            "Founded__c",
            Value::Date(NaiveDate::from_ymd_opt(1999, 3, 1).unwrap_or_default()),
        ),
        (
            "CreatedDate",
            Value::DateTime(
                Utc.with_ymd_and_hms(2024, 5, 10, 23, 30, 0)
                    .single()
                    .unwrap_or_default(),
            ),
        ),
    ])
    .parent(
        "Owner",
        Some(Row::new(&[
            ("Name", s("Ann")),
            ("IsActive", Value::Boolean(true)),
        ])),
    )
    .parent("Parent", None)
}

#[test]
fn strings_compare_ignoring_case() {
    let r = acme();
    assert!(test("Name = 'ACME CORP'", &r));
    assert!(test("name != 'globex'", &r));
    assert!(test("Name > 'acme a'", &r));
    assert!(test("Name IN ('x', 'acme corp')", &r));
    assert!(!test("Name NOT IN ('x', 'acme corp')", &r));
}

#[test]
fn like_is_case_insensitive_with_wildcards_and_escapes() {
    let r = acme();
    assert!(test("Name LIKE 'acme%'", &r));
    assert!(test("Name LIKE '%CORP'", &r));
    assert!(test("Name LIKE 'Acm_ Corp'", &r));
    assert!(!test("Name LIKE 'Acme'", &r));
    let pct = Row::new(&[("Name", s("100% sure"))]);
    assert!(test(r"Name LIKE '100\% %'", &pct));
    assert!(!test(r"Name LIKE '100\%sure'", &pct));
}

#[test]
fn null_semantics() {
    let r = acme();
    assert!(test("Industry = null", &r));
    assert!(!test("Industry != null", &r));
    // Unlike SQL, a != on an empty field is true and there is no unknown.
    assert!(test("Industry != 'Tech'", &r));
    assert!(!test("Industry = 'Tech'", &r));
    assert!(!test("Industry < 'Tech'", &r));
    assert!(!test("Industry LIKE '%'", &r));
    assert!(test("NOT Industry = 'Tech'", &r));
    assert!(test("Industry NOT IN ('Tech')", &r));
    assert!(test("Industry IN ('Tech', null)", &r));
    // Paths through an empty lookup are null.
    assert!(test("Parent.Name = null", &r));
    assert!(test("Parent.Name = null OR Parent.Name = 'x'", &r));
}

#[test]
fn numbers_booleans_and_relationships() {
    let r = acme();
    assert!(test(
        "NumberOfEmployees > 100 AND NumberOfEmployees <= 250",
        &r
    ));
    assert!(test("NumberOfEmployees = 250.0", &r));
    assert!(test(
        "AnnualRevenue >= 1e6 AND AnnualRevenue < USD2000000",
        &r
    ));
    assert!(test("IsDeleted = false", &r));
    assert!(test("owner.name = 'ann' AND Owner.IsActive = TRUE", &r));
    assert!(test(
        "(Name = 'x' OR NumberOfEmployees > 1) AND NOT (IsDeleted = true)",
        &r
    ));
}

#[test]
fn multipicklists() {
    let r = acme();
    assert!(test("Tags__c INCLUDES ('gold')", &r));
    assert!(test("Tags__c INCLUDES ('Gold;EMEA')", &r));
    assert!(!test("Tags__c INCLUDES ('Gold;APAC')", &r));
    assert!(test("Tags__c INCLUDES ('Gold;APAC', 'Partner')", &r));
    assert!(test("Tags__c EXCLUDES ('APAC')", &r));
    assert!(!test("Tags__c EXCLUDES ('Gold')", &r));
    assert!(test("Tags__c = 'partner;gold;emea'", &r));
    assert!(!test("Tags__c = 'Gold'", &r));
}

#[test]
fn dates_datetimes_and_relative_literals() {
    let r = acme();
    assert!(test("Founded__c < 2000-01-01", &r));
    assert!(test("CreatedDate > 2024-05-10T23:00:00Z", &r));
    assert!(test("CreatedDate < 2024-05-11T02:00:00+02:00", &r));
    assert!(test("CreatedDate = LAST_N_DAYS:7", &r));
    assert!(!test("CreatedDate = LAST_N_DAYS:2", &r));
    assert!(test(
        "CreatedDate = THIS_MONTH AND CreatedDate = THIS_YEAR",
        &r
    ));
    assert!(test("CreatedDate = LAST_WEEK", &r));
    assert!(test("CreatedDate < THIS_WEEK", &r));
    assert!(test("CreatedDate = N_DAYS_AGO:5", &r));
    assert!(test("Founded__c < LAST_N_YEARS:20", &r));
    assert!(test(
        "CALENDAR_YEAR(CreatedDate) = 2024 AND CALENDAR_MONTH(CreatedDate) = 5",
        &r
    ));
    assert!(test(
        "DAY_ONLY(CreatedDate) = 2024-05-10 AND HOUR_IN_DAY(CreatedDate) = 23",
        &r
    ));
    assert!(test("DAY_IN_WEEK(CreatedDate) = 6", &r));
}

#[test]
fn relative_dates_use_the_time_zone_and_fiscal_year() {
    let r = acme();
    // 23:30 UTC on May 10 is already May 11 in Tokyo.
    let tokyo = EvalContext {
        time_zone: chrono_tz::Asia::Tokyo,
        ..ctx()
    };
    let e = parse_where("CreatedDate = N_DAYS_AGO:4").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(matches(&e, &r, &tokyo), Ok(true));
    assert_eq!(matches(&e, &r, &ctx()), Ok(false));
    let e = parse_where("DAY_ONLY(convertTimezone(CreatedDate)) = 2024-05-11")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(matches(&e, &r, &tokyo), Ok(true));
    let fiscal = EvalContext {
        fiscal_year_start_month: 4,
        ..ctx()
    };
    let e = parse_where("CreatedDate = THIS_FISCAL_QUARTER AND FISCAL_QUARTER(CreatedDate) = 1 AND FISCAL_YEAR(CreatedDate) = 2025").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(matches(&e, &r, &fiscal), Ok(true));
}

#[test]
fn mismatches_and_unknown_fields_are_errors() {
    let r = acme();
    let e = parse_where("NumberOfEmployees = 'x'").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        matches(&e, &r, &ctx()),
        Err(EvalError::TypeMismatch { .. })
    ));
    let e = parse_where("Nope = 1").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        matches(&e, &r, &ctx()),
        Err(EvalError::UnknownField {
            path: "Nope".into()
        })
    );
    let e = parse_where("Id IN (SELECT AccountId FROM Contact)").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        matches(&e, &r, &ctx()),
        Err(EvalError::Unsupported { .. })
    ));
}

struct ContactAccounts;

impl Subqueries for ContactAccounts {
    fn values(&self, _query: &Query) -> Result<Vec<Value>, EvalError> {
        Ok(vec![s("001A"), s("001C")])
    }
}

fn accounts() -> Vec<Row> {
    [
        ("001A", Some("beta")),
        ("001B", None),
        ("001C", Some("Alpha")),
        ("001D", Some("alpha")),
        ("001E", Some("Gamma")),
    ]
    .iter()
    .map(|(id, name)| Row::new(&[("Id", s(id)), ("Name", name.map(s).unwrap_or(Value::Null))]))
    .collect()
}

fn ids(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| match r.value(&["Id"]) {
            Some(Value::String(s)) => s,
            _ => String::new(),
        })
        .collect()
}

fn run(text: &str) -> Vec<String> {
    let q = parse(text).unwrap_or_else(|e| panic!("{e}"));
    ids(&select_rows(&q, accounts(), &ctx(), &ContactAccounts).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn order_by_nulls_case_and_stability() {
    assert_eq!(
        run("SELECT Id FROM Account ORDER BY Name"),
        ["001B", "001C", "001D", "001A", "001E"]
    );
    assert_eq!(
        run("SELECT Id FROM Account ORDER BY Name DESC"),
        ["001E", "001A", "001C", "001D", "001B"]
    );
    assert_eq!(
        run("SELECT Id FROM Account ORDER BY Name NULLS LAST"),
        ["001C", "001D", "001A", "001E", "001B"]
    );
    assert_eq!(
        run("SELECT Id FROM Account ORDER BY Name DESC NULLS FIRST, Id DESC"),
        ["001B", "001E", "001A", "001D", "001C"]
    );
}

#[test]
fn where_limit_offset_and_semi_joins() {
    assert_eq!(
        run("SELECT Id FROM Account WHERE Name != null ORDER BY Name LIMIT 2"),
        ["001C", "001D"]
    );
    assert_eq!(
        run("SELECT Id FROM Account ORDER BY Id LIMIT 2 OFFSET 3"),
        ["001D", "001E"]
    );
    assert_eq!(
        run("SELECT Id FROM Account ORDER BY Id OFFSET 10"),
        Vec::<String>::new()
    );
    assert_eq!(
        run("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Id"),
        ["001A", "001C"]
    );
    assert_eq!(
        run("SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Id"),
        ["001B", "001D", "001E"]
    );
}

#[test]
fn compare_records_matches_sorting() {
    let q = parse("SELECT Id FROM Account ORDER BY Name").unwrap_or_else(|e| panic!("{e}"));
    let rows = accounts();
    assert_eq!(
        compare_records(&q.order_by, &rows[1], &rows[0], &ctx()),
        Ok(std::cmp::Ordering::Less)
    );
    assert_eq!(
        compare_records(&q.order_by, &rows[2], &rows[3], &ctx()),
        Ok(std::cmp::Ordering::Equal)
    );
}

/// `f IN (k1, k2, …)` keeps the rows `f = k1 OR f = k2 OR …` keeps (and `NOT IN` the rest),
/// with many keys over many rows: text in other cases and scripts, nulls, integers against
/// decimal literals, `-0` against `0`, dates.
#[test]
fn in_lists_match_the_equivalent_or_chain() {
    let texts = ["Key", "ÉCOLE", "İx", "straße"];
    let rows: Vec<Row> = (0..4000_i64)
        .map(|i| {
            let text = match i % 7 {
                0 => Value::Null,
                1 => s(&format!("key{}", i % 1500)),
                2 => s(&format!("KEY{}", i % 1500)),
                3 => s(&texts[(i % 4) as usize].to_lowercase()),
                _ => s(&format!("other{i}")),
            };
            let number = if i % 11 == 0 {
                Value::Null
            } else {
                Value::Integer(i % 1300 - 5)
            };
            let decimal = match i % 5 {
                0 => Value::Double(-0.0),
                1 => Value::Double((i % 900) as f64 + 0.5),
                2 => Value::Null,
                _ => Value::Double((i % 900) as f64),
            };
            let day = NaiveDate::from_ymd_opt(2024, 1, 1)
                .and_then(|d| d.checked_add_days(chrono::Days::new((i % 1200) as u64)))
                .map_or(Value::Null, Value::Date);
            Row::new(&[
                ("Id", s(&format!("{i:05}"))),
                ("Name", text),
                ("N", number),
                ("D", decimal),
                ("Day", day),
            ])
        })
        .collect();
    let keys: [(&str, Vec<String>); 4] = [
        (
            "Name",
            (0..1000)
                .map(|k| format!("'Key{}'", k * 3 % 1700))
                .chain(texts.iter().map(|t| format!("'{}'", t.to_uppercase())))
                .chain(["null".to_owned()])
                .collect(),
        ),
        (
            "N",
            (0..1000)
                .map(|k| match k % 4 {
                    0 => format!("{}.0", k * 2),
                    1 => format!("{}e0", k),
                    _ => format!("{}", k * 2 - 7),
                })
                .collect(),
        ),
        (
            "D",
            (0..1000)
                .map(|k| match k % 3 {
                    0 => "-0".to_owned(),
                    1 => format!("{}.5", k),
                    _ => format!("{}", k),
                })
                .collect(),
        ),
        (
            "Day",
            (0..1000)
                .map(|k| {
                    NaiveDate::from_ymd_opt(2024, 1, 1)
                        .and_then(|d| d.checked_add_days(chrono::Days::new(k * 2)))
                        .map_or_else(String::new, |d| d.to_string())
                })
                .collect(),
        ),
    ];
    for (field, list) in &keys {
        let or_chain = list
            .iter()
            .map(|k| format!("{field} = {k}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let select = |filter: &str| {
            let q = parse(&format!("SELECT Id FROM Account WHERE {filter}"))
                .unwrap_or_else(|e| panic!("{field}: {e}"));
            ids(&select_rows(&q, rows.clone(), &ctx(), &ContactAccounts)
                .unwrap_or_else(|e| panic!("{field}: {e}")))
        };
        let kept = select(&format!("{field} IN ({})", list.join(", ")));
        assert!(
            (100..3900).contains(&kept.len()),
            "{field}: {} rows kept",
            kept.len()
        );
        assert_eq!(kept, select(&or_chain), "{field} IN");
        assert_eq!(
            select(&format!("{field} NOT IN ({})", list.join(", "))),
            select(&format!("NOT ({or_chain})")),
            "{field} NOT IN"
        );
    }
}

/// A list of mixed kinds goes literal by literal: a match before the first literal of
/// another kind holds, a value that reaches that literal is an error, as with the OR chain.
#[test]
fn mixed_in_lists_fail_where_the_or_chain_fails() {
    for (name, expect_ok) in [("a", true), ("b", false)] {
        let row = Row::new(&[("Name", s(name))]);
        let e = parse_where("Name IN ('A', 5)").unwrap_or_else(|e| panic!("{e}"));
        let or = parse_where("Name = 'A' OR Name = 5").unwrap_or_else(|e| panic!("{e}"));
        let got = matches(&e, &row, &ctx());
        assert_eq!(got, matches(&or, &row, &ctx()));
        assert_eq!(got.is_ok(), expect_ok, "{name}: {got:?}");
    }
}
