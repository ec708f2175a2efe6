//! Snapshot tests of the SOQL each filter becomes.

use std::sync::Arc;

use chrono::NaiveDate;

use datafusion::arrow::datatypes::{Field, TimeUnit};
use datafusion::logical_expr::{col, ident, lit};
use datafusion::prelude::Expr;

use super::*;

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("Id", DataType::Utf8, false),
        Field::new("Name", DataType::Utf8, true),
        Field::new("Industry", DataType::Utf8, true),
        Field::new("AnnualRevenue", DataType::Decimal128(18, 2), true),
        Field::new("NumberOfEmployees", DataType::Int32, true),
        Field::new("IsDeleted", DataType::Boolean, false),
        Field::new("CloseDate", DataType::Date32, true),
        Field::new(
            "CreatedDate",
            DataType::Timestamp(TimeUnit::Millisecond, Some(Arc::from("+00:00"))),
            true,
        ),
        Field::new("Description", DataType::Utf8, true),
    ])
}

/// The printed SOQL and whether it is exact, or `None`.
fn pushed(expr: Expr) -> Option<(String, bool)> {
    let schema = schema();
    let filterable = |name: &str| name != "Description";
    let fields = FilterFields::new(&schema, &filterable);
    to_soql(&expr, &fields).map(|p| (p.condition.to_string(), p.exact))
}

fn exact(soql: &str) -> Option<(String, bool)> {
    Some((soql.to_owned(), true))
}

fn inexact(soql: &str) -> Option<(String, bool)> {
    Some((soql.to_owned(), false))
}

fn date(text: &str) -> Expr {
    let d: NaiveDate = text.parse().expect("test date");
    lit(ScalarValue::Date32(Some(d.to_epoch_days())))
}

fn decimal(v: i128) -> Expr {
    lit(ScalarValue::Decimal128(Some(v), 18, 2))
}

#[test]
fn text_equality_is_inexact_because_soql_ignores_case() {
    assert_eq!(
        pushed(ident("Industry").eq(lit("Energy"))),
        inexact("Industry = 'Energy'")
    );
    assert_eq!(
        pushed(lit("Energy").eq(ident("Industry"))),
        inexact("Industry = 'Energy'")
    );
    assert_eq!(
        pushed(ident("Industry").in_list(vec![lit("Energy"), lit("Retail")], false)),
        inexact("Industry IN ('Energy', 'Retail')")
    );
}

#[test]
fn text_tests_that_ignoring_case_would_narrow_are_not_pushed() {
    assert_eq!(pushed(ident("Name").not_eq(lit("Acme"))), None);
    assert_eq!(pushed(ident("Name").lt(lit("M"))), None);
    assert_eq!(pushed(ident("Name").in_list(vec![lit("a")], true)), None);
    assert_eq!(pushed(ident("Name").not_like(lit("A%"))), None);
    assert_eq!(
        pushed(Expr::Not(Box::new(ident("Name").eq(lit("A"))))),
        None
    );
}

#[test]
fn numbers_dates_and_datetimes_are_exact() {
    assert_eq!(
        pushed(ident("AnnualRevenue").gt(decimal(100_000_050))),
        exact("AnnualRevenue > 1000000.50")
    );
    assert_eq!(
        pushed(ident("NumberOfEmployees").lt_eq(lit(500i32))),
        exact("NumberOfEmployees <= 500")
    );
    assert_eq!(
        pushed(lit(500i32).lt(ident("NumberOfEmployees"))),
        exact("NumberOfEmployees > 500")
    );
    assert_eq!(
        pushed(ident("CloseDate").gt_eq(date("2024-01-31"))),
        exact("CloseDate >= 2024-01-31")
    );
    let ts = lit(ScalarValue::TimestampMillisecond(
        Some(1_704_067_200_000),
        Some(Arc::from("+00:00")),
    ));
    assert_eq!(
        pushed(ident("CreatedDate").lt(ts)),
        exact("CreatedDate < 2024-01-01T00:00:00Z")
    );
    let fine = lit(ScalarValue::TimestampNanosecond(
        Some(1_704_067_200_000_000_001),
        None,
    ));
    assert_eq!(pushed(ident("CreatedDate").lt(fine)), None);
}

#[test]
fn not_equal_and_not_in_exclude_nulls_as_sql_does() {
    assert_eq!(
        pushed(ident("NumberOfEmployees").not_eq(lit(5i32))),
        exact("NumberOfEmployees != 5 AND NumberOfEmployees != NULL")
    );
    assert_eq!(
        pushed(ident("NumberOfEmployees").in_list(vec![lit(1i32), lit(2i32)], true)),
        exact("NumberOfEmployees NOT IN (1, 2) AND NumberOfEmployees != NULL")
    );
}

#[test]
fn null_tests_booleans_and_between() {
    assert_eq!(
        pushed(ident("Industry").is_null()),
        exact("Industry = NULL")
    );
    assert_eq!(
        pushed(ident("Industry").is_not_null()),
        exact("Industry != NULL")
    );
    assert_eq!(pushed(ident("IsDeleted")), exact("IsDeleted = TRUE"));
    assert_eq!(
        pushed(Expr::Not(Box::new(ident("IsDeleted")))),
        exact("IsDeleted = FALSE")
    );
    assert_eq!(
        pushed(ident("IsDeleted").not_eq(lit(true))),
        exact("IsDeleted = FALSE")
    );
    assert_eq!(
        pushed(ident("CloseDate").between(date("2024-01-01"), date("2024-03-31"))),
        exact("CloseDate >= 2024-01-01 AND CloseDate <= 2024-03-31")
    );
}

