//! The recipe file as written by people: the serde model, with the line and column of every
//! name and expression so that errors can point at them.
//!
//! `schemas/recipe.schema.json` is generated from these types ([`recipe_json_schema`]).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A value with the line and column (1-based) where the recipe file writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Line, 1-based (0 when unknown).
    pub line: u32,
    /// Column, 1-based (0 when unknown).
    pub column: u32,
}

impl<T> Located<T> {
    /// A value with no known place (built in code, not read from a file).
    pub fn new(value: T) -> Self {
        Self {
            value,
            line: 0,
            column: 0,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        Ok(Self {
            value: spanned.value,
            line: u32::try_from(spanned.referenced.line()).unwrap_or(0),
            column: u32::try_from(spanned.referenced.column()).unwrap_or(0),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A name (of a node or a column) where it is written.
pub type Name = Located<String>;
/// A SQL expression (DataFusion's SQL) where it is written.
pub type Sql = Located<String>;

/// A YAML mapping whose keys keep the order they are written in (formulas may use the
/// columns of earlier formulas; outputs are listed in file order). A key given twice is an
/// error.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Ordered<V> {
    /// The entries, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!(
                            "`{key}` is given twice; each name must be unique"
                        )));
                    }
                    let value = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for Ordered<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

/// A recipe file (`*.yaml`), as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "sfdf recipe",
    description = "A recipe: a named DAG of transform nodes over Salesforce objects and files, run by DataFusion."
)]
pub struct RecipeFile {
    /// The recipe's name: letters, digits and underscores.
    pub name: String,
    /// Free text, optional.
    #[serde(default)]
    pub description: Option<String>,
    /// The connections the recipe reads: a short name per connection file (the path is
    /// relative to the recipe).
    #[serde(default)]
    pub connections: Ordered<Located<String>>,
    /// The nodes, by name. Each node has exactly one action and names its input(s).
    pub nodes: Ordered<Located<Node>>,
}

/// One node: exactly one action.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// Reads an object of a connection, or a Parquet or CSV file.
    Load(Load),
    /// Keeps the rows for which a SQL condition is true.
    Filter(Filter),
    /// Joins two inputs.
    Join(Join),
    /// Stacks inputs by column name; a column missing from an input is null there.
    Append(Append),
    /// Groups rows and computes measures, optionally pivoted on one column.
    Aggregate(Aggregate),
    /// Adds or replaces columns computed by SQL expressions.
    Formula(Formula),
    /// Window functions over partitions and orderings: lag, lead, row_number, rank, running totals.
    Window(Window),
    /// Maps ranges or values of a column to labels.
    Bucket(Bucket),
    /// Splits a text column into several columns.
    Split(Split),
    /// Turns a multi-select picklist (values separated by `;`) into one row per value.
    Flatten(Flatten),
    /// Adds year, quarter, month, week, day, fiscal quarter and fiscal year of a date column.
    DateParts(DateParts),
    /// Changes column types.
    Cast(Cast),
    /// Keeps the listed columns, in that order.
    Select(Select),
    /// Renames columns.
    Rename(Rename),
    /// Removes columns.
    Drop(Drop),
    /// Sorts rows.
    Sort(Sort),
    /// Keeps the first rows.
    Limit(Limit),
    /// Writes its input to a file.
    Output(Output),
}

impl Node {
    /// The action's name as written in YAML (`load`, `date_parts`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Load(_) => "load",
            Node::Filter(_) => "filter",
            Node::Join(_) => "join",
            Node::Append(_) => "append",
            Node::Aggregate(_) => "aggregate",
            Node::Formula(_) => "formula",
            Node::Window(_) => "window",
            Node::Bucket(_) => "bucket",
            Node::Split(_) => "split",
            Node::Flatten(_) => "flatten",
            Node::DateParts(_) => "date_parts",
            Node::Cast(_) => "cast",
            Node::Select(_) => "select",
            Node::Rename(_) => "rename",
            Node::Drop(_) => "drop",
            Node::Sort(_) => "sort",
            Node::Limit(_) => "limit",
            Node::Output(_) => "output",
        }
    }

    /// The nodes this node reads, in order.
    pub fn inputs(&self) -> Vec<&Name> {
        match self {
            Node::Load(_) => Vec::new(),
            Node::Join(j) => vec![&j.left, &j.right],
            Node::Append(a) => a.inputs.iter().collect(),
            Node::Filter(n) => vec![&n.input],
            Node::Aggregate(n) => vec![&n.input],
            Node::Formula(n) => vec![&n.input],
            Node::Window(n) => vec![&n.input],
            Node::Bucket(n) => vec![&n.input],
            Node::Split(n) => vec![&n.input],
            Node::Flatten(n) => vec![&n.input],
            Node::DateParts(n) => vec![&n.input],
            Node::Cast(n) => vec![&n.input],
            Node::Select(n) => vec![&n.input],
            Node::Rename(n) => vec![&n.input],
            Node::Drop(n) => vec![&n.input],
            Node::Sort(n) => vec![&n.input],
            Node::Limit(n) => vec![&n.input],
            Node::Output(n) => vec![&n.input],
        }
    }
}

