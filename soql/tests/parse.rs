//! One test per construct: what the parser builds.

use soql::{
    CompareOp, Direction, Expr, FieldExpr, FieldsKind, ForClause, Function, GroupingKind, InValues,
    Literal, NullsOrder, RelativeDate, SelectItem, UpdateClause, With, parse, parse_where,
};

fn q(text: &str) -> soql::Query {
    match parse(text) {
        Ok(q) => q,
        Err(e) => panic!("{text} should parse: {e}"),
    }
}

fn w(text: &str) -> Expr {
    match parse_where(text) {
        Ok(e) => e,
        Err(e) => panic!("{text} should parse: {e}"),
    }
}

fn compare(e: &Expr) -> &soql::Comparison {
    match e {
        Expr::Compare(c) => c,
        other => panic!("not a comparison: {other:?}"),
    }
}

#[test]
fn select_list_paths_aliases_and_functions() {
    let query = q("SELECT Id, Account.Owner.Name, COUNT(Id) total, COUNT() FROM Contact");
    assert_eq!(query.select.len(), 4);
    let paths: Vec<String> = query.selected_paths().map(|p| p.to_string()).collect();
    assert_eq!(paths, ["Id", "Account.Owner.Name", "Id"]);
    let SelectItem::Field(f) = &query.select[2] else {
        panic!("field expected")
    };
    assert_eq!(f.alias.as_ref().map(|a| a.name()), Some("total"));
    let FieldExpr::Call(call) = &f.expr else {
        panic!("call expected")
    };
    assert_eq!(call.function, Function::Count);
    let SelectItem::Field(f) = &query.select[3] else {
        panic!("field expected")
    };
    assert!(matches!(&f.expr, FieldExpr::Call(c) if c.args.is_empty()));
    assert!(query.is_aggregate());
    assert_eq!(query.from.object.name(), "Contact");
}

#[test]
fn keywords_are_case_insensitive_and_names_keep_their_case() {
    let query = q("select id from account where name = 'x' order by name desc nulls last limit 5");
    assert_eq!(query.from.object.name(), "account");
    assert_eq!(query.order_by[0].direction, Some(Direction::Desc));
    assert_eq!(query.order_by[0].nulls, Some(NullsOrder::Last));
    assert_eq!(query.limit, Some(5));
    assert_eq!(
        query.to_string(),
        "SELECT id FROM account WHERE name = 'x' ORDER BY name DESC NULLS LAST LIMIT 5"
    );
}

#[test]
fn fields_typeof_and_subqueries() {
    let query = q(
        "SELECT FIELDS(STANDARD), TYPEOF What WHEN Account THEN Phone ELSE Name END, (SELECT Id FROM Contacts LIMIT 1) FROM Event",
    );
    assert!(matches!(
        query.select[0],
        SelectItem::Fields(FieldsKind::Standard, _)
    ));
    let SelectItem::TypeOf(t) = &query.select[1] else {
        panic!("typeof expected")
    };
    assert_eq!(t.field.name(), "What");
    assert_eq!(t.when[0].object.name(), "Account");
    assert_eq!(t.otherwise.as_ref().map(Vec::len), Some(1));
    let SelectItem::Subquery(sub) = &query.select[2] else {
        panic!("subquery expected")
    };
    assert_eq!(sub.from.object.name(), "Contacts");
    assert_eq!(sub.limit, Some(1));
}

#[test]
fn from_alias_scope_with_group_having_for_update_all_rows() {
    let query = q(
        "SELECT a.Name, COUNT(Id) FROM Account a USING SCOPE Mine WHERE a.Name != null WITH SECURITY_ENFORCED GROUP BY CUBE(a.Name) HAVING COUNT(Id) > 1 LIMIT 3 OFFSET 1 FOR VIEW UPDATE TRACKING ALL ROWS",
    );
    assert_eq!(query.from.alias.as_ref().map(|a| a.name()), Some("a"));
    assert_eq!(query.using_scope.as_ref().map(|s| s.name()), Some("Mine"));
    assert_eq!(query.with, Some(With::SecurityEnforced));
    assert_eq!(
        query.group_by.as_ref().map(|g| g.kind),
        Some(GroupingKind::Cube)
    );
    assert!(query.having.is_some());
    assert_eq!((query.limit, query.offset), (Some(3), Some(1)));
    assert_eq!(query.for_clause, Some(ForClause::View));
    assert_eq!(query.update, Some(UpdateClause::Tracking));
    assert!(query.all_rows);
}