#[test]
fn and_or_not_keep_their_structure() {
    assert_eq!(
        pushed(
            ident("NumberOfEmployees")
                .gt(lit(5i32))
                .or(ident("IsDeleted"))
        ),
        exact("NumberOfEmployees > 5 OR IsDeleted = TRUE")
    );
    assert_eq!(
        pushed(
            ident("Industry")
                .eq(lit("Energy"))
                .and(ident("NumberOfEmployees").gt(lit(5i32)))
        ),
        inexact("Industry = 'Energy' AND NumberOfEmployees > 5")
    );
    assert_eq!(
        pushed(Expr::Not(Box::new(
            ident("NumberOfEmployees").gt(lit(5i32))
        ))),
        // SOQL takes NOT before a single comparison; the printer adds parentheses only
        // around AND/OR.
        inexact("NOT NumberOfEmployees > 5")
    );
    assert_eq!(
        pushed(Expr::Not(Box::new(
            ident("NumberOfEmployees")
                .gt(lit(5i32))
                .or(ident("NumberOfEmployees").lt(lit(2i32)))
        ))),
        inexact("NOT (NumberOfEmployees > 5 OR NumberOfEmployees < 2)")
    );
    // One untranslatable side of an AND is dropped, which keeps more rows: inexact.
    assert_eq!(
        pushed(
            ident("NumberOfEmployees")
                .gt(lit(5i32))
                .and(ident("Name").lt(lit("M")))
        ),
        inexact("NumberOfEmployees > 5")
    );
    // ..but an OR needs both sides.
    assert_eq!(
        pushed(
            ident("NumberOfEmployees")
                .gt(lit(5i32))
                .or(ident("Name").lt(lit("M")))
        ),
        None
    );
}

#[test]
fn like_patterns_keep_wildcards_and_escapes() {
    assert_eq!(
        pushed(ident("Name").like(lit("Acme%"))),
        inexact("Name LIKE 'Acme%'")
    );
    assert_eq!(
        pushed(ident("Name").ilike(lit("a_c%"))),
        inexact("Name LIKE 'a_c%'")
    );
    assert_eq!(
        pushed(ident("Name").like(lit(r"50\%\a"))),
        inexact(r"Name LIKE '50\%a'")
    );
}

#[test]
fn date_parts_of_date_fields_become_date_functions() {
    use datafusion::functions::expr_fn::date_part;
    assert_eq!(
        pushed(date_part(lit("year"), ident("CloseDate")).eq(lit(2024i32))),
        exact("CALENDAR_YEAR(CloseDate) = 2024")
    );
    assert_eq!(
        pushed(
            date_part(lit("QUARTER"), ident("CloseDate"))
                .in_list(vec![lit(1i32), lit(2i32)], false)
        ),
        exact("CALENDAR_QUARTER(CloseDate) IN (1, 2)")
    );
    assert_eq!(
        pushed(date_part(lit("month"), ident("CloseDate")).not_eq(lit(3i32))),
        exact("CALENDAR_MONTH(CloseDate) != 3 AND CloseDate != NULL")
    );
    // SOQL numbers weekdays from Sunday = 1, and may use the user's time zone for datetimes.
    assert_eq!(
        pushed(date_part(lit("dow"), ident("CloseDate")).eq(lit(1i32))),
        None
    );
    assert_eq!(
        pushed(date_part(lit("year"), ident("CreatedDate")).eq(lit(2024i32))),
        None
    );
}

#[test]
fn what_soql_cannot_say_is_not_pushed() {
    assert_eq!(pushed(ident("Name").eq(ident("Industry"))), None);
    assert_eq!(
        pushed(ident("Description").eq(lit("x"))),
        None,
        "not filterable"
    );
    assert_eq!(pushed(ident("Nope").eq(lit(1))), None);
    assert_eq!(
        pushed((ident("NumberOfEmployees") + lit(1i32)).gt(lit(5i32))),
        None
    );
    assert_eq!(pushed(ident("NumberOfEmployees").gt(lit(f64::NAN))), None);
    assert_eq!(pushed(col("x").eq(lit(ScalarValue::Int32(None)))), None);
}

#[test]
fn string_values_cannot_change_the_soql_structure() {
    let attack = "x' OR Name != '";
    let (soql, _) = pushed(ident("Name").eq(lit(attack))).expect("pushed");
    assert_eq!(soql, r"Name = 'x\' OR Name != \''");
    let parsed = soql::parse_where(&soql).expect("printed SOQL parses");
    match parsed {
        Soql::Compare(c) => assert_eq!(c.value, Literal::string(attack)),
        other => panic!("structure changed: {other:?}"),
    }
    let (soql, _) = pushed(ident("Name").like(lit("%\\' OR Name LIKE '%"))).expect("pushed");
    assert!(
        matches!(soql::parse_where(&soql), Ok(Soql::Compare(_))),
        "{soql}"
    );
}
