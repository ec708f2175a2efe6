//! Property: every generated syntax tree prints to SOQL that parses back to the same tree.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use proptest::prelude::*;
use soql::{
    CategorySelector, CompareOp, Comparison, CurrencyCode, DataCategoryFilter, Direction, Expr,
    FieldExpr, FieldPath, FieldsKind, ForClause, From, Function, FunctionArg, FunctionCall,
    GroupBy, GroupingKind, Ident, InCondition, InValues, IncludesCondition, Literal, NullsOrder,
    Number, OrderBy, Query, RelationshipAlias, RelativeDate, SelectField, SelectItem, Span, TypeOf,
    TypeOfWhen, UpdateClause, With, parse, parse_where,
};

const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES", "NULL",
    "TRUE", "FALSE", "LIMIT", "OFFSET", "ORDER", "GROUP", "HAVING", "WITH", "USING", "TYPEOF",
    "WHEN", "THEN", "ELSE", "END", "ASC", "DESC", "NULLS", "FOR", "UPDATE", "BY", "ALL",
];

fn ident() -> impl Strategy<Value = Ident> {
    "[a-zA-Z][a-zA-Z0-9_]{0,8}"
        .prop_filter("reserved word", |s| {
            !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
        })
        .prop_filter_map("invalid name", |s| Ident::new(&s))
}

fn path() -> impl Strategy<Value = FieldPath> {
    prop::collection::vec(ident(), 1..4).prop_map(|segments| FieldPath {
        segments,
        span: Span::NONE,
    })
}

/// `c.Account a` in a `FROM` list: a path of two or more segments, maybe an alias.
fn relationship_alias() -> impl Strategy<Value = RelationshipAlias> {
    (
        prop::collection::vec(ident(), 2..4),
        prop::option::of(ident()),
    )
        .prop_map(|(segments, alias)| RelationshipAlias {
            path: FieldPath {
                segments,
                span: Span::NONE,
            },
            alias,
        })
}

fn call(function: Function, args: Vec<FunctionArg>) -> FieldExpr {
    FieldExpr::Call(FunctionCall {
        function,
        args,
        span: Span::NONE,
    })
}

fn field_expr() -> impl Strategy<Value = FieldExpr> {
    let date_fns: Vec<Function> = Function::ALL
        .iter()
        .copied()
        .filter(|f| f.kind() == soql::FunctionKind::Date)
        .collect();
    prop_oneof![
        3 => path().prop_map(FieldExpr::Path),
        1 => (prop::sample::select(date_fns), path(), any::<bool>()).prop_map(|(f, p, tz)| {
            let inner = FieldExpr::Path(p);
            let inner = if tz { call(Function::ConvertTimezone, vec![FunctionArg::Field(inner)]) } else { inner };
            call(f, vec![FunctionArg::Field(inner)])
        }),
        1 => (prop::sample::select(vec![Function::ToLabel, Function::Format, Function::ConvertCurrency, Function::Max, Function::Sum]), path())
            .prop_map(|(f, p)| call(f, vec![FunctionArg::Field(FieldExpr::Path(p))])),
    ]
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_filter_map("int", |i| Number::parse(&i.to_string())),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
    ]
}

fn datetime() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (
        -200_000i64..200_000,
        0u32..86_400,
        prop_oneof![
            Just(0u32),
            (0u32..1000).prop_map(|m| m * 1_000_000),
            0u32..1_000_000_000
        ],
        -(14 * 60)..(14 * 60i32),
    )
        .prop_filter_map("valid datetime", |(days, secs, nanos, offset_min)| {
            let date = NaiveDate::from_ymd_opt(2000, 1, 1)?
                .checked_add_signed(chrono::Duration::days(days))?;
            let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)?;
            let offset = FixedOffset::east_opt(offset_min * 60)?;
            NaiveDateTime::new(date, time)
                .and_local_timezone(offset)
                .single()
        })
}

fn relative() -> impl Strategy<Value = RelativeDate> {
    let all: Vec<RelativeDate> = RelativeDate::FIXED
        .iter()
        .chain(RelativeDate::COUNTED)
        .copied()
        .collect();
    (prop::sample::select(all), 0u32..100_000).prop_map(|(r, n)| r.with_count(n))
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        1 => Just(Literal::Null),
        1 => any::<bool>().prop_map(Literal::Boolean),
        1 => number().prop_map(Literal::Number),
        3 => any::<String>().prop_map(Literal::String),
        1 => (-100_000i64..100_000).prop_filter_map("date", |d| NaiveDate::from_ymd_opt(2000, 1, 1)?
            .checked_add_signed(chrono::Duration::days(d)).map(Literal::Date)),
        1 => datetime().prop_map(Literal::DateTime),
        1 => relative().prop_map(Literal::Relative),
        1 => ("[A-Z]{3}", 0u64..10_000_000, prop::option::of(0u32..100)).prop_filter_map("currency", |(c, a, frac)| {
            let amount = match frac { Some(f) => format!("{a}.{f}"), None => a.to_string() };
            Some(Literal::Currency { code: CurrencyCode::new(&c)?, amount: Number::parse(&amount)? })
        }),
    ]
}

