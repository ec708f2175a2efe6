//! Names and expressions against an input's columns: case-insensitive resolution (as in
//! SOQL), "did you mean" for unknown columns, and SQL expressions planned by DataFusion so a
//! type error is caught before anything runs.

use std::ops::ControlFlow;

use datafusion::common::{Column, DFSchema, DataFusionError, SchemaError};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::Expr;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Ident, visit_expressions_mut};
use sfdf_connector::provider::NameMap;

use crate::error::did_you_mean;
use crate::model::Located;

/// A mistake found while planning a node: the message and, when known, the place in the
/// file (otherwise the node's own place is used).
#[derive(Debug)]
pub struct Issue {
    /// Line and column of the offending value, if known.
    pub at: Option<(u32, u32)>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Issue {
    /// An issue at a written value.
    pub fn at<T>(value: &Located<T>, message: impl Into<String>) -> Self {
        Self {
            at: (value.line > 0).then_some((value.line, value.column)),
            message: message.into(),
        }
    }

    /// An issue of the whole node.
    pub fn node(message: impl Into<String>) -> Self {
        Self {
            at: None,
            message: message.into(),
        }
    }
}

/// DataFusion's error from building a node's plan, said plainly.
pub(super) fn planning(error: DataFusionError) -> Issue {
    Issue::node(explain_error(&error))
}

/// A DataFusion error's root message, without the internal `Error during planning:` prefixes.
pub(super) fn explain_error(error: &DataFusionError) -> String {
    let root = error.find_root();
    let text = match root {
        DataFusionError::Plan(m) | DataFusionError::Execution(m) => m.clone(),
        DataFusionError::SchemaError(e, _) => e.to_string(),
        other => other.to_string(),
    };
    text.lines().next().unwrap_or_default().to_string()
}

/// The column names of a frame, in order.
pub(super) fn names(frame: &DataFrame) -> Vec<String> {
    frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// The frame's spelling of a column written in any case, or an "unknown column" issue with
/// a suggestion.
pub(super) fn resolve(frame: &DataFrame, name: &Located<String>) -> Result<String, Issue> {
    resolve_in(&names(frame), name)
}

/// [`resolve`] against a list of names.
pub(super) fn resolve_in(columns: &[String], name: &Located<String>) -> Result<String, Issue> {
    if let Some(exact) = columns.iter().find(|c| **c == name.value) {
        return Ok(exact.clone());
    }
    let matches: Vec<&String> = columns
        .iter()
        .filter(|c| c.eq_ignore_ascii_case(&name.value))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Issue::at(name, unknown_column(&name.value, columns))),
        _ => Err(Issue::at(
            name,
            format!(
                "`{}` matches several columns that differ only in case ({}); write one exactly",
                name.value,
                matches
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn unknown_column(name: &str, columns: &[String]) -> String {
    format!(
        "unknown column `{name}`{}; the input's columns are: {}",
        did_you_mean(name, columns.iter().map(String::as_str)),
        shorten(columns)
    )
}

fn shorten(columns: &[String]) -> String {
    const SHOWN: usize = 30;
    let mut text = columns
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if columns.len() > SHOWN {
        text.push_str(&format!(", ... ({} in all)", columns.len()));
    }
    text
}

/// A plain column reference (no case folding, no qualifier parsing: Salesforce names are
/// PascalCase).
pub(super) fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// `"name"` for composing SQL text.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` for composing SQL text.
pub(super) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Plans a SQL expression over `frame`'s columns. Column names resolve ignoring case; an
/// unknown one gets a suggestion; functions and types are checked by DataFusion.
pub(super) fn sql(frame: &DataFrame, text: &Located<String>) -> Result<Expr, Issue> {
    let state = frame.clone().into_parts().0;
    let dialect = state.config().options().sql_parser.dialect;
    let mut parsed = state
        .sql_to_expr_with_alias(&text.value, &dialect)
        .map_err(|e| {
            Issue::at(
                text,
                format!(
                    "cannot parse the expression `{}`: {}",
                    text.value,
                    explain_error(&e)
                ),
            )
        })?;
    let columns = names(frame);
    let mut known = NameMap::new();
    columns.iter().for_each(|c| known.insert(c));
    let mut unknown: Vec<String> = Vec::new();
    let mut fix = |ident: &mut Ident| {
        if ident.quote_style.is_some() {
            return;
        }
        match known.canonical(&ident.value) {
            Some(canonical) => {
                ident.value = canonical.to_owned();
                ident.quote_style = Some('"');
            }
            None => unknown.push(ident.value.clone()),
        }
    };
    let _ = visit_expressions_mut(&mut parsed.expr, |expr| {
        match expr {
            SqlExpr::Identifier(ident) => fix(ident),
            SqlExpr::CompoundIdentifier(parts) => parts.iter_mut().for_each(&mut fix),
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    let schema: &DFSchema = frame.schema();
    state
        .create_logical_expr_from_sql_expr(parsed, schema)
        .map_err(|e| {
            if let DataFusionError::SchemaError(error, _) = e.find_root()
                && let SchemaError::FieldNotFound { field, .. } = &**error
            {
                // The name as written, not DataFusion's lower-cased form.
                let written = unknown
                    .iter()
                    .find(|u| u.eq_ignore_ascii_case(&field.name))
                    .cloned()
                    .unwrap_or_else(|| field.name.clone());
                return Issue::at(
                    text,
                    format!(
                        "in `{}`: {}",
                        text.value,
                        unknown_column(&written, &columns)
                    ),
                );
            }
            Issue::at(text, format!("in `{}`: {}", text.value, explain_error(&e)))
        })
}
