//! Evaluating `WHERE`, `ORDER BY`, `LIMIT` and `OFFSET` over records, as an org would.
//!
//! SOQL's null rules differ from SQL's: `x = null` tests emptiness, `x != 'a'`
//! is true for an empty `x`, and there is no unknown truth value.

mod compare;
mod dates;
mod in_list;
mod like;

use std::cell::OnceCell;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::ast::Function;
use crate::ast::{
    CompareOp, Comparison, Expr, FieldExpr, FunctionArg, FunctionCall, FunctionKind, InCondition,
    InValues, IncludesCondition, OrderBy, Query,
};
use crate::error::EvalError;
use crate::literal::Literal;
use crate::value::{Record, Value};
use in_list::{InSet, SubqueryValues};

pub use compare::{compare_values, sort_key_order};
pub use like::like_matches;

/// What relative dates and date functions are evaluated against.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalContext {
    /// The current instant ("now" for `TODAY`, `LAST_N_DAYS:n`, ...).
    pub now: DateTime<Utc>,
    /// The org's fiscal year start month, 1 (January) to 12.
    pub fiscal_year_start_month: u32,
    /// The running user's time zone: relative dates are local dates there.
    pub time_zone: Tz,
}

impl EvalContext {
    /// A context at `now` with a calendar fiscal year in UTC.
    pub fn new(now: DateTime<Utc>) -> Self {
        EvalContext {
            now,
            fiscal_year_start_month: 1,
            time_zone: chrono_tz::UTC,
        }
    }
}

/// Answers semi-join and anti-join subqueries (`Id IN (SELECT AccountId FROM Contact)`).
pub trait Subqueries {
    /// The values the subquery's single selected field takes.
    fn values(&self, query: &Query) -> Result<Vec<Value>, EvalError>;
}

/// Rejects every subquery; used by [`matches`](fn@matches).
struct NoSubqueries;

impl Subqueries for NoSubqueries {
    fn values(&self, query: &Query) -> Result<Vec<Value>, EvalError> {
        Err(EvalError::Unsupported {
            what: format!("the subquery ({query})"),
            hint: "call matches_with_subqueries with a Subqueries implementation",
        })
    }
}

/// Whether `record` satisfies the condition `expr`.
pub fn matches<R: Record + ?Sized>(
    expr: &Expr,
    record: &R,
    ctx: &EvalContext,
) -> Result<bool, EvalError> {
    matches_with_subqueries(expr, record, ctx, &NoSubqueries)
}

/// Like [`matches`](fn@matches), answering `IN (SELECT ..)` through `subqueries`.
pub fn matches_with_subqueries<R: Record + ?Sized>(
    expr: &Expr,
    record: &R,
    ctx: &EvalContext,
    subqueries: &dyn Subqueries,
) -> Result<bool, EvalError> {
    Condition::new(expr).matches(record, ctx, subqueries)
}

