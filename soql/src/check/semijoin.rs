//! Structural limits orgs put on semi-joins and anti-joins (`Id IN (SELECT ..)`).
//!
//! The wording of these messages is from the SOQL reference as remembered,
//! not re-verified against an org; positions point at the condition.

use crate::ast::{Expr, FieldExpr, InValues, Query, SelectField, SelectItem};
use crate::error::QueryError;

/// At most this many semi-/anti-join subqueries per `WHERE`.
const MAX_SEMI_JOINS: usize = 2;

#[derive(Clone, Copy)]
enum Under {
    Nothing,
    Or,
    Not,
}

pub(super) fn check_semi_joins(filter: &Expr) -> Result<(), QueryError> {
    let mut count = 0;
    walk(filter, Under::Nothing, &mut count)
}

fn walk(expr: &Expr, under: Under, count: &mut usize) -> Result<(), QueryError> {
    match expr {
        Expr::And(terms) => terms.iter().try_for_each(|t| walk(t, under, count)),
        Expr::Or(terms) => terms.iter().try_for_each(|t| walk(t, Under::Or, count)),
        Expr::Not(inner) => walk(inner, Under::Not, count),
        Expr::In(c) => {
            let InValues::Subquery(sub) = &c.values else {
                return Ok(());
            };
            let fail = |detail: String| QueryError::malformed(detail, c.span);
            match under {
                Under::Or => {
                    return Err(fail(
                        "Semi join sub-selects are not allowed with the 'OR' operator".into(),
                    ));
                }
                Under::Not => {
                    return Err(fail(
                        "Semi join sub-selects are not allowed with the 'NOT' operator; use NOT IN"
                            .into(),
                    ));
                }
                Under::Nothing => {}
            }
            *count += 1;
            if *count > MAX_SEMI_JOINS {
                return Err(fail(format!(
                    "Maximum of {MAX_SEMI_JOINS} semi join sub-selects are allowed per query"
                )));
            }
            if sub.where_clause.as_ref().is_some_and(has_semi_join) {
                return Err(fail(
                    "Nesting of semi join sub-selects is not supported".into(),
                ));
            }
            if single_field(sub).is_none() {
                return Err(fail(
                    "A semi join sub-select must select exactly one field, an Id or a reference field".into(),
                ));
            }
            Ok(())
        }
        Expr::Compare(_) | Expr::Includes(_) => Ok(()),
    }
}

fn has_semi_join(expr: &Expr) -> bool {
    match expr {
        Expr::And(terms) | Expr::Or(terms) => terms.iter().any(has_semi_join),
        Expr::Not(inner) => has_semi_join(inner),
        Expr::In(c) => matches!(c.values, InValues::Subquery(_)),
        Expr::Compare(_) | Expr::Includes(_) => false,
    }
}

/// The one field path a semi-join subquery selects.
pub(super) fn single_field(sub: &Query) -> Option<&crate::ast::FieldPath> {
    match sub.select.as_slice() {
        [
            SelectItem::Field(SelectField {
                expr: FieldExpr::Path(p),
                ..
            }),
        ] => Some(p),
        _ => None,
    }
}
