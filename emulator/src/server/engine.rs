//! Running a SOQL query against the org: parse and check with the `soql` crate (as the
//! caller's profile sees the org), select and order rows once, keep row positions; the
//! REST, Bulk and SOAP renderers then read pages of that selection without re-running it.

use std::collections::HashMap;

use chrono::Utc;
use soql::{
    ChildRelationship, EvalContext, EvalError, FieldMeta, FieldsKind, FunctionKind, Metadata,
    ObjectMeta, Query, QueryError, SelectItem,
};

use crate::auth::Profile;
use crate::model::schema::{FieldType, ObjectDef};
use crate::model::value::Value;
use crate::model::{OrgData, Row, Table};

/// Why a query could not run: an org error code and its message.
#[derive(Debug, Clone)]
pub(crate) struct QueryFailure {
    pub code: &'static str,
    pub message: String,
}

impl QueryFailure {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        QueryFailure {
            code,
            message: message.into(),
        }
    }
}

impl From<QueryError> for QueryFailure {
    fn from(e: QueryError) -> Self {
        QueryFailure::new(e.error_code(), e.to_string())
    }
}

impl From<EvalError> for QueryFailure {
    fn from(e: EvalError) -> Self {
        QueryFailure::new("MALFORMED_QUERY", e.to_string())
    }
}

/// One selected column: the path as written (CSV header), the canonical names (JSON keys),
/// and the (table, field) positions along the path, last = the selected field.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub header: String,
    pub names: Vec<&'static str>,
    pub steps: Vec<(usize, usize)>,
}

/// A parent-to-child subquery in the select list: child rows by parent id.
#[derive(Debug)]
pub(crate) struct ChildSelection {
    pub relationship: &'static str,
    pub selection: Selection,
    pub by_parent: HashMap<String, Vec<usize>>,
}

/// What a query selected: positions of rows of one table, in result order.
#[derive(Debug)]
pub(crate) struct Selection {
    pub table: usize,
    pub columns: Vec<Column>,
    pub rows: Vec<usize>,
    pub children: Vec<ChildSelection>,
    /// `SELECT COUNT() …`: only the number of rows matters.
    pub count_only: bool,
    /// Aggregate queries: the result rows (`rows` then counts 0..n).
    pub groups: Option<Vec<super::aggregate::AggregateRow>>,
}

/// The org as the checker sees it through one profile.
struct ProfileMetadata(Vec<ObjectMeta>);

impl Metadata for ProfileMetadata {
    fn object(&self, name: &str) -> Option<&ObjectMeta> {
        self.0.object(name)
    }
}

fn metadata(data: &OrgData, profile: &Profile) -> ProfileMetadata {
    let visible = |t: &&Table| profile.can_see_object(t.def.name);
    ProfileMetadata(
        data.tables
            .iter()
            .filter(visible)
            .map(|t| {
                let fields = t
                    .def
                    .fields
                    .iter()
                    .filter(|f| profile.can_see_field(t.def.name, f.name))
                    .filter_map(|f| {
                        let ty = soql::FieldType::from_describe(f.ty.api_name())?;
                        Some(match f.relationship_name {
                            Some(rel) => FieldMeta::lookup(f.name, rel, f.reference_to),
                            None => FieldMeta::new(f.name, ty),
                        })
                    })
                    .collect();
                let mut meta = ObjectMeta::new(t.def.name, fields);
                meta.child_relationships = t
                    .def
                    .children
                    .iter()
                    .filter(|(child, ..)| profile.can_see_object(child))
                    .map(|(child, field, rel, _)| ChildRelationship {
                        relationship_name: (*rel).to_owned(),
                        child_object: (*child).to_owned(),
                        field: (*field).to_owned(),
                    })
                    .collect();
                meta
            })
            .collect(),
    )
}

/// A row seen through the `soql` crate's record trait: paths walk lookups by id.
struct RowRef<'a> {
    data: &'a OrgData,
    table: &'a Table,
    row: &'a Row,
}

