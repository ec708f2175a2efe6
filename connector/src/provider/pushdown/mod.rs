//! The one translation from DataFusion filter expressions to SOQL conditions.
//!
//! [`to_soql`] is total: every `Expr` maps to `Some` SOQL condition or to `None`, and
//! both `supports_filters_pushdown` and `scan` call it, so what the planner was told and
//! what the org is asked never disagree.
//!
//! A pushed condition is *exact* when SOQL keeps exactly the rows SQL keeps, and
//! *inexact* when SOQL may keep more (DataFusion then filters again). SOQL must never
//! keep fewer rows, which decides most rules below:
//! - Text comparisons ignore case in SOQL, so text `=`, `IN` and `LIKE` are inexact,
//!   and text `!=`, `NOT IN`, `NOT LIKE`, `<` and `>` are not pushed at all (ignoring case
//!   there would drop rows SQL keeps).
//! - SOQL has no three-valued logic: `Amount != 5` keeps rows whose `Amount` is null.
//!   Exact `!=`/`NOT IN` therefore add `AND field != null`; a general `NOT (..)` is
//!   pushed only around an exact condition and is then inexact.
//! - SOQL compares only a field with a literal: no field-to-field comparisons, no
//!   arithmetic, no functions other than the date functions (not generated here).

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Like, Operator, TableProviderFilterPushDown};

mod literal;

use literal::literal;
use soql::{
    CompareOp, Comparison, Expr as Soql, FieldExpr, FieldPath, Function, FunctionArg, FunctionCall,
    InCondition, InValues, Literal, Span,
};

/// A filter translated to SOQL.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    /// The SOQL condition.
    pub condition: Soql,
    /// True when SOQL keeps exactly the rows the SQL filter keeps; false when it may keep
    /// more.
    pub exact: bool,
}

impl Pushed {
    fn exact(condition: Soql) -> Self {
        Self {
            condition,
            exact: true,
        }
    }

    fn inexact(condition: Soql) -> Self {
        Self {
            condition,
            exact: false,
        }
    }

    /// What to tell DataFusion about this filter.
    pub fn kind(&self) -> TableProviderFilterPushDown {
        if self.exact {
            TableProviderFilterPushDown::Exact
        } else {
            TableProviderFilterPushDown::Inexact
        }
    }
}

/// What the translation needs to know about a table: its Arrow schema, and which
/// fields the org lets a `WHERE` clause name (describe's `filterable`; long text areas
/// and some system fields are not).
pub struct FilterFields<'a> {
    schema: &'a Schema,
    filterable: &'a (dyn Fn(&str) -> bool + Sync),
}

impl std::fmt::Debug for FilterFields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterFields")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl<'a> FilterFields<'a> {
    /// Fields of `schema`, filterable when `filterable(name)` says so.
    pub fn new(schema: &'a Schema, filterable: &'a (dyn Fn(&str) -> bool + Sync)) -> Self {
        Self { schema, filterable }
    }
}

/// How SOQL treats a field's values when comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Compared ignoring case: only equality-like tests may be pushed, inexactly.
    Text,
    /// Numbers, dates, datetimes: SOQL compares them as SQL does.
    Ordered,
    /// `true`/`false`: equality only.
    Boolean,
}

fn family(data_type: &DataType) -> Option<Family> {
    use DataType::*;
    match data_type {
        Utf8 | LargeUtf8 | Utf8View => Some(Family::Text),
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64
        | Decimal128(..) | Decimal256(..) | Date32 | Date64 | Timestamp(..) => {
            Some(Family::Ordered)
        }
        Boolean => Some(Family::Boolean),
        _ => None,
    }
}

/// What a condition may compare: a field, or a date function of a date field.
struct Field {
    /// The field itself (null tests always name it).
    path: FieldPath,
    /// `CALENDAR_YEAR(CloseDate)` for a date part, else `None`.
    function: Option<Function>,
    family: Family,
}

