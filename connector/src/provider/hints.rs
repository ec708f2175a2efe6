//! Planning errors a person can act on: an unknown table gets "did you mean" and the
//! connection's tables, under the schema the user wrote (not DataFusion's
//! `datafusion.public.x`); a compound field gets its parts; an unknown column gets the
//! closest one.

use std::sync::Arc;

use datafusion::catalog::SchemaProvider;
use datafusion::common::{DataFusionError, SchemaError};
use datafusion::execution::context::SessionContext;

use super::catalog::{ConnectionSchema, DefaultSchema};
use super::table::ObjectTable;
use crate::schema::CompoundRole;
use crate::suggest::closest;

/// `error` with a plainer message when it names a table or column that does not exist;
/// otherwise `error` itself.
pub(crate) async fn explain(
    ctx: &SessionContext,
    tables: &[datafusion::common::TableReference],
    error: DataFusionError,
) -> DataFusionError {
    let hint = match error.find_root() {
        DataFusionError::Plan(message) => match unknown_table(message) {
            Some(reference) => unknown_table_hint(ctx, reference),
            None => None,
        },
        DataFusionError::SchemaError(inner, _) => match inner.as_ref() {
            SchemaError::FieldNotFound { field, .. } => {
                unknown_column_hint(ctx, tables, &field.name).await
            }
            _ => None,
        },
        _ => None,
    };
    match hint {
        Some(message) => DataFusionError::Plan(message),
        None => error,
    }
}

/// `table 'datafusion.public.acount' not found` → `datafusion.public.acount`.
fn unknown_table(message: &str) -> Option<&str> {
    message.strip_prefix("table '")?.strip_suffix("' not found")
}

fn unknown_table_hint(ctx: &SessionContext, reference: &str) -> Option<String> {
    let parts: Vec<&str> = reference.split('.').collect();
    let [catalog_name, schema_name, table] = parts.as_slice() else {
        return None;
    };
    let default_schema = ctx
        .state()
        .config()
        .options()
        .catalog
        .default_schema
        .clone();
    let catalog = ctx.catalog(catalog_name)?;
    let unqualified = schema_name.eq_ignore_ascii_case(&default_schema);
    let connection: Option<Arc<ConnectionSchema>> = if unqualified {
        let schema = catalog.schema(schema_name)?;
        schema
            .downcast_ref::<DefaultSchema>()
            .and_then(DefaultSchema::fallback)
    } else {
        None
    };
    if unqualified && connection.is_none() {
        // Several connections: none is the default, each object lives under its own.
        let mut owners: Vec<String> = catalog
            .schema_names()
            .into_iter()
            .filter_map(|name| {
                let schema = catalog.schema(&name)?;
                let c = schema.downcast_ref::<ConnectionSchema>()?;
                Some(format!("`{}.{}`", c.name(), c.object_name(table)?))
            })
            .collect();
        owners.sort();
        if !owners.is_empty() {
            return Some(format!(
                "no table `{table}` in the default schema: with more than one connection, name the connection, e.g. {}",
                owners.join(" or ")
            ));
        }
    }
    let (written, names, schema_label) = match &connection {
        Some(c) => (table.to_string(), c.table_names(), c.name().to_owned()),
        None => {
            let schema = catalog
                .schema_names()
                .into_iter()
                .find(|s| s.eq_ignore_ascii_case(schema_name))
                .and_then(|s| catalog.schema(&s))?;
            let written = if unqualified {
                table.to_string()
            } else {
                format!("{schema_name}.{table}")
            };
            let mut names = schema.table_names();
            names.sort();
            (written, names, schema_name.to_string())
        }
    };
    let mut message = format!("no table `{written}` in `{schema_label}`");
    if let Some(near) = closest(table, names.iter().map(String::as_str)) {
        message.push_str(&format!("; did you mean `{near}`?"));
    }
    const SHOWN: usize = 30;
    if names.is_empty() {
        message.push_str(" (it has no tables)");
    } else {
        let more = names.len().saturating_sub(SHOWN);
        message.push_str(&format!(
            " Its tables: {}{}",
            names
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if more > 0 {
                format!(", and {more} more (SHOW TABLES lists them all)")
            } else {
                String::new()
            }
        ));
    }
    Some(message)
}

async fn unknown_column_hint(
    ctx: &SessionContext,
    tables: &[datafusion::common::TableReference],
    written: &str,
) -> Option<String> {
    let mut columns: Vec<String> = Vec::new();
    for reference in tables {
        let Ok(provider) = ctx.table_provider(reference.clone()).await else {
            continue;
        };
        let Some(table) = provider.downcast_ref::<ObjectTable>() else {
            columns.extend(provider.schema().fields().iter().map(|f| f.name().clone()));
            continue;
        };
        let object = table.object();
        let compound = object
            .skipped
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(written));
        if let Some(compound) = compound {
            let parts: Vec<&str> = object
                .fields
                .iter()
                .filter(|f| {
                    matches!(&f.compound, CompoundRole::Component(c) if c.eq_ignore_ascii_case(&compound.name))
                })
                .map(|f| f.name.as_str())
                .collect();
            return Some(if parts.is_empty() {
                format!(
                    "`{}` of {} is not a column: {}",
                    compound.name, object.name, compound.reason
                )
            } else {
                format!(
                    "`{}` of {} is a compound field ({}), not a column: use its parts, {}",
                    compound.name,
                    object.name,
                    compound.sf_type,
                    parts.join(", ")
                )
            });
        }
        columns.extend(object.fields.iter().map(|f| f.name.clone()));
    }
    let near = closest(written, columns.iter().map(String::as_str))?;
    // Unquoted names were matched ignoring case already: this one was quoted.
    let quoted = if near.eq_ignore_ascii_case(written) {
        " (a quoted name is taken exactly as written)"
    } else {
        ""
    };
    Some(format!(
        "no column `{written}`; did you mean `{near}`?{quoted}"
    ))
}
