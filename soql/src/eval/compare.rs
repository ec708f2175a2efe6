//! Comparing record values with literals and with each other.

use std::cmp::Ordering;

use chrono::Utc;

use super::{EvalContext, dates, like::like_matches};
use crate::ast::{CompareOp, Direction, FieldExpr, NullsOrder, OrderBy};
use crate::error::EvalError;
use crate::literal::{Literal, Number};
use crate::value::Value;

fn literal_kind(lit: &Literal) -> &'static str {
    match lit {
        Literal::Null => "null",
        Literal::Boolean(_) => "a boolean",
        Literal::Number(_) => "a number",
        Literal::String(_) => "a string",
        Literal::Date(_) => "a date",
        Literal::DateTime(_) => "a datetime",
        Literal::Relative(_) => "a relative date",
        Literal::Currency { .. } => "a currency amount",
    }
}

/// Orgs compare text ignoring case.
fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

fn cmp_number(value: &Value, n: &Number) -> Option<Ordering> {
    match value {
        Value::Integer(i) => match n.as_i64() {
            Some(l) => Some(i.cmp(&l)),
            None => (*i as f64).partial_cmp(&n.as_f64()),
        },
        Value::Double(d) => d.partial_cmp(&n.as_f64()),
        _ => None,
    }
}

fn apply(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Like => false,
    }
}

/// `value op literal` with SOQL's rules.
pub(super) fn test(
    value: &Value,
    op: CompareOp,
    lit: &Literal,
    lhs: &FieldExpr,
    ctx: &EvalContext,
) -> Result<bool, EvalError> {
    let mismatch = || EvalError::TypeMismatch {
        path: lhs.to_string(),
        value: value.kind(),
        literal: literal_kind(lit),
    };
    if let Literal::Null = lit {
        return Ok(match op {
            CompareOp::Eq => value.is_null(),
            CompareOp::Ne => !value.is_null(),
            _ => false,
        });
    }
    if value.is_null() {
        // `x != 'a'` holds for an empty x: SOQL has no unknown truth value.
        return Ok(op == CompareOp::Ne);
    }
    if op == CompareOp::Like {
        let Literal::String(pattern) = lit else {
            return Err(mismatch());
        };
        return match value {
            Value::String(s) => Ok(like_matches(s, pattern)),
            _ => Err(mismatch()),
        };
    }
    if let Literal::Relative(rel) = lit {
        let (start, end) = dates::range(*rel, ctx);
        let day = match value {
            Value::Date(d) => *d,
            Value::DateTime(dt) => ctx.local_date(dt),
            _ => return Err(mismatch()),
        };
        return Ok(match op {
            CompareOp::Eq => start <= day && day < end,
            CompareOp::Ne => !(start <= day && day < end),
            CompareOp::Lt => day < start,
            CompareOp::Le => day < end,
            CompareOp::Gt => day >= end,
            CompareOp::Ge => day >= start,
            CompareOp::Like => false,
        });
    }
    let ord = match (value, lit) {
        (Value::String(s), Literal::String(l)) => Some(cmp_ci(s, l)),
        (Value::Integer(_) | Value::Double(_), Literal::Number(n)) => cmp_number(value, n),
        (Value::Integer(_) | Value::Double(_), Literal::Currency { amount, .. }) => {
            cmp_number(value, amount)
        }
        (Value::Boolean(b), Literal::Boolean(l)) => Some(b.cmp(l)),
        (Value::Date(d), Literal::Date(l)) => Some(d.cmp(l)),
        (Value::DateTime(d), Literal::DateTime(l)) => Some(d.cmp(&l.with_timezone(&Utc))),
        (Value::MultiPicklist(selected), Literal::String(l)) => {
            // `=` on a multi-select picklist matches the exact set, in any order.
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(mismatch());
            }
            let mut want: Vec<String> = l
                .split(';')
                .map(|p| p.trim().to_lowercase())
                .filter(|p| !p.is_empty())
                .collect();
            let mut have: Vec<String> = selected.iter().map(|s| s.to_lowercase()).collect();
            want.sort();
            want.dedup();
            have.sort();
            have.dedup();
            Some(if want == have {
                Ordering::Equal
            } else {
                Ordering::Less
            })
        }
        _ => return Err(mismatch()),
    };
    // A NaN comparison is false whatever the operator.
    Ok(ord.is_some_and(|o| apply(op, o)))
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Boolean(_) => 1,
        Value::Integer(_) | Value::Double(_) => 2,
        Value::String(_) => 3,
        Value::Date(_) => 4,
        Value::DateTime(_) => 5,
        Value::Time(_) => 6,
        Value::MultiPicklist(_) => 7,
    }
}

/// Total order of values for sorting: nulls first, numbers numerically,
/// strings ignoring case, values of different kinds by kind.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Boolean(x), Value::Boolean(y)) => x.cmp(y),
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Integer(x), Value::Double(y)) => (*x as f64).total_cmp(y),
        (Value::Double(x), Value::Integer(y)) => x.total_cmp(&(*y as f64)),
        (Value::Double(x), Value::Double(y)) => x.total_cmp(y),
        (Value::String(x), Value::String(y)) => cmp_ci(x, y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        (Value::MultiPicklist(x), Value::MultiPicklist(y)) => cmp_ci(&x.join(";"), &y.join(";")),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// How two key values order under one `ORDER BY` item.
pub fn sort_key_order(key: &OrderBy, a: &Value, b: &Value) -> Ordering {
    let desc = key.direction == Some(Direction::Desc);
    let nulls_first = match key.nulls {
        Some(NullsOrder::First) => true,
        Some(NullsOrder::Last) => false,
        None => !desc,
    };
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let ord = compare_values(a, b);
            if desc { ord.reverse() } else { ord }
        }
    }
}
