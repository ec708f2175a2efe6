//! Building queries in code.

use chrono::{NaiveDate, TimeZone, Utc};
use soql::{Direction, Error, Expr, Literal, NullsOrder, Query, field, like_escape, parse};

fn f(path: &str) -> soql::FieldPath {
    field(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn builds_an_incremental_window() {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let end = Utc
        .timestamp_millis_opt(1_706_745_600_123)
        .single()
        .unwrap_or_default();
    let q = Query::builder("Account")
        .select(["Id", "Name", "Owner.Name"])
        .filter(Expr::ge(f("SystemModstamp"), Literal::datetime(start)))
        .filter(Expr::lt(f("SystemModstamp"), Literal::datetime(end)))
        .order_by("SystemModstamp", Direction::Asc, Some(NullsOrder::Last))
        .limit(2000)
        .build();
    let q = q.unwrap_or_else(|e| panic!("{e}"));
    let text = q.to_string();
    assert_eq!(
        text,
        "SELECT Id, Name, Owner.Name FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND SystemModstamp < 2024-02-01T00:00:00.123Z ORDER BY SystemModstamp ASC NULLS LAST LIMIT 2000"
    );
    assert_eq!(parse(&text).ok(), Some(q));
}

#[test]
fn all_constructors_print_valid_soql() {
    let e = Expr::all([
        Expr::eq(f("Name"), Literal::string("O'Brien \\ \n")),
        Expr::ne(f("Amount"), Literal::integer(-5)),
        Expr::gt(
            f("Score__c"),
            Literal::decimal(2.5).unwrap_or(Literal::Null),
        ),
        Expr::le(
            f("CloseDate"),
            Literal::date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default()),
        ),
        Expr::is_null(f("ParentId")).or(Expr::is_not_null(f("Parent.Name"))),
        Expr::like(f("Name"), format!("{}%", like_escape("50%_off"))),
        Expr::in_list(f("Industry"), vec![Literal::string("a"), Literal::Null])
            .unwrap_or(Expr::And(vec![])),
        Expr::not_in_list(f("Id"), vec![Literal::string("001")]).unwrap_or(Expr::And(vec![])),
        Expr::includes(f("Tags__c"), vec!["a;b".into()], true).unwrap_or(Expr::And(vec![])),
        Expr::eq(f("IsDeleted"), Literal::boolean(false)).not(),
    ]);
    let e = e.unwrap_or(Expr::And(vec![]));
    assert_eq!(
        e.to_string(),
        r"Name = 'O\'Brien \\ \n' AND Amount != -5 AND Score__c > 2.5 AND CloseDate <= 2024-02-29 AND (ParentId = NULL OR Parent.Name != NULL) AND Name LIKE '50\%\_off%' AND Industry IN ('a', NULL) AND Id NOT IN ('001') AND Tags__c EXCLUDES ('a;b') AND NOT IsDeleted = FALSE"
    );
    assert_eq!(soql::parse_where(&e.to_string()).ok(), Some(e));
}

#[test]
fn bad_names_and_empty_lists_are_errors() {
    assert!(matches!(
        field("Name; DROP"),
        Err(Error::InvalidName { .. })
    ));
    assert!(matches!(
        field("Account..Name"),
        Err(Error::InvalidName { .. })
    ));
    let err = Query::builder("Account WHERE x")
        .select(["Id"])
        .build()
        .err();
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("invalid object name 'Account WHERE x'")
    );
    assert!(Query::builder("Account").build().is_err());
    assert!(
        Query::builder("Account")
            .select(["Id, Name"])
            .build()
            .is_err()
    );
    assert!(matches!(
        Expr::in_list(f("Id"), vec![]),
        Err(Error::EmptyList { .. })
    ));
    assert_eq!(Literal::decimal(f64::INFINITY), None);
}
