//! SOQL (Salesforce Object Query Language): parser, printer, checker and evaluator.
//!
//! A pure crate: no I/O, no global state. It parses what an org parses,
//! prints SOQL that cannot be injected into, checks queries against object
//! metadata with the org's error messages, and evaluates filters and
//! ordering over records the way an org does.
//!
//! # API at a glance
//!
//! | Need | Call |
//! |---|---|
//! | Parse a whole statement | [`parse`]`(&str) -> Result<`[`Query`]`, `[`ParseError`]`>` |
//! | Parse a sync filter (WHERE body) | [`parse_where`]`(&str) -> Result<`[`Expr`]`, ParseError>` |
//! | Print normalized SOQL | `query.to_string()`, `expr.to_string()` (`Display`) |
//! | The org's error text | `err.to_string()` (query row, caret, `ERROR at Row:R:Column:C`, detail); `err.error_code()` |
//! | Check against metadata | [`check`]`(&Query, &dyn `[`Metadata`]`)`, [`check_text`], [`check_where`] |
//! | Evaluate a filter | [`matches`](fn@matches)`(&Expr, &impl `[`Record`]`, &`[`EvalContext`]`) -> Result<bool, `[`EvalError`]`>` |
//! | ORDER BY / LIMIT / OFFSET | [`compare_records`], [`sort_key_order`], [`select_rows`] |
//! | Statement length limit | [`check_length`]`(&str) -> Result<(), `[`TooLong`]`>`, [`MAX_STATEMENT_CHARS`] |
//! | Build queries in code | [`Query::builder`], [`field`], [`Expr::eq`]/[`Expr::in_list`]/[`Expr::like`]/[`Expr::and`]..., [`Literal::string`]/[`Literal::datetime`]... |
//!
//! Syntax tree: [`Query`] has `select: Vec<`[`SelectItem`]`>` (fields and
//! function calls as [`FieldExpr`], `FIELDS(..)`, subqueries, `TYPEOF`),
//! `from` ([`From`]: object + alias), `where_clause`, `with`, `group_by`,
//! `having`, `order_by: Vec<`[`OrderBy`]`>`, `limit`, `offset`, `for_clause`,
//! `update`, `all_rows`. A [`FieldPath`] holds the segments of
//! `Account.Owner.Name`. Every node that errors can point at has a [`Span`];
//! spans never take part in equality, so `parse(&q.to_string()) == Ok(q)`.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use soql::{EvalContext, Expr, Literal, Query, Value, field, matches, parse};
//!
//! let q = parse("select Id, Owner.Name from Account where Name like 'acme%' and NumberOfEmployees > 10")?;
//! assert_eq!(
//!     q.to_string(),
//!     "SELECT Id, Owner.Name FROM Account WHERE Name LIKE 'acme%' AND NumberOfEmployees > 10"
//! );
//!
//! let record: &[(&str, Value)] = &[
//!     ("Name", Value::String("ACME Corp".into())),
//!     ("NumberOfEmployees", Value::Integer(50)),
//! ];
//! let now = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
//! let filter = q.where_clause.as_ref().unwrap();
//! assert!(matches(filter, record, &EvalContext::new(now))?);
//!
//! // Built queries print escaped literals: the value cannot end the string.
//! let built = Query::builder("Account")
//!     .select(["Id"])
//!     .filter(Expr::eq(field("Name")?, Literal::string("x' OR Name != '")))
//!     .limit(10)
//!     .build()?;
//! assert_eq!(built.to_string(), r"SELECT Id FROM Account WHERE Name = 'x\' OR Name != \'' LIMIT 10");
//!
//! let err = parse("SELECT Id FRM Account").unwrap_err();
//! assert_eq!(err.to_string(), "\nSELECT Id FRM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod alias;
mod ast;
mod builder;
mod check;
mod error;
mod eval;
mod lexer;
mod limits;
mod literal;
mod parser;
mod print;
mod span;
mod value;

pub use ast::{
    CategorySelector, CompareOp, Comparison, DataCategoryFilter, Direction, Expr, FieldExpr,
    FieldPath, FieldsKind, ForClause, From, Function, FunctionArg, FunctionCall, FunctionKind,
    GroupBy, GroupingKind, Ident, InCondition, InValues, IncludesCondition, NullsOrder, OrderBy,
    Query, RelationshipAlias, SelectField, SelectItem, TypeOf, TypeOfWhen, UpdateClause, With,
};
pub use builder::{QueryBuilder, field};
pub use check::{
    ChildRelationship, FieldMeta, FieldType, Metadata, ObjectMeta, check, check_text, check_where,
};
pub use error::{Error, ErrorCode, EvalError, ParseError, QueryError};
pub use eval::{
    EvalContext, Subqueries, compare_records, compare_values, field_value, like_matches, matches,
    matches_with_subqueries, select_rows, sort_key_order,
};
pub use limits::{MAX_STATEMENT_CHARS, TooLong, check_length};
pub use literal::{CurrencyCode, Literal, Number, RelativeDate, like_escape};
pub use parser::{parse, parse_where};
pub use span::{Position, Span};
pub use value::{Record, Value};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