#[test]
fn with_data_category() {
    let query = q(
        "SELECT Title FROM KnowledgeArticleVersion WITH DATA CATEGORY Geography__c AT (usa__c, uk__c) AND Product__c ABOVE_OR_BELOW phones__c",
    );
    let Some(With::DataCategory(filters)) = &query.with else {
        panic!("data category expected")
    };
    assert_eq!(filters.len(), 2);
    assert_eq!(filters[0].categories.len(), 2);
}

#[test]
fn and_or_not_nesting_and_the_mixing_rule() {
    let e = w("A = 1 AND (B = 2 OR C = 3) AND NOT D = 4");
    let Expr::And(terms) = &e else {
        panic!("and expected")
    };
    assert_eq!(terms.len(), 3);
    assert!(matches!(&terms[1], Expr::Or(t) if t.len() == 2));
    assert!(matches!(&terms[2], Expr::Not(_)));
    let err = parse_where("A = 1 AND B = 2 OR C = 3")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "\nA = 1 AND B = 2 OR C = 3\n                ^\nERROR at Row:1:Column:17\nunexpected token: 'OR'"
        )
    );
    assert!(parse_where("A = 1 OR B = 2 AND C = 3").is_err());
    assert!(parse_where("(A = 1 OR B = 2) AND C = 3").is_ok());
}

#[test]
fn operators() {
    for (text, op) in [
        ("X = 1", CompareOp::Eq),
        ("X != 1", CompareOp::Ne),
        ("X <> 1", CompareOp::Ne),
        ("X < 1", CompareOp::Lt),
        ("X <= 1", CompareOp::Le),
        ("X > 1", CompareOp::Gt),
        ("X >= 1", CompareOp::Ge),
        ("X LIKE 'a%'", CompareOp::Like),
    ] {
        assert_eq!(compare(&w(text)).op, op, "{text}");
    }
}

#[test]
fn in_lists_semi_and_anti_joins() {
    let Expr::In(c) = w("Id NOT IN ('a', 'b')") else {
        panic!("in expected")
    };
    assert!(c.negated);
    assert!(matches!(&c.values, InValues::List(v) if v.len() == 2));
    let Expr::In(c) = w("Id IN (SELECT AccountId FROM Contact WHERE Email != null)") else {
        panic!("in expected")
    };
    assert!(!c.negated);
    assert!(matches!(&c.values, InValues::Subquery(q) if q.from.object.name() == "Contact"));
}

#[test]
fn includes_and_excludes() {
    let Expr::Includes(c) = w("Tags__c EXCLUDES ('a;b', 'c')") else {
        panic!("includes expected")
    };
    assert!(c.excludes);
    assert_eq!(c.values, [Literal::string("a;b"), Literal::string("c")]);
}

#[test]
fn literals() {
    let value = |text: &str| compare(&w(text)).value.clone();
    assert_eq!(value("X = null"), Literal::Null);
    assert_eq!(value("X = TRUE"), Literal::Boolean(true));
    assert_eq!(value("X = false"), Literal::Boolean(false));
    assert_eq!(value("X = -1.5").to_string(), "-1.5");
    assert_eq!(value("X = 1e3").to_string(), "1e3");
    assert_eq!(value("X = USD5000.5").to_string(), "USD5000.5");
    assert!(matches!(value("X = 2024-02-29"), Literal::Date(_)));
    assert_eq!(
        value("X = 2024-01-01T10:00:00.250+05:30").to_string(),
        "2024-01-01T10:00:00.250+05:30"
    );
    assert_eq!(
        value("X = 2024-01-01T10:00:00.000Z").to_string(),
        "2024-01-01T10:00:00Z"
    );
    assert_eq!(
        value("X = LAST_N_DAYS:30"),
        Literal::Relative(RelativeDate::LastNDays(30))
    );
    assert_eq!(
        value("X = this_fiscal_quarter"),
        Literal::Relative(RelativeDate::ThisFiscalQuarter)
    );
}