/// `load`: one source — `connection` + `object` (live, or its synced copy with `synced`),
/// `delta: DIR`, `parquet: PATH` or `csv: PATH`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// A connection's short name (from `connections:`); needs `object`.
    #[serde(default)]
    pub connection: Option<Name>,
    /// The object's API name, e.g. `Opportunity` (any case).
    #[serde(default)]
    pub object: Option<Name>,
    /// With `connection` + `object`: read the object's synced Delta table under this sync
    /// target folder (`DIR/<developer name>/<object>/`, as `sfdf sync --target DIR` writes
    /// it) instead of the org. Relative to the recipe.
    #[serde(default)]
    pub synced: Option<Located<String>>,
    /// A Delta table's folder, relative to the recipe.
    #[serde(default)]
    pub delta: Option<Located<String>>,
    /// A Parquet file, relative to the recipe.
    #[serde(default)]
    pub parquet: Option<Located<String>>,
    /// A CSV file with a header row, relative to the recipe.
    #[serde(default)]
    pub csv: Option<Located<String>>,
    /// The columns to keep (default: all). For a live object only these are queried.
    #[serde(default)]
    pub columns: Option<Vec<Name>>,
    /// A SQL condition; for a live object it reaches SOQL's `WHERE` where SOQL can express it.
    #[serde(default)]
    pub filter: Option<Sql>,
}

/// `filter`: keeps rows where `where` is true (null counts as false).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// The input node.
    pub input: Name,
    /// A SQL condition, e.g. `IsWon AND Amount > 10000`.
    #[serde(rename = "where")]
    pub condition: Sql,
}

/// How a join pairs rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    /// Rows with a match on both sides.
    Inner,
    /// Every left row; right columns null where there is no match.
    Left,
    /// Every right row; left columns null where there is no match.
    Right,
    /// Every row of both sides.
    Full,
    /// Every left row with every right row (no `on`).
    Cross,
    /// Every left row and at most one match: among right rows with the same key, the one
    /// that sorts first by the right input's columns, left to right (nulls last).
    Lookup,
    /// Every left row and every match (a left join).
    MultiValueLookup,
}

/// `join`: two inputs, paired on key columns.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// The left input node.
    pub left: Name,
    /// The right input node.
    pub right: Name,
    /// `inner`, `left`, `right`, `full`, `cross`, `lookup` or `multi_value_lookup`.
    pub kind: Located<JoinKind>,
    /// Key columns, `LEFT_COLUMN: RIGHT_COLUMN`; several make a composite key. Not for `cross`.
    #[serde(default)]
    pub on: Ordered<Name>,
    /// Put before every right column's name; default: the right node's name and `_`
    /// (`account_Industry`). `""` keeps the names (an error if a name is on both sides).
    #[serde(default)]
    pub right_prefix: Option<String>,
}

/// `append`: a union by column name.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Append {
    /// Two or more input nodes.
    pub inputs: Vec<Name>,
}

/// `aggregate`: one row per group.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// The input node.
    pub input: Name,
    /// Group-by columns (none: one row for the whole input).
    #[serde(default)]
    pub group_by: Vec<Name>,
    /// Result column → aggregate SQL: `sum(Amount)`, `avg(..)`, `count(*)`,
    /// `count(DISTINCT ..)`, `min(..)`, `max(..)`, `median(..)`, `stddev(..)`, `var(..)`.
    pub measures: Ordered<Sql>,
    /// One column per value of a column and per measure (`Closed Won_amount`).
    #[serde(default)]
    pub pivot: Option<Pivot>,
}

/// A pivot: measures computed separately for each listed value of one column.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pivot {
    /// The column whose values become columns.
    pub column: Name,
    /// The values, each giving one column per measure named `VALUE_MEASURE`.
    pub values: Vec<String>,
}

/// `formula`: new or replaced columns, computed in order (a later one may use an earlier one).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Formula {
    /// The input node.
    pub input: Name,
    /// Column → SQL expression, e.g. `margin: Amount * 0.2`.
    pub columns: Ordered<Sql>,
}

/// `window`: functions computed over partitions of rows in an order.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The input node.
    pub input: Name,
    /// Columns that split rows into partitions (none: one partition).
    #[serde(default)]
    pub partition_by: Vec<Name>,
    /// The order within a partition: `Column` or `Column desc`.
    #[serde(default)]
    pub order_by: Vec<Name>,
    /// Column → function: `row_number()`, `rank()`, `lag(Amount)`, `lead(Amount, 2)`, or an
    /// aggregate such as `sum(Amount)`, which gives a running total (rows up to this one).
    pub columns: Ordered<Sql>,
}