fn soql_value(ty: FieldType, v: &Value) -> soql::Value {
    match v {
        Value::Null => soql::Value::Null,
        Value::Bool(b) => soql::Value::Boolean(*b),
        Value::Int(i) => soql::Value::Integer(*i),
        Value::Double(d) => soql::Value::Double(*d),
        Value::Text(s) if ty == FieldType::Multipicklist => soql::Value::multipicklist(s),
        Value::Text(s) => soql::Value::String(s.clone()),
        Value::Date(d) => soql::Value::Date(*d),
        Value::DateTime(t) => soql::Value::DateTime(*t),
        Value::Time(t) => soql::Value::Time(*t),
    }
}

impl soql::Record for RowRef<'_> {
    fn value(&self, path: &[&str]) -> Option<soql::Value> {
        let (last, parents) = path.split_last()?;
        let (mut table, mut row) = (self.table, self.row);
        for rel in parents {
            let field = table.def.relationship(rel)?;
            let i = table.def.field_index(field.name)?;
            match row[i].as_str().and_then(|id| self.data.row_by_id(id)) {
                Some((t, r)) => (table, row) = (t, r),
                None => return Some(soql::Value::Null),
            }
        }
        let i = table.def.field_index(last)?;
        Some(soql_value(table.def.fields[i].ty, &row[i]))
    }
}

/// Answers `Id IN (SELECT AccountId FROM Contact …)`.
struct SemiJoins<'a> {
    data: &'a OrgData,
    ctx: &'a EvalContext,
    all_rows: bool,
}

impl soql::Subqueries for SemiJoins<'_> {
    fn values(&self, query: &Query) -> Result<Vec<soql::Value>, EvalError> {
        let unsupported = |what: &str| EvalError::Unsupported {
            what: what.to_owned(),
            hint: "select one field in the subquery",
        };
        let table = self
            .data
            .table(query.from.object.name())
            .ok_or_else(|| unsupported(query.from.object.name()))?;
        let path = query
            .selected_paths()
            .next()
            .ok_or_else(|| unsupported("the subquery"))?;
        let names: Vec<&str> = path.names().collect();
        let rows = live_rows(self.data, table, self.all_rows);
        let kept = soql::select_rows(query, rows, self.ctx, self)?;
        Ok(kept
            .iter()
            .filter_map(|r| soql::Record::value(r, &names))
            .collect())
    }
}

fn live_rows<'a>(data: &'a OrgData, table: &'a Table, all_rows: bool) -> Vec<RowRef<'a>> {
    let deleted = table.def.field_index("IsDeleted");
    data.rows(table)
        .iter()
        .flatten()
        .filter(|row| all_rows || deleted.is_none_or(|d| row[d] != Value::Bool(true)))
        .map(|row| RowRef { data, table, row })
        .collect()
}

/// Resolves a written path (`Owner.Name`, `a.Name`) into canonical names and positions.
fn resolve(data: &OrgData, table: usize, path: &[&str]) -> Option<Column> {
    let header = path.join(".");
    let (last, parents) = path.split_last()?;
    let mut t = table;
    let mut names = Vec::new();
    let mut steps = Vec::new();
    for rel in parents {
        let def = &data.tables[t].def;
        let field = def.relationship(rel)?;
        steps.push((t, def.field_index(field.name)?));
        names.push(field.relationship_name?);
        // Polymorphic lookups (Owner → Group/User) hold User ids in this org.
        let target = field
            .reference_to
            .iter()
            .rev()
            .find(|o| data.table(o).is_some())?;
        t = data.tables.iter().position(|x| x.def.name == *target)?;
    }
    let def = &data.tables[t].def;
    let i = def.field_index(last)?;
    names.push(def.fields[i].name);
    steps.push((t, i));
    Some(Column {
        header,
        names,
        steps,
    })
}