/// A `WHERE` condition prepared once for many records: `IN` lists become sets, and a
/// semi-join's subquery runs once, for the first record that needs it (it does not depend on
/// the record).
enum Condition<'q> {
    And(Vec<Condition<'q>>),
    Or(Vec<Condition<'q>>),
    Not(Box<Condition<'q>>),
    InList {
        cond: &'q InCondition,
        list: &'q [Literal],
        set: Option<InSet>,
    },
    InSubquery {
        cond: &'q InCondition,
        query: &'q Query,
        values: OnceCell<SubqueryValues>,
    },
    Compare(&'q Comparison),
    Includes(&'q IncludesCondition),
}

impl<'q> Condition<'q> {
    fn new(expr: &'q Expr) -> Condition<'q> {
        match expr {
            Expr::And(terms) => Condition::And(terms.iter().map(Condition::new).collect()),
            Expr::Or(terms) => Condition::Or(terms.iter().map(Condition::new).collect()),
            Expr::Not(inner) => Condition::Not(Box::new(Condition::new(inner))),
            Expr::In(cond) => match &cond.values {
                InValues::List(list) => Condition::InList {
                    cond,
                    list,
                    set: InSet::new(list),
                },
                InValues::Subquery(query) => Condition::InSubquery {
                    cond,
                    query,
                    values: OnceCell::new(),
                },
            },
            Expr::Compare(c) => Condition::Compare(c),
            Expr::Includes(c) => Condition::Includes(c),
        }
    }

    fn matches<R: Record + ?Sized>(
        &self,
        record: &R,
        ctx: &EvalContext,
        subqueries: &dyn Subqueries,
    ) -> Result<bool, EvalError> {
        match self {
            Condition::And(terms) => {
                for t in terms {
                    if !t.matches(record, ctx, subqueries)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Or(terms) => {
                for t in terms {
                    if t.matches(record, ctx, subqueries)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Not(inner) => Ok(!inner.matches(record, ctx, subqueries)?),
            Condition::InList { cond, list, set } => {
                let value = field_value(&cond.lhs, record, ctx)?;
                let found = match set.as_ref().and_then(|s| s.contains(&value)) {
                    Some(found) => found,
                    // Literal by literal: the first mismatch of kinds is the error.
                    None => {
                        let mut found = false;
                        for lit in *list {
                            if compare::test(&value, CompareOp::Eq, lit, &cond.lhs, ctx)? {
                                found = true;
                                break;
                            }
                        }
                        found
                    }
                };
                Ok(found != cond.negated)
            }
            Condition::InSubquery {
                cond,
                query,
                values,
            } => {
                let value = field_value(&cond.lhs, record, ctx)?;
                let values = match values.get() {
                    Some(v) => v,
                    None => {
                        let found = SubqueryValues::new(subqueries.values(query)?);
                        values.get_or_init(|| found)
                    }
                };
                Ok(values.contains(&value) != cond.negated)
            }
            Condition::Compare(c) => {
                let value = field_value(&c.lhs, record, ctx)?;
                compare::test(&value, c.op, &c.value, &c.lhs, ctx)
            }
            Condition::Includes(c) => includes(c, record, ctx),
        }
    }
}

/// `INCLUDES`/`EXCLUDES` on one record.
fn includes<R: Record + ?Sized>(
    c: &IncludesCondition,
    record: &R,
    ctx: &EvalContext,
) -> Result<bool, EvalError> {
    let value = field_value(&c.lhs, record, ctx)?;
    let selected: Vec<String> = match &value {
        Value::Null => Vec::new(),
        Value::MultiPicklist(v) => v.iter().map(|s| s.to_lowercase()).collect(),
        Value::String(s) => s.split(';').map(|p| p.trim().to_lowercase()).collect(),
        other => {
            return Err(EvalError::TypeMismatch {
                path: c.lhs.to_string(),
                value: other.kind(),
                literal: "a multi-select picklist value",
            });
        }
    };
    // `'a;b'` asks for a and b together; the list is an OR of such sets.
    let hit = c.values.iter().any(|lit| match lit {
        crate::literal::Literal::String(s) => s
            .split(';')
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .all(|p| selected.contains(&p)),
        _ => false,
    });
    Ok(hit != c.excludes)
}

/// The value of a field path or function call on `record`.
pub fn field_value<R: Record + ?Sized>(
    expr: &FieldExpr,
    record: &R,
    ctx: &EvalContext,
) -> Result<Value, EvalError> {
    match expr {
        FieldExpr::Path(path) => {
            // Called once per record and field: short paths (a field, or a few relationships
            // and a field) go to the record without allocating.
            let mut short = [""; 8];
            let long: Vec<&str>;
            let len = path.names().count();
            let names = if len <= short.len() {
                for (slot, name) in short.iter_mut().zip(path.names()) {
                    *slot = name;
                }
                &short[..len]
            } else {
                long = path.names().collect();
                &long[..]
            };
            record.value(names).ok_or_else(|| EvalError::UnknownField {
                path: path.to_string(),
            })
        }
        FieldExpr::Call(call) => call_value(call, record, ctx, false),
    }
}

fn call_value<R: Record + ?Sized>(
    call: &FunctionCall,
    record: &R,
    ctx: &EvalContext,
    local_time: bool,
) -> Result<Value, EvalError> {
    let unsupported = |hint| EvalError::Unsupported {
        what: format!("{call}"),
        hint,
    };
    let arg = match call.args.first() {
        Some(FunctionArg::Field(f)) => f,
        _ => {
            return Err(unsupported(
                "only functions of one field are evaluated per record",
            ));
        }
    };
    match call.function.kind() {
        FunctionKind::Aggregate => Err(unsupported("aggregates apply to groups, not records")),
        FunctionKind::Location => Err(unsupported("geolocation functions are not evaluated")),
        FunctionKind::Transform if call.function == Function::ConvertTimezone => match arg {
            FieldExpr::Call(inner) => call_value(inner, record, ctx, true),
            FieldExpr::Path(_) => field_value(arg, record, ctx),
        },
        // toLabel, FORMAT and convertCurrency change presentation, not the stored value.
        FunctionKind::Transform => field_value(arg, record, ctx),
        FunctionKind::Date => {
            let inner_local = local_time
                || matches!(arg, FieldExpr::Call(c) if c.function == Function::ConvertTimezone);
            let inner = match arg {
                FieldExpr::Call(c) if c.function == Function::ConvertTimezone => {
                    match c.args.first() {
                        Some(FunctionArg::Field(f)) => field_value(f, record, ctx)?,
                        _ => return Err(unsupported("convertTimezone takes one field")),
                    }
                }
                _ => field_value(arg, record, ctx)?,
            };
            // Date functions read datetimes in UTC unless wrapped in convertTimezone().
            let (day, time) = match inner {
                Value::Null => return Ok(Value::Null),
                Value::Date(d) => (d, None),
                Value::DateTime(dt) => {
                    let t = if inner_local {
                        dt.with_timezone(&ctx.time_zone).fixed_offset()
                    } else {
                        dt.fixed_offset()
                    };
                    (t.date_naive(), Some(t))
                }
                other => {
                    return Err(EvalError::TypeMismatch {
                        path: arg.to_string(),
                        value: other.kind(),
                        literal: "a date function",
                    });
                }
            };
            if call.function == Function::DayOnly {
                return Ok(Value::Date(day));
            }
            dates::date_function(call.function, day, time, ctx)
                .map(Value::Integer)
                .ok_or_else(|| unsupported("this function needs a datetime field"))
        }
    }
}

/// Compares two records by `ORDER BY` keys with SOQL's rules: strings
/// case-insensitively, nulls first ascending and last descending unless
/// `NULLS FIRST|LAST` says otherwise.
pub fn compare_records<R: Record + ?Sized>(
    order_by: &[OrderBy],
    a: &R,
    b: &R,
    ctx: &EvalContext,
) -> Result<Ordering, EvalError> {
    for key in order_by {
        let va = field_value(&key.expr, a, ctx)?;
        let vb = field_value(&key.expr, b, ctx)?;
        let ord = sort_key_order(key, &va, &vb);
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

/// Applies a query's `WHERE`, `ORDER BY`, `OFFSET` and `LIMIT` to `rows`.
pub fn select_rows<R: Record>(
    query: &Query,
    rows: Vec<R>,
    ctx: &EvalContext,
    subqueries: &dyn Subqueries,
) -> Result<Vec<R>, EvalError> {
    let condition = query.where_clause.as_ref().map(Condition::new);
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let keep = match &condition {
            Some(c) => c.matches(&row, ctx, subqueries)?,
            None => true,
        };
        if keep {
            let keys = query
                .order_by
                .iter()
                .map(|k| field_value(&k.expr, &row, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            kept.push((keys, row));
        }
    }
    kept.sort_by(|(ka, _), (kb, _)| {
        query
            .order_by
            .iter()
            .zip(ka.iter().zip(kb))
            .map(|(key, (a, b))| sort_key_order(key, a, b))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    let offset = usize::try_from(query.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = query
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    Ok(kept
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(_, row)| row)
        .collect())
}