/// `bucket`: a label per range or per set of values (give `ranges` or `values`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// The input node.
    pub input: Name,
    /// The column to bucket.
    pub column: Name,
    /// The new column's name.
    #[serde(rename = "as")]
    pub into: String,
    /// Numeric ranges, in increasing order: the first whose `below` exceeds the value wins.
    #[serde(default)]
    pub ranges: Option<Vec<Range>>,
    /// Label → the values that get it.
    #[serde(default)]
    pub values: Option<Ordered<Vec<String>>>,
    /// The label of values no range or value list matches (default: null). Null stays null.
    #[serde(default)]
    pub otherwise: Option<String>,
}

/// One bucket range: values below `below` (and not in an earlier range).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// The range's exclusive upper bound.
    pub below: f64,
    /// The label.
    pub label: String,
}

/// `split`: parts of a text column, by a separator, into new columns.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The input node.
    pub input: Name,
    /// The text column.
    pub column: Name,
    /// The separator, e.g. `" "` or `"-"`.
    pub separator: String,
    /// The new columns: the first part, the second, ...; a missing part is null.
    pub into: Vec<String>,
}

/// `flatten`: one row per value of a multi-select picklist (`A;B;C`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flatten {
    /// The input node.
    pub input: Name,
    /// The multi-select picklist column.
    pub column: Name,
    /// The column holding one value per row (default: replaces `column`). A row whose
    /// column is null stays, once, with null.
    #[serde(default, rename = "as")]
    pub into: Option<String>,
}

/// A part of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatePart {
    /// Calendar year.
    Year,
    /// Calendar quarter, 1-4.
    Quarter,
    /// Month, 1-12.
    Month,
    /// ISO week of the year, 1-53.
    Week,
    /// Day of the month, 1-31.
    Day,
    /// Quarter of the fiscal year, 1-4.
    FiscalQuarter,
    /// Fiscal year, named by the calendar year in which it ends.
    FiscalYear,
}

impl DatePart {
    /// The name as written (`fiscal_quarter`).
    pub fn name(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::Quarter => "quarter",
            DatePart::Month => "month",
            DatePart::Week => "week",
            DatePart::Day => "day",
            DatePart::FiscalQuarter => "fiscal_quarter",
            DatePart::FiscalYear => "fiscal_year",
        }
    }
}

/// `date_parts`: integer columns `PREFIX + part` from a date or timestamp column.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateParts {
    /// The input node.
    pub input: Name,
    /// The date or timestamp column.
    pub column: Name,
    /// The parts to add.
    pub parts: Vec<DatePart>,
    /// The month (1-12) the fiscal year starts in; default 1 (January).
    #[serde(default)]
    pub fiscal_start_month: Option<Located<u32>>,
    /// Put before each part's name; default: the column's name and `_` (`CloseDate_year`).
    #[serde(default)]
    pub prefix: Option<String>,
}

/// `cast`: column → SQL type (`int`, `bigint`, `double`, `decimal(18,2)`, `varchar`,
/// `date`, `timestamp`, `boolean`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cast {
    /// The input node.
    pub input: Name,
    /// Column → type.
    pub columns: Ordered<Located<String>>,
}

/// `select`: keeps these columns, in this order.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// The input node.
    pub input: Name,
    /// The columns.
    pub columns: Vec<Name>,
}

/// `rename`: old name → new name.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    /// The input node.
    pub input: Name,
    /// Old name → new name.
    pub columns: Ordered<Located<String>>,
}

/// `drop`: removes these columns.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Drop {
    /// The input node.
    pub input: Name,
    /// The columns.
    pub columns: Vec<Name>,
}

/// `sort`: orders rows.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// The input node.
    pub input: Name,
    /// `Column` (ascending, nulls last) or `Column desc` (nulls first), most significant first.
    pub by: Vec<Name>,
}

/// `limit`: keeps at most `rows` rows (after skipping `skip`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The input node.
    pub input: Name,
    /// How many rows to keep.
    pub rows: usize,
    /// How many rows to skip first (default 0).
    #[serde(default)]
    pub skip: usize,
}

/// A file format of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A Delta table (a folder), written with `mode`.
    Delta,
}

/// How an output writes a Delta table (CSV and Parquet files are always replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteMode {
    /// Replace the table's rows (a new version; the old ones stay in its history).
    #[default]
    Overwrite,
    /// Add the rows.
    Append,
    /// Update rows whose `key` matches, insert the others; rows not in the input stay.
    Upsert,
}

/// `output`: writes its input to a file or Delta table, atomically (a failed run keeps the
/// previous file or table version).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The input node.
    pub input: Name,
    /// The file, relative to the recipe; its directory is created if missing.
    pub path: Located<String>,
    /// `csv`, `parquet` or `delta`; default: from the path's extension (`.csv`, `.parquet`).
    #[serde(default)]
    pub format: Option<Format>,
    /// Delta only: `overwrite` (the default), `append` or `upsert`.
    #[serde(default)]
    pub mode: Option<Located<WriteMode>>,
    /// Delta `upsert` only: the key column; the input must hold each key at most once.
    #[serde(default)]
    pub key: Option<Name>,
}

/// The JSON Schema of recipe files, pretty-printed (what `schemas/recipe.schema.json` holds).
pub fn recipe_json_schema() -> String {
    let schema = schemars::schema_for!(RecipeFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
