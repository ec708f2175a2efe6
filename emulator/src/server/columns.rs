//! `GET …/query?q=…&columns=true`: the columns a query answers, without its rows.
//!
//! Not in the REST reference, but every org serves it (the Developer Console and the
//! Salesforce CLI's `sf data query` ask for it before printing a result). The shape follows
//! what clients read: `columnMetadata[]` of `columnName`, `displayName`, `aggregate`,
//! `joinColumns` (a parent's fields, or a child subquery's), the type flags, then
//! `entityName`, `groupBy`, `idSelected`, `keyPrefix`. Flag values for relationship and
//! aggregate columns are best guesses.

use serde_json::{Value as Json, json};

use super::engine::{Column, QueryFailure, Selection};
use crate::model::OrgData;
use crate::model::schema::FieldType;

/// The column metadata of a run query.
pub(crate) fn metadata(
    data: &OrgData,
    query: &soql::Query,
    selection: &Selection,
) -> Result<Json, QueryFailure> {
    let def = &data.tables[selection.table].def;
    let columns = if selection.groups.is_some() {
        super::aggregate::keys(query)?
            .into_iter()
            .map(|(name, aggregate)| plain(&name, &name, aggregate, None))
            .collect()
    } else if selection.count_only {
        Vec::new()
    } else {
        let mut out = Vec::new();
        for column in &selection.columns {
            insert(&mut out, data, column, 0);
        }
        for child in &selection.children {
            let mut inner = Vec::new();
            for column in &child.selection.columns {
                insert(&mut inner, data, column, 0);
            }
            let mut col = plain(child.relationship, child.relationship, true, None);
            col["joinColumns"] = Json::Array(inner);
            out.push(col);
        }
        out
    };
    let id_selected = selection
        .columns
        .iter()
        .any(|c| c.steps.len() == 1 && c.names[0] == "Id");
    Ok(json!({
        "columnMetadata": columns,
        "entityName": if selection.groups.is_some() { "AggregateResult" } else { def.name },
        "groupBy": query.group_by.is_some(),
        "idSelected": id_selected,
        "keyPrefix": if selection.groups.is_some() { Json::Null } else { Json::from(def.key_prefix) },
    }))
}

/// Adds `column` from step `depth` on, under the relationship column it shares with earlier
/// columns (`Owner.Name` and `Owner.Email` are two joinColumns of one `Owner`).
fn insert(out: &mut Vec<Json>, data: &OrgData, column: &Column, depth: usize) {
    let (table, field) = column.steps[depth];
    let name = column.names[depth];
    let def = &data.tables[table].def.fields[field];
    if depth + 1 == column.steps.len() {
        out.push(plain(
            name,
            &column.header,
            false,
            Some((def.ty, def.custom, def.createable, def.updateable)),
        ));
        return;
    }
    let existing = out.iter().position(|c| {
        c["columnName"] == name && c["joinColumns"].as_array().is_some_and(|j| !j.is_empty())
    });
    let index = existing.unwrap_or_else(|| {
        let mut col = plain(name, name, false, None);
        col["foreignKeyName"] = Json::from(def.name);
        out.push(col);
        out.len() - 1
    });
    let mut joins = match out[index]["joinColumns"].take() {
        Json::Array(j) => j,
        _ => Vec::new(),
    };
    insert(&mut joins, data, column, depth + 1);
    out[index]["joinColumns"] = Json::Array(joins);
}

/// One column; `field` = (type, custom, createable, updateable) of a field column.
fn plain(
    name: &str,
    display: &str,
    aggregate: bool,
    field: Option<(FieldType, bool, bool, bool)>,
) -> Json {
    let ty = field.map(|f| f.0);
    json!({
        "aggregate": aggregate,
        "apexType": ty.map(apex_type),
        "booleanType": ty == Some(FieldType::Boolean),
        "columnName": name,
        "custom": field.is_some_and(|f| f.1),
        "displayName": display,
        "foreignKeyName": null,
        "insertable": field.is_some_and(|f| f.2),
        "joinColumns": [],
        "numberType": ty.is_some_and(|t| matches!(t, FieldType::Int | FieldType::Double | FieldType::Currency | FieldType::Percent)),
        "textType": ty.is_some_and(is_text),
        "updatable": field.is_some_and(|f| f.3),
    })
}

fn is_text(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::String
            | FieldType::Textarea
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::Picklist
            | FieldType::Multipicklist
            | FieldType::Combobox
            | FieldType::EncryptedString
    )
}

fn apex_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Id | FieldType::Reference => "Id",
        FieldType::Boolean => "Boolean",
        FieldType::Int => "Integer",
        FieldType::Double => "Double",
        FieldType::Currency | FieldType::Percent => "Decimal",
        FieldType::Date => "Date",
        FieldType::DateTime => "Datetime",
        FieldType::Time => "Time",
        FieldType::Base64 => "Blob",
        FieldType::Address => "Address",
        FieldType::Location => "Location",
        _ => "String",
    }
}