impl Field {
    fn lhs(&self) -> FieldExpr {
        match self.function {
            None => FieldExpr::Path(self.path.clone()),
            Some(function) => FieldExpr::Call(FunctionCall {
                function,
                args: vec![FunctionArg::Field(FieldExpr::Path(self.path.clone()))],
                span: Span::NONE,
            }),
        }
    }
}

/// SOQL's date function for DataFusion's `date_part`/`EXTRACT` part, where both number the
/// same way (`dow` and `week` differ: SOQL counts Sunday as 1 and its own weeks).
fn date_function(part: &str) -> Option<Function> {
    Some(match part.to_ascii_lowercase().as_str() {
        "year" => Function::CalendarYear,
        "quarter" => Function::CalendarQuarter,
        "month" => Function::CalendarMonth,
        "day" => Function::DayInMonth,
        "doy" => Function::DayInYear,
        _ => return None,
    })
}

impl FilterFields<'_> {
    fn field(&self, expr: &Expr) -> Option<Field> {
        if let Expr::ScalarFunction(call) = expr {
            return self.date_part(call);
        }
        let column = match expr {
            Expr::Column(column) => column,
            // Widening numeric casts keep comparisons meaning the same; anything else
            // (text to date, say) changes what is compared.
            Expr::Cast(cast) if cast.field.data_type().is_numeric() => match cast.expr.as_ref() {
                Expr::Column(column) => column,
                _ => return None,
            },
            _ => return None,
        };
        let field = self.schema.field_with_name(&column.name).ok()?;
        if !(self.filterable)(field.name()) {
            return None;
        }
        let family = family(field.data_type())?;
        if matches!(expr, Expr::Cast(_)) && !field.data_type().is_numeric() {
            return None;
        }
        Some(Field {
            path: FieldPath::new(field.name())?,
            function: None,
            family,
        })
    }

    /// `date_part('year', CloseDate)` on a date field. Datetime fields are left out: SOQL
    /// may evaluate date functions in the user's time zone, DataFusion in UTC.
    fn date_part(&self, call: &datafusion::logical_expr::expr::ScalarFunction) -> Option<Field> {
        if !matches!(call.func.name(), "date_part" | "datepart") {
            return None;
        }
        let [Expr::Literal(part, _), Expr::Column(column)] = call.args.as_slice() else {
            return None;
        };
        let function = date_function(part.try_as_str()??)?;
        let field = self.schema.field_with_name(&column.name).ok()?;
        if field.data_type() != &DataType::Date32 || !(self.filterable)(field.name()) {
            return None;
        }
        Some(Field {
            path: FieldPath::new(field.name())?,
            function: Some(function),
            family: Family::Ordered,
        })
    }
}