fn expand_fields(def: &ObjectDef, kind: FieldsKind, profile: &Profile) -> Vec<&'static str> {
    def.fields
        .iter()
        .filter(|f| profile.can_see_field(def.name, f.name))
        .filter(|f| match kind {
            FieldsKind::All => true,
            FieldsKind::Standard => !f.custom,
            FieldsKind::Custom => f.custom,
        })
        .map(|f| f.name)
        .collect()
}

/// Parses and checks `soql` as `profile` sees the org.
pub(crate) fn check(
    data: &OrgData,
    profile: &Profile,
    soql_text: &str,
) -> Result<Query, QueryFailure> {
    if soql::check_length(soql_text).is_err() {
        // The limit is documented; the message is a best guess after the one orgs gave for
        // the older 20,000-character limit.
        return Err(QueryFailure::new(
            "MALFORMED_QUERY",
            format!(
                "SOQL statements cannot be longer than {} characters",
                soql::MAX_STATEMENT_CHARS
            ),
        ));
    }
    // Aliases written out (`a.Name` → `Account.Name`): the engine sees paths from the object.
    Ok(soql::check_text(soql_text, &metadata(data, profile))?.unaliased())
}

/// Selects the rows of a checked query; `all_rows` = queryAll (recycle bin included).
pub(crate) fn execute(
    data: &OrgData,
    profile: &Profile,
    query: &Query,
    all_rows: bool,
) -> Result<Selection, QueryFailure> {
    select(data, profile, query, all_rows || query.all_rows)
}

/// Parses, checks and runs `soql`.
pub(crate) fn run(
    data: &OrgData,
    profile: &Profile,
    soql_text: &str,
    all_rows: bool,
) -> Result<(Query, Selection), QueryFailure> {
    let query = check(data, profile, soql_text)?;
    let selection = execute(data, profile, &query, all_rows)?;
    Ok((query, selection))
}

