//! Building queries and conditions in code.
//!
//! Names are validated as API names and literals print escaped, so no value
//! passed here can change the structure of the printed SOQL.

use crate::ast::{
    CompareOp, Comparison, Direction, Expr, FieldExpr, FieldPath, From, Ident, InCondition,
    InValues, IncludesCondition, NullsOrder, OrderBy, Query, SelectField, SelectItem,
};
use crate::error::Error;
use crate::literal::Literal;
use crate::span::Span;

/// A field path from `Account.Owner.Name`, or an error naming the bad name.
pub fn field(path: &str) -> Result<FieldPath, Error> {
    FieldPath::new(path).ok_or_else(|| Error::InvalidName {
        name: path.to_owned(),
        what: "field path",
    })
}

impl Expr {
    /// `field op value`.
    pub fn compare(field: FieldPath, op: CompareOp, value: Literal) -> Expr {
        Expr::Compare(Comparison {
            lhs: FieldExpr::Path(field),
            op,
            value,
            value_span: Span::NONE,
            span: Span::NONE,
        })
    }

    /// `field = value`.
    pub fn eq(field: FieldPath, value: Literal) -> Expr {
        Expr::compare(field, CompareOp::Eq, value)
    }

    /// `field != value`.
    pub fn ne(field: FieldPath, value: Literal) -> Expr {
        Expr::compare(field, CompareOp::Ne, value)
    }

    /// `field < value`.
    pub fn lt(field: FieldPath, value: Literal) -> Expr {
        Expr::compare(field, CompareOp::Lt, value)
    }

    /// `field <= value`.
    pub fn le(field: FieldPath, value: Literal) -> Expr {
        Expr::compare(field, CompareOp::Le, value)
    }

    /// `field > value`.
    pub fn gt(field: FieldPath, value: Literal) -> Expr {
        Expr::compare(field, CompareOp::Gt, value)
    }

    /// `field >= value`.
    pub fn ge(field: FieldPath, value: Literal) -> Expr {
        Expr::compare(field, CompareOp::Ge, value)
    }

    /// `field LIKE 'pattern'`; `pattern` is in pattern syntax (`%`, `_`,
    /// `\%`, `\_`, `\\`). Escape user text with [`like_escape`](crate::like_escape).
    pub fn like(field: FieldPath, pattern: impl Into<String>) -> Expr {
        Expr::compare(field, CompareOp::Like, Literal::String(pattern.into()))
    }

    /// `field = NULL`.
    pub fn is_null(field: FieldPath) -> Expr {
        Expr::eq(field, Literal::Null)
    }

    /// `field != NULL`.
    pub fn is_not_null(field: FieldPath) -> Expr {
        Expr::ne(field, Literal::Null)
    }

    /// `field IN (values)`; SOQL has no empty list, so an empty `values` is an error.
    pub fn in_list(field: FieldPath, values: Vec<Literal>) -> Result<Expr, Error> {
        Expr::in_values(field, values, false)
    }

    /// `field NOT IN (values)`; an empty `values` is an error.
    pub fn not_in_list(field: FieldPath, values: Vec<Literal>) -> Result<Expr, Error> {
        Expr::in_values(field, values, true)
    }

    fn in_values(field: FieldPath, values: Vec<Literal>, negated: bool) -> Result<Expr, Error> {
        if values.is_empty() {
            return Err(Error::EmptyList {
                field: field.to_string(),
            });
        }
        Ok(Expr::In(InCondition {
            lhs: FieldExpr::Path(field),
            negated,
            values: InValues::List(values),
            span: Span::NONE,
        }))
    }

    /// `field INCLUDES ('a;b', ..)` (or `EXCLUDES`); an empty `values` is an error.
    pub fn includes(field: FieldPath, values: Vec<String>, excludes: bool) -> Result<Expr, Error> {
        if values.is_empty() {
            return Err(Error::EmptyList {
                field: field.to_string(),
            });
        }
        Ok(Expr::Includes(IncludesCondition {
            lhs: FieldExpr::Path(field),
            excludes,
            values: values.into_iter().map(Literal::String).collect(),
            span: Span::NONE,
        }))
    }

    /// `self AND other`, flattening nested ANDs.
    pub fn and(self, other: Expr) -> Expr {
        let mut terms = match self {
            Expr::And(t) => t,
            e => vec![e],
        };
        match other {
            Expr::And(t) => terms.extend(t),
            e => terms.push(e),
        }
        Expr::And(terms)
    }

    /// `self OR other`, flattening nested ORs.
    pub fn or(self, other: Expr) -> Expr {
        let mut terms = match self {
            Expr::Or(t) => t,
            e => vec![e],
        };
        match other {
            Expr::Or(t) => terms.extend(t),
            e => terms.push(e),
        }
        Expr::Or(terms)
    }

    /// `NOT (self)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// All conditions ANDed together; `None` when there are none.
    pub fn all(conditions: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        conditions.into_iter().reduce(Expr::and)
    }
}

/// Builds a `SELECT` statement; names are checked in [`QueryBuilder::build`].
#[derive(Debug, Clone)]
pub struct QueryBuilder {
    object: String,
    fields: Vec<String>,
    filter: Option<Expr>,
    order_by: Vec<(String, Direction, Option<NullsOrder>)>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl Query {
    /// Starts a query on `object`: `Query::builder("Account").select(["Id"]).build()`.
    pub fn builder(object: &str) -> QueryBuilder {
        QueryBuilder {
            object: object.to_owned(),
            fields: Vec::new(),
            filter: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        }
    }
}

impl QueryBuilder {
    /// Adds fields to the select list (`Id`, `Owner.Name`).
    pub fn select<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.fields
            .extend(fields.into_iter().map(|f| f.as_ref().to_owned()));
        self
    }

    /// Adds a condition, ANDed with those already added.
    pub fn filter(mut self, condition: Expr) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// Adds an `ORDER BY` key.
    pub fn order_by(
        mut self,
        field: &str,
        direction: Direction,
        nulls: Option<NullsOrder>,
    ) -> Self {
        self.order_by.push((field.to_owned(), direction, nulls));
        self
    }

    /// Sets `LIMIT`.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `OFFSET`.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The query, or an error naming the first invalid name.
    pub fn build(self) -> Result<Query, Error> {
        let object = Ident::new(&self.object).ok_or_else(|| Error::InvalidName {
            name: self.object.clone(),
            what: "object name",
        })?;
        if self.fields.is_empty() {
            return Err(Error::InvalidName {
                name: String::new(),
                what: "select list (add at least one field)",
            });
        }
        let select = self
            .fields
            .iter()
            .map(|f| {
                Ok(SelectItem::Field(SelectField {
                    expr: FieldExpr::Path(field(f)?),
                    alias: None,
                }))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let order_by = self
            .order_by
            .iter()
            .map(|(f, direction, nulls)| {
                Ok(OrderBy {
                    expr: FieldExpr::Path(field(f)?),
                    direction: Some(*direction),
                    nulls: *nulls,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Query {
            select,
            from: From::object(object),
            using_scope: None,
            where_clause: self.filter,
            with: None,
            group_by: None,
            having: None,
            order_by,
            limit: self.limit,
            offset: self.offset,
            for_clause: None,
            update: None,
            all_rows: false,
            span: Span::NONE,
        })
    }
}