/// Translates one filter, or says it cannot be pushed.
pub fn to_soql(expr: &Expr, fields: &FilterFields<'_>) -> Option<Pushed> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => {
                match (to_soql(left, fields), to_soql(right, fields)) {
                    (Some(l), Some(r)) => Some(Pushed {
                        exact: l.exact && r.exact,
                        condition: and(vec![l.condition, r.condition]),
                    }),
                    // Dropping one side of an AND keeps more rows, never fewer.
                    (Some(one), None) | (None, Some(one)) => Some(Pushed::inexact(one.condition)),
                    (None, None) => None,
                }
            }
            Operator::Or => {
                let (l, r) = (to_soql(left, fields)?, to_soql(right, fields)?);
                Some(Pushed {
                    exact: l.exact && r.exact,
                    condition: or(vec![l.condition, r.condition]),
                })
            }
            _ => comparison(left, *op, right, fields),
        },
        Expr::Not(inner) => negate(inner, fields),
        Expr::Column(_) => {
            let field = fields.field(expr)?;
            (field.family == Family::Boolean)
                .then(|| Pushed::exact(compare(&field, CompareOp::Eq, Literal::boolean(true))))
        }
        Expr::IsNull(inner) => {
            let field = fields.field(inner)?;
            Some(Pushed::exact(compare(
                &field,
                CompareOp::Eq,
                Literal::null(),
            )))
        }
        Expr::IsNotNull(inner) => {
            let field = fields.field(inner)?;
            Some(Pushed::exact(compare(
                &field,
                CompareOp::Ne,
                Literal::null(),
            )))
        }
        Expr::IsTrue(inner)
        | Expr::IsFalse(inner)
        | Expr::IsNotTrue(inner)
        | Expr::IsNotFalse(inner) => {
            let field = fields.field(inner)?;
            if field.family != Family::Boolean {
                return None;
            }
            // SOQL's `!=` keeps nulls, just like `IS NOT TRUE` / `IS NOT FALSE`.
            let (op, value) = match expr {
                Expr::IsTrue(_) => (CompareOp::Eq, true),
                Expr::IsFalse(_) => (CompareOp::Eq, false),
                Expr::IsNotTrue(_) => (CompareOp::Ne, true),
                _ => (CompareOp::Ne, false),
            };
            Some(Pushed::exact(compare(&field, op, Literal::boolean(value))))
        }
        Expr::Between(between) => {
            let field = fields.field(&between.expr)?;
            if field.family != Family::Ordered {
                return None;
            }
            let low = literal(&between.low)?;
            let high = literal(&between.high)?;
            let range = and(vec![
                compare(&field, CompareOp::Ge, low),
                compare(&field, CompareOp::Le, high),
            ]);
            if between.negated {
                // NOT BETWEEN keeps nulls in SOQL; add the null test to stay exact.
                Some(Pushed::exact(and(vec![
                    Soql::Not(Box::new(range)),
                    compare(&field, CompareOp::Ne, Literal::null()),
                ])))
            } else {
                Some(Pushed::exact(range))
            }
        }
        Expr::InList(in_list) => {
            let field = fields.field(&in_list.expr)?;
            if field.family == Family::Boolean {
                return None;
            }
            let values = in_list
                .list
                .iter()
                .map(literal)
                .collect::<Option<Vec<_>>>()?;
            if values.is_empty() || values.iter().any(|v| matches!(v, Literal::Null)) {
                return None;
            }
            let condition = Soql::In(InCondition {
                lhs: field.lhs(),
                negated: in_list.negated,
                values: InValues::List(values),
                span: Span::NONE,
            });
            match (field.family, in_list.negated) {
                (Family::Text, false) => Some(Pushed::inexact(condition)),
                (Family::Text, true) => None,
                (_, false) => Some(Pushed::exact(condition)),
                (_, true) => Some(Pushed::exact(and(vec![
                    condition,
                    compare(&field, CompareOp::Ne, Literal::null()),
                ]))),
            }
        }
        Expr::Like(like) => like_to_soql(like, fields),
        _ => None,
    }
}

fn negate(inner: &Expr, fields: &FilterFields<'_>) -> Option<Pushed> {
    if let Some(field) = fields.field(inner) {
        // `NOT IsDeleted`: checkboxes are never null, so this is exact.
        return (field.family == Family::Boolean)
            .then(|| Pushed::exact(compare(&field, CompareOp::Eq, Literal::boolean(false))));
    }
    let pushed = to_soql(inner, fields)?;
    // NOT of a broader condition would be narrower: never push that. NOT of an exact one
    // is broader in SOQL (it keeps rows where the field is null), so it is inexact.
    pushed
        .exact
        .then(|| Pushed::inexact(Soql::Not(Box::new(pushed.condition))))
}

