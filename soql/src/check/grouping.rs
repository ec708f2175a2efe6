//! Aggregate queries: every selected field must be grouped or aggregated.

use crate::ast::{FieldExpr, FunctionArg, FunctionKind, Query, SelectItem};
use crate::error::QueryError;

/// Rejects a plain field in the select list of an aggregate query that is
/// not one of the `GROUP BY` keys, as orgs do.
pub(super) fn check_grouping(query: &Query) -> Result<(), QueryError> {
    if !query.is_aggregate() {
        return Ok(());
    }
    let alias = query.from.alias.as_ref().map(|a| a.name());
    let keys: Vec<String> = query
        .group_by
        .iter()
        .flat_map(|g| g.keys.iter())
        .map(|k| normalized(presented(k), alias))
        .collect();
    for item in &query.select {
        let SelectItem::Field(field) = item else {
            continue;
        };
        let expr = presented(&field.expr);
        let text = normalized(expr, alias);
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

/// The expression printed without the object alias (`a.Name` → `Name`), so
/// grouped and selected fields compare however they were qualified.
fn normalized(expr: &FieldExpr, alias: Option<&str>) -> String {
    let mut expr = expr.clone();
    strip_alias(&mut expr, alias);
    expr.to_string()
}

fn strip_alias(expr: &mut FieldExpr, alias: Option<&str>) {
    match expr {
        FieldExpr::Path(p) => {
            if p.segments.len() > 1 && alias.is_some_and(|a| p.segments[0].is(a)) {
                p.segments.remove(0);
            }
        }
        FieldExpr::Call(c) => {
            for arg in &mut c.args {
                if let FunctionArg::Field(f) = arg {
                    strip_alias(f, alias);
                }
            }
        }
    }
}