fn select(
    data: &OrgData,
    profile: &Profile,
    query: &Query,
    all_rows: bool,
) -> Result<Selection, QueryFailure> {
    let table_index = data
        .tables
        .iter()
        .position(|t| t.def.name.eq_ignore_ascii_case(query.from.object.name()))
        .ok_or_else(|| {
            QueryFailure::new(
                "INVALID_TYPE",
                format!(
                    "sObject type '{}' is not supported.",
                    query.from.object.name()
                ),
            )
        })?;
    let table = &data.tables[table_index];
    // `SELECT COUNT() …` answers only totalSize; other aggregate queries answer groups.
    let count_only = query.group_by.is_none()
        && query.select.len() == 1
        && matches!(&query.select[0], SelectItem::Field(f)
            if matches!(&f.expr, soql::FieldExpr::Call(c) if c.function == soql::Function::Count && c.args.is_empty()));
    let grouped = query.is_aggregate() && !count_only;
    let mut columns = Vec::new();
    let mut children = Vec::new();
    for item in &query.select {
        match item {
            SelectItem::Field(f) => match &f.expr {
                soql::FieldExpr::Path(p) => {
                    let names: Vec<&str> = p.names().collect();
                    let col = resolve(data, table_index, &names).ok_or_else(|| {
                        QueryFailure::new(
                            "INVALID_FIELD",
                            format!("No such column '{p}' on entity '{}'", table.def.name),
                        )
                    })?;
                    columns.push(col);
                }
                soql::FieldExpr::Call(c) if c.function.kind() == FunctionKind::Aggregate => {}
                soql::FieldExpr::Call(c) => match f.expr.path() {
                    // toLabel/FORMAT/convertCurrency show the stored value here.
                    Some(p) if c.function.kind() == FunctionKind::Transform => {
                        let names: Vec<&str> = p.names().collect();
                        if let Some(col) = resolve(data, table_index, &names) {
                            columns.push(col);
                        }
                    }
                    _ => {
                        return Err(QueryFailure::new(
                            "MALFORMED_QUERY",
                            format!("the emulated org does not evaluate {c} in a select list"),
                        ));
                    }
                },
            },
            SelectItem::Fields(kind, _) => {
                for name in expand_fields(&table.def, *kind, profile) {
                    if let Some(col) = resolve(data, table_index, &[name]) {
                        columns.push(col);
                    }
                }
            }
            SelectItem::Subquery(sub) => {
                let rel = sub.from.object.name();
                let Some((child, field, rel_name, _)) = table
                    .def
                    .children
                    .iter()
                    .find(|(_, _, r, _)| r.eq_ignore_ascii_case(rel))
                else {
                    return Err(QueryFailure::new(
                        "INVALID_TYPE",
                        format!(
                            "Didn't understand relationship '{rel}' in FROM part of query call."
                        ),
                    ));
                };
                let mut inner = (**sub).clone();
                inner.from.object = soql::Ident::new(child)
                    .ok_or_else(|| QueryFailure::new("INVALID_TYPE", *child))?;
                let inner_sel = select(data, profile, &inner, all_rows)?;
                let child_table = &data.tables[inner_sel.table];
                let fk = child_table.def.field_index(field);
                let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
                let rows = data.rows(child_table);
                for &r in &inner_sel.rows {
                    if let (Some(fk), Some(Some(row))) = (fk, rows.get(r))
                        && let Some(parent) = row[fk].as_str()
                    {
                        by_parent.entry(parent.to_owned()).or_default().push(r);
                    }
                }
                children.push(ChildSelection {
                    relationship: rel_name,
                    selection: inner_sel,
                    by_parent,
                });
            }
            SelectItem::TypeOf(_) => {
                return Err(QueryFailure::new(
                    "MALFORMED_QUERY",
                    "the emulated org does not evaluate TYPEOF",
                ));
            }
        }
    }
    let ctx = EvalContext::new(Utc::now());
    let semi = SemiJoins {
        data,
        ctx: &ctx,
        all_rows,
    };
    let rows = data.rows(table);
    let deleted = table.def.field_index("IsDeleted");
    let candidates: Vec<(usize, RowRef<'_>)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|row| (i, row)))
        .filter(|(_, row)| all_rows || deleted.is_none_or(|d| row[d] != Value::Bool(true)))
        .map(|(i, row)| (i, RowRef { data, table, row }))
        .collect();
    if grouped {
        let mut filter_only = query.clone();
        filter_only.order_by.clear();
        filter_only.limit = None;
        filter_only.offset = None;
        let kept = soql::select_rows(
            &filter_only,
            candidates.into_iter().map(Indexed).collect(),
            &ctx,
            &semi,
        )?;
        let groups = super::aggregate::aggregate(query, &kept, &ctx)?;
        return Ok(Selection {
            table: table_index,
            columns: Vec::new(),
            rows: (0..groups.len()).collect(),
            children: Vec::new(),
            count_only: false,
            groups: Some(groups),
        });
    }
    let selected = soql::select_rows(
        query,
        candidates.into_iter().map(Indexed).collect(),
        &ctx,
        &semi,
    )?;
    Ok(Selection {
        table: table_index,
        columns,
        rows: selected.into_iter().map(|Indexed((i, _))| i).collect(),
        children,
        count_only,
        groups: None,
    })
}

/// A row that remembers its position through `select_rows`.
struct Indexed<'a>((usize, RowRef<'a>));

impl soql::Record for Indexed<'_> {
    fn value(&self, path: &[&str]) -> Option<soql::Value> {
        self.0.1.value(path)
    }
}

/// The value of `column` for `row`, following lookups; `None` when a parent on the way is
/// missing (null lookup).
pub(crate) fn column_value<'a>(
    data: &'a OrgData,
    column: &Column,
    row: &'a Row,
) -> Option<(&'a Table, &'a Row, usize)> {
    let (mut table, mut row) = (&data.tables[column.steps[0].0], row);
    let (last, parents) = column.steps.split_last()?;
    for &(_, field) in parents {
        let (t, r) = row[field].as_str().and_then(|id| data.row_by_id(id))?;
        (table, row) = (t, r);
    }
    Some((table, row, last.1))
}