fn comparison(
    left: &Expr,
    op: Operator,
    right: &Expr,
    fields: &FilterFields<'_>,
) -> Option<Pushed> {
    // SOQL wants the field on the left: `5 < Amount` becomes `Amount > 5`.
    let (field, value, op) = match (fields.field(left), fields.field(right)) {
        (Some(field), None) => (field, literal(right)?, op),
        (None, Some(field)) => (field, literal(left)?, op.swap()?),
        _ => return None,
    };
    if matches!(value, Literal::Null) {
        // `x = NULL` is never true in SQL; DataFusion folds it away anyway.
        return None;
    }
    let op = match op {
        Operator::Eq | Operator::IsNotDistinctFrom => CompareOp::Eq,
        Operator::NotEq | Operator::IsDistinctFrom => CompareOp::Ne,
        Operator::Lt => CompareOp::Lt,
        Operator::LtEq => CompareOp::Le,
        Operator::Gt => CompareOp::Gt,
        Operator::GtEq => CompareOp::Ge,
        _ => return None,
    };
    match (field.family, op) {
        (Family::Text, CompareOp::Eq) => Some(Pushed::inexact(compare(&field, op, value))),
        (Family::Text, _) => None,
        (Family::Boolean, CompareOp::Eq) => Some(Pushed::exact(compare(&field, op, value))),
        (Family::Boolean, CompareOp::Ne) => {
            let Literal::Boolean(b) = value else {
                return None;
            };
            Some(Pushed::exact(compare(
                &field,
                CompareOp::Eq,
                Literal::boolean(!b),
            )))
        }
        (Family::Boolean, _) => None,
        (Family::Ordered, CompareOp::Ne) => Some(Pushed::exact(and(vec![
            compare(&field, CompareOp::Ne, value),
            compare(&field, CompareOp::Ne, Literal::null()),
        ]))),
        (Family::Ordered, _) => Some(Pushed::exact(compare(&field, op, value))),
    }
}

fn like_to_soql(like: &Like, fields: &FilterFields<'_>) -> Option<Pushed> {
    let field = fields.field(&like.expr)?;
    if field.family != Family::Text || like.negated {
        // NOT LIKE ignoring case would drop rows that SQL keeps.
        return None;
    }
    if like.escape_char.is_some_and(|c| c != '\\') {
        return None;
    }
    let pattern = match like.pattern.as_ref() {
        Expr::Literal(
            ScalarValue::Utf8(Some(p))
            | ScalarValue::LargeUtf8(Some(p))
            | ScalarValue::Utf8View(Some(p)),
            _,
        ) => p,
        _ => return None,
    };
    // Both sides use `%` and `_` with `\` as escape. DataFusion (Arrow) lets `\` escape any
    // character, SOQL only `%`, `_` and `\`: rewrite the others to the plain character.
    let mut soql_pattern = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('%' | '_' | '\\')) => {
                    soql_pattern.push('\\');
                    soql_pattern.push(next);
                }
                Some(next) => soql_pattern.push(next),
                None => soql_pattern.push_str("\\\\"),
            }
        } else {
            soql_pattern.push(c);
        }
    }
    // SOQL's LIKE ignores case: as broad as ILIKE, broader than LIKE.
    Some(Pushed::inexact(compare(
        &field,
        CompareOp::Like,
        Literal::string(soql_pattern),
    )))
}

fn compare(field: &Field, op: CompareOp, value: Literal) -> Soql {
    // A null test names the field itself: `CALENDAR_YEAR(CloseDate) != NULL` is not SOQL.
    let lhs = if matches!(value, Literal::Null) {
        FieldExpr::Path(field.path.clone())
    } else {
        field.lhs()
    };
    Soql::Compare(Comparison {
        lhs,
        op,
        value,
        value_span: Span::NONE,
        span: Span::NONE,
    })
}

/// Joins conditions with AND, flattening nested ANDs.
pub fn and(conditions: Vec<Soql>) -> Soql {
    let mut flat = Vec::with_capacity(conditions.len());
    for c in conditions {
        match c {
            Soql::And(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if flat.len() == 1 {
        flat.remove(0)
    } else {
        Soql::And(flat)
    }
}

fn or(conditions: Vec<Soql>) -> Soql {
    let mut flat = Vec::with_capacity(conditions.len());
    for c in conditions {
        match c {
            Soql::Or(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    Soql::Or(flat)
}

#[cfg(test)]
mod tests;