/// A LIKE pattern in pattern syntax: escapes only before `%`, `_` and `\`.
fn like_pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[^\\\\]{0,4}",
            Just("%".to_owned()),
            Just("_".to_owned()),
            Just(r"\%".to_owned()),
            Just(r"\_".to_owned()),
            Just(r"\\".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn leaf(subquery: Option<BoxedStrategy<Query>>) -> BoxedStrategy<Expr> {
    let compare = (field_expr(), op(), literal()).prop_map(|(lhs, op, value)| {
        Expr::Compare(Comparison {
            lhs,
            op,
            value,
            value_span: Span::NONE,
            span: Span::NONE,
        })
    });
    let like = (field_expr(), like_pattern()).prop_map(|(lhs, p)| {
        Expr::Compare(Comparison {
            lhs,
            op: CompareOp::Like,
            value: Literal::String(p),
            value_span: Span::NONE,
            span: Span::NONE,
        })
    });
    let list = (
        field_expr(),
        any::<bool>(),
        prop::collection::vec(literal(), 1..4),
    )
        .prop_map(|(lhs, negated, v)| {
            Expr::In(InCondition {
                lhs,
                negated,
                values: InValues::List(v),
                span: Span::NONE,
            })
        });
    let includes = (
        field_expr(),
        any::<bool>(),
        prop::collection::vec(any::<String>(), 1..3),
    )
        .prop_map(|(lhs, excludes, v)| {
            Expr::Includes(IncludesCondition {
                lhs,
                excludes,
                values: v.into_iter().map(Literal::String).collect(),
                span: Span::NONE,
            })
        });
    match subquery {
        Some(sub) => {
            let semi = (path(), any::<bool>(), sub).prop_map(|(p, negated, q)| {
                Expr::In(InCondition {
                    lhs: FieldExpr::Path(p),
                    negated,
                    values: InValues::Subquery(Box::new(q)),
                    span: Span::NONE,
                })
            });
            prop_oneof![4 => compare, 1 => like, 1 => list, 1 => includes, 1 => semi].boxed()
        }
        None => prop_oneof![4 => compare, 1 => like, 1 => list, 1 => includes].boxed(),
    }
}

fn expr(subquery: Option<BoxedStrategy<Query>>) -> BoxedStrategy<Expr> {
    leaf(subquery)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
        .boxed()
}

fn with() -> impl Strategy<Value = With> {
    let selector = prop::sample::select(vec![
        CategorySelector::At,
        CategorySelector::Above,
        CategorySelector::Below,
        CategorySelector::AboveOrBelow,
    ]);
    let filter = (ident(), selector, prop::collection::vec(ident(), 1..3)).prop_map(
        |(group, selector, categories)| DataCategoryFilter {
            group,
            selector,
            categories,
        },
    );
    prop_oneof![
        Just(With::SecurityEnforced),
        Just(With::UserMode),
        Just(With::SystemMode),
        prop::collection::vec(filter, 1..3).prop_map(With::DataCategory),
    ]
}

fn order_by() -> impl Strategy<Value = OrderBy> {
    (
        field_expr(),
        prop::option::of(prop::sample::select(vec![Direction::Asc, Direction::Desc])),
        prop::option::of(prop::sample::select(vec![
            NullsOrder::First,
            NullsOrder::Last,
        ])),
    )
        .prop_map(|(expr, direction, nulls)| OrderBy {
            expr,
            direction,
            nulls,
        })
}

/// A query; `depth` 0 has no subqueries.
fn query(depth: u32) -> BoxedStrategy<Query> {
    let sub = if depth == 0 {
        None
    } else {
        Some(query(depth - 1))
    };
    let plain_item = (field_expr(), prop::option::of(ident()))
        .prop_map(|(expr, alias)| SelectItem::Field(SelectField { expr, alias }));
    let count = prop::option::of(path()).prop_map(|p| {
        SelectItem::Field(SelectField {
            expr: call(
                Function::Count,
                p.map(|p| vec![FunctionArg::Field(FieldExpr::Path(p))])
                    .unwrap_or_default(),
            ),
            alias: None,
        })
    });
    let fields = prop::sample::select(vec![
        FieldsKind::All,
        FieldsKind::Standard,
        FieldsKind::Custom,
    ])
    .prop_map(|k| SelectItem::Fields(k, Span::NONE));
    let type_of = (
        ident(),
        prop::collection::vec((ident(), prop::collection::vec(path(), 1..3)), 1..3),
        prop::option::of(prop::collection::vec(path(), 1..3)),
    )
        .prop_map(|(field, when, otherwise)| {
            SelectItem::TypeOf(TypeOf {
                field,
                when: when
                    .into_iter()
                    .map(|(object, fields)| TypeOfWhen { object, fields })
                    .collect(),
                otherwise,
                span: Span::NONE,
            })
        });
    let item = match &sub {
        Some(s) => {
            // A child subquery may name its relationship through the outer object.
            let child = (s.clone(), prop::option::of(ident())).prop_map(|(mut q, parent)| {
                q.from.parent = parent;
                SelectItem::Subquery(Box::new(q))
            });
            prop_oneof![6 => plain_item, 1 => count, 1 => fields, 1 => type_of, 1 => child].boxed()
        }
        None => prop_oneof![6 => plain_item, 1 => count, 1 => fields, 1 => type_of].boxed(),
    };
    let group_by = (
        prop::sample::select(vec![
            GroupingKind::Plain,
            GroupingKind::Rollup,
            GroupingKind::Cube,
        ]),
        prop::collection::vec(field_expr(), 1..3),
    )
        .prop_map(|(kind, keys)| GroupBy { kind, keys });
    (
        (
            prop::collection::vec(item, 1..4),
            ident(),
            prop::option::of(ident()),
            prop::option::of(ident()),
            prop::collection::vec(relationship_alias(), 0..3),
        ),
        (
            prop::option::of(expr(sub.clone())),
            prop::option::of(with()),
            prop::option::of(group_by),
            prop::option::of(expr(None)),
        ),
        (
            prop::collection::vec(order_by(), 0..3),
            prop::option::of(any::<u64>()),
            prop::option::of(any::<u64>()),
        ),
        (
            prop::option::of(prop::sample::select(vec![
                ForClause::View,
                ForClause::Reference,
                ForClause::Update,
            ])),
            prop::option::of(prop::sample::select(vec![
                UpdateClause::Tracking,
                UpdateClause::Viewstat,
            ])),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (select, object, alias, using_scope, relationships),
                (where_clause, with, group_by, having),
                (order_by, limit, offset),
                (for_clause, update, all_rows),
            )| Query {
                select,
                from: From {
                    alias,
                    relationships,
                    ..From::object(object)
                },
                using_scope,
                where_clause,
                with,
                group_by,
                having,
                order_by,
                limit,
                offset,
                for_clause,
                update,
                all_rows,
                span: Span::NONE,
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn queries_round_trip(q in query(1)) {
        let printed = q.to_string();
        let parsed = parse(&printed);
        prop_assert!(parsed.is_ok(), "{printed}\n{}", parsed.err().map(|e| e.to_string()).unwrap_or_default());
        let parsed = parsed.unwrap_or_else(|_| q.clone());
        prop_assert_eq!(&parsed, &q, "{}", printed);
        prop_assert_eq!(parsed.to_string(), printed);
        // Writing the aliases out keeps the query valid and leaves none behind.
        let unaliased = q.unaliased();
        prop_assert!(unaliased.from.alias.is_none() && unaliased.from.relationships.is_empty());
        let printed = unaliased.to_string();
        let parsed = parse(&printed);
        prop_assert!(parsed.is_ok(), "{printed}\n{}", parsed.err().map(|e| e.to_string()).unwrap_or_default());
    }

    #[test]
    fn conditions_round_trip(e in expr(None)) {
        let printed = e.to_string();
        let parsed = parse_where(&printed);
        prop_assert_eq!(parsed.ok(), Some(e), "{}", printed);
    }

    /// No string value can change the structure of a built query.
    #[test]
    fn string_values_cannot_inject(value in any::<String>()) {
        let built = Query::builder("Account")
            .select(["Id"])
            .filter(Expr::eq(soql::field("Name").map_err(|e| TestCaseError::fail(e.to_string()))?, Literal::string(value.clone())))
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = parse(&built.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Some(Expr::Compare(c)) = &parsed.where_clause else {
            return Err(TestCaseError::fail("structure changed"));
        };
        prop_assert_eq!(&c.value, &Literal::String(value));
        prop_assert_eq!(parsed, built);
    }
}