#[test]
fn every_relative_date_literal_parses() {
    for rel in RelativeDate::FIXED.iter().chain(RelativeDate::COUNTED) {
        let text = format!("CreatedDate = {}", rel.with_count(7));
        assert_eq!(
            compare(&w(&text)).value,
            Literal::Relative(rel.with_count(7)),
            "{text}"
        );
    }
}

#[test]
fn string_escapes() {
    let value = |text: &str| compare(&w(text)).value.clone();
    assert_eq!(
        value(r#"X = 'a\'b\"c\\d\ne\rf\tg\bh\fi\u00e9'"#),
        Literal::string("a'b\"c\\d\ne\rf\tg\u{8}h\u{c}ié")
    );
    // In LIKE, \% and \_ stay escaped so they match a literal % and _.
    assert_eq!(value(r"X LIKE '50\%\_'"), Literal::string(r"50\%\_"));
    assert!(parse_where(r"X = '50\%'").is_err());
    assert!(parse_where(r"X = 'a\qb'").is_err());
}

#[test]
fn date_functions_and_transforms() {
    for f in [
        "CALENDAR_MONTH",
        "CALENDAR_QUARTER",
        "CALENDAR_YEAR",
        "DAY_IN_MONTH",
        "DAY_IN_WEEK",
        "DAY_IN_YEAR",
        "DAY_ONLY",
        "FISCAL_MONTH",
        "FISCAL_QUARTER",
        "FISCAL_YEAR",
        "HOUR_IN_DAY",
        "WEEK_IN_MONTH",
        "WEEK_IN_YEAR",
    ] {
        let e = w(&format!("{f}(convertTimezone(CreatedDate)) = 1"));
        let FieldExpr::Call(c) = &compare(&e).lhs else {
            panic!("call expected")
        };
        assert_eq!(c.function.name(), f);
        assert_eq!(
            compare(&e).lhs.path().map(|p| p.to_string()).as_deref(),
            Some("CreatedDate")
        );
    }
    let query =
        q("SELECT toLabel(Status), convertCurrency(Amount), FORMAT(CloseDate) FROM Opportunity");
    assert_eq!(query.select.len(), 3);
}

#[test]
fn reserved_words_as_objects_and_path_heads() {
    assert_eq!(q("SELECT Id FROM Order").from.object.name(), "Order");
    assert_eq!(
        q("SELECT Group.Name FROM GroupMember")
            .selected_paths()
            .count(),
        1
    );
}

#[test]
fn spans_point_into_the_text() {
    let text = "SELECT Id FROM Account WHERE Name = 'Acme'";
    let query = q(text);
    let Some(filter) = &query.where_clause else {
        panic!("where expected")
    };
    let c = compare(filter);
    assert_eq!(&text[c.span.start..c.span.end], "Name = 'Acme'");
    assert_eq!(&text[c.value_span.start..c.value_span.end], "'Acme'");
    assert_eq!(
        &text[query.from.object.span.start..query.from.object.span.end],
        "Account"
    );
}

#[test]
fn multi_line_queries_report_rows() {
    let err = parse("SELECT Id\nFROM Account\nWHERE Name = = 'x'").err();
    let err = err.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err,
        "\nWHERE Name = = 'x'\n             ^\nERROR at Row:3:Column:14\nunexpected token: '='"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("{}A = 1{}", "(".repeat(5000), ")".repeat(5000));
    let err = parse_where(&text)
        .err()
        .map(|e| e.detail)
        .unwrap_or_default();
    assert!(err.contains("nesting"), "{err}");
    let nots = format!("{}A = 1", "NOT ".repeat(5000));
    assert!(parse_where(&nots).is_err());
}

#[test]
fn printing_never_nests_deeper_than_the_input() {
    // Found by the fuzzer: `NOT (NOT (..))` doubled the nesting of 33 NOTs past the limit.
    let text = format!("{}A = 1", "NOT ".repeat(40));
    let e = w(&text);
    assert_eq!(e.to_string(), text);
    assert_eq!(parse_where(&e.to_string()).ok(), Some(e));
    let e = w("NOT (A = 1 AND NOT (B = 2 OR C = 3))");
    assert_eq!(e.to_string(), "NOT (A = 1 AND NOT (B = 2 OR C = 3))");
}

#[test]
fn from_list_relationship_aliases_and_relationship_subqueries() {
    let query = q("SELECT a.Name FROM Contact c, c.Account a, a.Owner o WHERE o.Name = 'x'");
    assert_eq!(query.from.alias.as_ref().map(|a| a.name()), Some("c"));
    let aliases: Vec<(String, Option<&str>)> = query
        .from
        .relationships
        .iter()
        .map(|r| (r.path.to_string(), r.alias.as_ref().map(|a| a.name())))
        .collect();
    assert_eq!(
        aliases,
        [
            ("c.Account".to_owned(), Some("a")),
            ("a.Owner".to_owned(), Some("o"))
        ]
    );
    let sub = q("SELECT Name, (SELECT Name FROM Account.Opportunities) FROM Account");
    let SelectItem::Subquery(inner) = &sub.select[1] else {
        panic!("not a subquery: {:?}", sub.select[1]);
    };
    assert_eq!(
        inner.from.parent.as_ref().map(|p| p.name()),
        Some("Account")
    );
    assert_eq!(inner.from.object.name(), "Opportunities");
}

#[test]
fn unaliased_writes_every_path_from_the_object() {
    let query = q(
        "SELECT c.Id, a.Name, COUNT(o.Id) FROM Contact c, c.Account a, a.Owner o WHERE o.Name = 'x' AND c.Email != null GROUP BY a.Name ORDER BY a.Name",
    );
    assert_eq!(
        query.unaliased().to_string(),
        "SELECT Id, Account.Name, COUNT(Account.Owner.Id) FROM Contact WHERE Account.Owner.Name = 'x' AND Email != NULL GROUP BY Account.Name ORDER BY Account.Name"
    );
    let nested = q(
        "SELECT a.Name, (SELECT c.LastName FROM a.Contacts c) FROM Account a WHERE a.Id IN (SELECT x.AccountId FROM Contact x)",
    );
    assert_eq!(
        nested.unaliased().to_string(),
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id IN (SELECT AccountId FROM Contact)"
    );
    // A lone segment is a field even when it spells an alias.
    assert_eq!(
        q("SELECT a FROM Contact c, c.Account a")
            .unaliased()
            .to_string(),
        "SELECT a FROM Contact"
    );
}

#[test]
fn distinct_and_wrong_function_arguments_say_what_is_wrong() {
    let message = |text: &str| match parse(text) {
        Ok(q) => panic!("{text} should fail, parsed as {q}"),
        Err(e) => e.to_string(),
    };
    assert!(
        message("SELECT DISTINCT Name FROM Account").contains("SOQL has no DISTINCT; use GROUP BY")
    );
    assert!(
        message("SELECT SUM() FROM Opportunity")
            .ends_with("wrong number of arguments to SUM: it takes one argument, got 0")
    );
    assert!(
        message("SELECT COUNT(Id, Name) FROM Account").ends_with(
            "wrong number of arguments to COUNT: it takes no argument or one field, got 2"
        )
    );
    assert!(
        message("SELECT MAX(SUM(Amount)) FROM Opportunity")
            .ends_with("aggregate functions cannot be nested: SUM inside MAX")
    );
    assert!(message("SELECT SUM(5) FROM Opportunity").ends_with("SUM takes a field, not a value"));
    assert!(
        message("SELECT Id FROM Account WHERE CALENDAR_YEAR() = 2024")
            .ends_with("wrong number of arguments to CALENDAR_YEAR: it takes one argument, got 0")
    );
}
