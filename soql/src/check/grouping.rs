//! Aggregate queries: every selected field must be grouped or aggregated.

use crate::ast::{FieldExpr, FunctionArg, FunctionKind, Query, SelectItem};
use crate::error::QueryError;

/// Rejects a plain field in the select list of an aggregate query that is
/// not one of the `GROUP BY` keys, as orgs do.
pub(super) fn check_grouping(query: &Query) -> Result<(), QueryError> {
    if !query.is_aggregate() {
        return Ok(());
    }
    // Paths are unaliased before the check, so they compare however they were qualified.
    let keys: Vec<String> = query
        .group_by
        .iter()
        .flat_map(|g| g.keys.iter())
        .map(|k| presented(k).to_string())
        .collect();
    for item in &query.select {
        let SelectItem::Field(field) = item else {
            continue;
        };
        let expr = presented(&field.expr);
        let text = expr.to_string();
        if is_aggregate(expr) || keys.iter().any(|k| k.eq_ignore_ascii_case(&text)) {
            continue;
        }
        return Err(QueryError::malformed(
            format!("Field must be grouped or aggregated: {expr}"),
            expr.span(),
        ));
    }
    Ok(())
}

/// `toLabel(x)`, `FORMAT(x)` and `convertCurrency(x)` present a grouped `x`.
fn presented(expr: &FieldExpr) -> &FieldExpr {
    match expr {
        FieldExpr::Call(c) if c.function.kind() == FunctionKind::Transform => {
            match c.args.as_slice() {
                [FunctionArg::Field(inner)] => presented(inner),
                _ => expr,
            }
        }
        _ => expr,
    }
}

fn is_aggregate(expr: &FieldExpr) -> bool {
    matches!(expr, FieldExpr::Call(c) if c.function.kind() == FunctionKind::Aggregate)
}
