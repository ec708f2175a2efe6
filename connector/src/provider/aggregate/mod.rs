//! Aggregates answered by the org: `COUNT(*)`, `COUNT(field)`, `COUNT(DISTINCT field)`,
//! `MIN`, `MAX`, `SUM` and `AVG`, with or without `GROUP BY`, become one SOQL aggregate
//! query (`SELECT IsWon, SUM(Amount) FROM Opportunity WHERE .. GROUP BY IsWon`).
//!
//! DataFusion hands a `TableProvider` projections, filters and a limit, never an aggregate,
//! so [`AggregatePushdown`] is a logical optimizer rule (as datafusion-federation does it):
//! it finds an `Aggregate` directly over the `TableScan` of an [`ObjectTable`] and replaces
//! both with a scan of an [`AggregateTable`](exec::AggregateTable), whose plan
//! ([`SoqlAggregateExec`]) makes one REST call (SOAP for `soap` connections) instead of
//! downloading the rows. [`translate`] is the one translation: a shape the org answers
//! exactly gives a [`PushedAggregate`], any other `None`, and the plan stays DataFusion's.
//!
//! When it applies:
//! - every filter on the scan is *exact* ([`super::pushdown`]): an inexact or untranslated
//!   one leaves a `Filter` between aggregate and scan, so the shape does not match, and SOQL
//!   would aggregate other rows than SQL; the scan has no `LIMIT`;
//! - the aggregate has no grouping sets, and no `FILTER` or `ORDER BY` on an aggregate;
//! - each group key is a field describe marks `groupable` whose values SOQL groups as SQL
//!   does: checkboxes, integers, dates and restricted picklists. Other text is not pushed:
//!   SOQL compares text ignoring case, so `'Energy'` and `'ENERGY'` could fall into one
//!   group where SQL keeps two. A restricted picklist (`restrictedPicklist` in describe) holds
//!   only its defined values, which Salesforce keeps unique ignoring case; an unrestricted
//!   one (`Account.Industry` in most orgs) takes any value through the API;
//! - each aggregate takes a field describe marks `aggregatable`, and SOQL's answer is
//!   DataFusion's own ([`Aggregate`]): no `MIN`/`MAX`/`COUNT(DISTINCT)` of text (case and
//!   collation differ), no `SUM`/`AVG` of `double` fields (the org sums exact decimals,
//!   DataFusion floating point numbers in any order);
//! - `sfdf.pushdown.aggregates` is on (the default).
//!
//! `COUNT(DISTINCT x)` reaches the rule already rewritten by DataFusion's
//! `single_distinct_aggregation_to_group_by` (an aggregate over `GROUP BY .., x`); that
//! pair is recognised as the one aggregate it was.
//!
//! Bulk API 2.0 refuses aggregate queries, so a `bulkv2` connection's aggregate goes
//! through REST too. If the org refuses the query (more than 2,000 groups: `GROUP BY`
//! answers cannot continue with `queryMore`), times out (`QUERY_TIMEOUT` on a large
//! object), or answers a number a double cannot carry exactly, the plan warns and runs the
//! aggregate DataFusion would have run without the rule: the answer is the same either way.

mod answer;
mod exec;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result};
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::functions_aggregate::average::Avg;
use datafusion::functions_aggregate::count::Count;
use datafusion::functions_aggregate::min_max::{Max, Min};
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::expr::{AggregateFunction, Alias, Cast};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, TableScan};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

pub use exec::SoqlAggregateExec;

use super::options::Pushdown;
use super::table::ObjectTable;
use crate::extract::SoqlQuery;
use crate::schema::ObjectSchema;

/// The optimizer rule; registered by [`register_connection`](super::register_connection).
#[derive(Debug, Default)]
pub(crate) struct AggregatePushdown;

impl AggregatePushdown {
    pub(crate) const NAME: &'static str = "sfdf_aggregate_pushdown";
}

impl OptimizerRule for AggregatePushdown {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        Pushdown::Aggregates.rewrite(plan, &config.options(), pushed_plan)
    }
}

/// `plan` as a scan of the org's answer, when it is an aggregate the org answers exactly.
fn pushed_plan(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let Some(shape) = Shape::of(plan) else {
        return Ok(None);
    };
    let scan = shape.scan;
    if scan.fetch.is_some() {
        return Ok(None);
    }
    let Ok(provider) = source_as_provider(&scan.source) else {
        return Ok(None);
    };
    let Some(table) = provider.downcast_ref::<ObjectTable>() else {
        return Ok(None);
    };
    let Some(query) = table.exact_query(&scan.filters) else {
        return Ok(None);
    };
    let output = plan.schema();
    let fields: Vec<Field> = output
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Field::new(column_name(i), f.data_type().clone(), f.is_nullable())
                .with_metadata(f.metadata().clone())
        })
        .collect();
    let Some(pushed) = translate(&shape, table.object(), query, Arc::new(Schema::new(fields)))
    else {
        return Ok(None);
    };
    let source = provider_as_source(Arc::new(exec::AggregateTable::new(
        table.session().clone(),
        pushed,
        plan.clone(),
    )));
    // Each output column keeps its name (`sum(Opportunity.Amount)`) and qualifier.
    let columns = output
        .iter()
        .enumerate()
        .map(|(i, (qualifier, field))| {
            Expr::Column(Column::new(Some(scan.table_name.clone()), column_name(i)))
                .alias_qualified(qualifier.cloned(), field.name())
        })
        .collect::<Vec<_>>();
    let plan = LogicalPlanBuilder::scan(scan.table_name.clone(), source, None)?
        .project(columns)?
        .build()?;
    Ok(Some(plan))
}

/// The name of an [`exec::AggregateTable`] column; renamed to the aggregate's own above it.
fn column_name(index: usize) -> String {
    format!("c{index}")
}

/// An aggregate function as SQL wrote it, before SOQL is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    /// `COUNT(*)`, `COUNT(1)`: rows.
    Rows,
    /// `COUNT(x)`: non-null values.
    Count,
    /// `COUNT(DISTINCT x)`.
    CountDistinct,
    Min,
    Max,
    Sum,
    Avg,
}

/// One aggregate of the shape: the function and its argument (none for [`Aggregate::Rows`]).
#[derive(Debug)]
struct Call<'a> {
    aggregate: Aggregate,
    arg: Option<&'a Expr>,
}

/// An aggregate over one object's scan, as DataFusion planned it.
#[derive(Debug)]
struct Shape<'a> {
    scan: &'a TableScan,
    /// Group keys, expressions over the scan's columns.
    groups: Vec<&'a Expr>,
    /// Aggregates, in output order after the groups.
    calls: Vec<Call<'a>>,
}

impl<'a> Shape<'a> {
    /// `Aggregate` over a `TableScan`, or the two aggregates DataFusion makes of one with a
    /// single `COUNT(DISTINCT x)` (see the module docs).
    fn of(plan: &'a LogicalPlan) -> Option<Shape<'a>> {
        let LogicalPlan::Aggregate(outer) = plan else {
            return None;
        };
        let plain = |exprs: &'a [Expr]| -> Option<Vec<&'a Expr>> {
            exprs
                .iter()
                .map(|e| (!matches!(e, Expr::GroupingSet(_))).then_some(e))
                .collect()
        };
        match outer.input.as_ref() {
            LogicalPlan::TableScan(scan) => Some(Shape {
                scan,
                groups: plain(&outer.group_expr)?,
                calls: outer
                    .aggr_expr
                    .iter()
                    .map(call)
                    .collect::<Option<Vec<_>>>()?,
            }),
            LogicalPlan::Aggregate(inner) if inner.aggr_expr.is_empty() => {
                let LogicalPlan::TableScan(scan) = inner.input.as_ref() else {
                    return None;
                };
                // inner: GROUP BY g1, .., gk, x AS alias1; outer: GROUP BY g1, .., gk.
                let (distinct, keys) = inner.group_expr.split_last()?;
                let Expr::Alias(Alias {
                    expr: value, name, ..
                }) = distinct
                else {
                    return None;
                };
                if keys.len() != outer.group_expr.len() {
                    return None;
                }
                let inner_fields = inner.schema.fields();
                for (i, key) in outer.group_expr.iter().enumerate() {
                    let Expr::Column(c) = key else { return None };
                    if c.name != *inner_fields[i].name() {
                        return None;
                    }
                }
                let calls = outer
                    .aggr_expr
                    .iter()
                    .map(|e| {
                        let Call { aggregate, arg } = call(e)?;
                        let Some(Expr::Column(c)) = arg else {
                            return None;
                        };
                        if c.name != *name {
                            return None;
                        }
                        let aggregate = match aggregate {
                            Aggregate::Count => Aggregate::CountDistinct,
                            Aggregate::Min | Aggregate::Max => aggregate,
                            _ => return None,
                        };
                        Some(Call {
                            aggregate,
                            arg: Some(value.as_ref()),
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(Shape {
                    scan,
                    groups: plain(keys)?,
                    calls,
                })
            }
            _ => None,
        }
    }
}

/// The aggregate function of `expr`, when it is one SOQL may have: no `FILTER`, no
/// `ORDER BY`, one argument.
fn call(expr: &Expr) -> Option<Call<'_>> {
    let mut expr = expr;
    while let Expr::Alias(Alias { expr: inner, .. }) = expr {
        expr = inner;
    }
    let Expr::AggregateFunction(AggregateFunction { func, params }) = expr else {
        return None;
    };
    if params.filter.is_some() || !params.order_by.is_empty() {
        return None;
    }
    let [arg] = params.args.as_slice() else {
        return None;
    };
    let udf = func.inner();
    let aggregate = if udf.is::<Count>() {
        match (params.distinct, arg) {
            (false, Expr::Literal(value, _)) if !value.is_null() => {
                return Some(Call {
                    aggregate: Aggregate::Rows,
                    arg: None,
                });
            }
            (false, _) => Aggregate::Count,
            (true, _) => Aggregate::CountDistinct,
        }
    } else if udf.is::<Min>() {
        Aggregate::Min
    } else if udf.is::<Max>() {
        Aggregate::Max
    } else if udf.is::<Sum>() && !params.distinct {
        Aggregate::Sum
    } else if udf.is::<Avg>() && !params.distinct {
        Aggregate::Avg
    } else {
        return None;
    };
    Some(Call {
        aggregate,
        arg: Some(arg),
    })
}

/// A SOQL aggregate function of one field: `SUM(Amount)`, `COUNT(Id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoqlCall {
    pub function: soql::Function,
    pub field: String,
}

/// One output column of a [`PushedAggregate`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Output {
    /// The value of group key `n` (SOQL answers it under the field's name).
    Group(usize),
    /// `COUNT(*)`: the row count of `SELECT COUNT()` when it is the only output.
    Rows,
    /// The answer of SOQL call `n` (`expr{n}`).
    Call(usize),
    /// `AVG(x)` from the answers of `SUM(x)` and `COUNT(x)`, divided here as DataFusion
    /// divides: SOQL's own `AVG` is a double, DataFusion's average of a decimal is not.
    Avg {
        sum: usize,
        count: usize,
        /// The argument's type.
        input: DataType,
    },
}

/// An aggregate the org answers exactly: its SOQL and how its answer becomes the
/// aggregate's output.
#[derive(Debug, Clone)]
pub(crate) struct PushedAggregate {
    /// The object and the filter (the scan's, all exact).
    pub query: SoqlQuery,
    /// `GROUP BY` fields.
    pub groups: Vec<String>,
    /// Aggregate functions of the select list, answered as `expr0`, `expr1`, ...
    pub calls: Vec<SoqlCall>,
    /// One per output column.
    pub outputs: Vec<Output>,
    /// The output: the replaced aggregate's types, named [`column_name`].
    pub schema: SchemaRef,
}

impl PushedAggregate {
    /// `SELECT COUNT() FROM ..`: only `COUNT(*)`, no groups; the org answers a row count.
    pub(crate) fn count_only(&self) -> bool {
        self.groups.is_empty() && self.outputs.iter().all(|o| *o == Output::Rows)
    }

    /// The SOQL statement. `COUNT()` alone is `SELECT COUNT() FROM ..`; anything else
    /// selects the group fields and the calls, `GROUP BY` the group fields.
    pub(crate) fn statement(&self) -> crate::Result<soql::Query> {
        let mut statement = self.query.clone().limit(None).to_query()?;
        if self.count_only() {
            statement.select = vec![select(soql::Function::Count, None)];
            return Ok(statement);
        }
        let path = |name: &str| {
            soql::field(name).map_err(|e| crate::Error::filter_from(&self.query.object, e))
        };
        let mut select_list = Vec::new();
        let mut keys = Vec::new();
        for group in &self.groups {
            let path = path(group)?;
            select_list.push(soql::SelectItem::Field(soql::SelectField {
                expr: soql::FieldExpr::Path(path.clone()),
                alias: None,
            }));
            keys.push(soql::FieldExpr::Path(path));
        }
        for call in &self.calls {
            select_list.push(select(call.function, Some(path(&call.field)?)));
        }
        statement.select = select_list;
        statement.group_by = (!keys.is_empty()).then_some(soql::GroupBy {
            kind: soql::GroupingKind::Plain,
            keys,
        });
        Ok(statement)
    }

    /// The SOQL text sent (or why the statement cannot be built).
    pub(crate) fn soql(&self) -> String {
        match self.statement() {
            Ok(statement) => statement.to_string(),
            Err(e) => format!("<{e}>"),
        }
    }

    /// The names the org answers each cell under: the group fields, then `expr0`, ...
    pub(crate) fn keys(&self) -> Vec<String> {
        let calls = (0..self.calls.len()).map(|i| format!("expr{i}"));
        self.groups.iter().cloned().chain(calls).collect()
    }
}

/// `FUNCTION(path)` (or `COUNT()`) as a select item.
fn select(function: soql::Function, path: Option<soql::FieldPath>) -> soql::SelectItem {
    soql::SelectItem::Field(soql::SelectField {
        expr: soql::FieldExpr::Call(soql::FunctionCall {
            function,
            args: path
                .map(|p| soql::FunctionArg::Field(soql::FieldExpr::Path(p)))
                .into_iter()
                .collect(),
            span: soql::Span::NONE,
        }),
        alias: None,
    })
}

/// The one translation: the shape as a SOQL aggregate query over `query` (object and exact
/// filter), or `None` when SOQL's answer could differ from DataFusion's.
fn translate(
    shape: &Shape<'_>,
    object: &ObjectSchema,
    query: SoqlQuery,
    schema: SchemaRef,
) -> Option<PushedAggregate> {
    let scan_schema = shape.scan.projected_schema.as_ref();
    // A column of the scan: its field's describe and Arrow type.
    let field = |expr: &Expr| {
        let Expr::Column(c) = expr else { return None };
        let data_type = scan_schema
            .field_with_unqualified_name(&c.name)
            .ok()?
            .data_type()
            .clone();
        Some((object.field(&c.name)?, data_type))
    };
    let mut groups = Vec::new();
    let mut outputs = Vec::new();
    for group in &shape.groups {
        let (info, data_type) = field(group)?;
        let groups_as_sql = match data_type {
            DataType::Boolean | DataType::Int32 | DataType::Int64 | DataType::Date32 => true,
            // SOQL groups text ignoring case; a restricted picklist's values never differ
            // by case only, so its groups are SQL's.
            DataType::Utf8 => info.sf_type == "picklist" && info.restricted_picklist,
            _ => false,
        };
        if !info.groupable || !groups_as_sql {
            return None;
        }
        outputs.push(Output::Group(groups.len()));
        groups.push(info.name.clone());
    }
    let mut calls: Vec<SoqlCall> = Vec::new();
    let mut call_of = |function: soql::Function, field: &str| {
        let call = SoqlCall {
            function,
            field: field.to_owned(),
        };
        match calls.iter().position(|c| *c == call) {
            Some(i) => i,
            None => {
                calls.push(call);
                calls.len() - 1
            }
        }
    };
    for call in &shape.calls {
        let output = match (call.aggregate, call.arg) {
            // SOQL's COUNT() cannot stand beside other aggregates; COUNT(Id) counts the same.
            (Aggregate::Rows, _) if shape.groups.is_empty() && only_rows(shape) => Output::Rows,
            (Aggregate::Rows, _) => Output::Call(call_of(soql::Function::Count, "Id")),
            (aggregate, Some(arg)) => {
                let (arg, cast) = match arg {
                    Expr::Cast(Cast { expr, field }) => (expr.as_ref(), Some(field.data_type())),
                    arg => (arg, None),
                };
                let (info, data_type) = field(arg)?;
                if !info.aggregatable {
                    return None;
                }
                let name = info.name.as_str();
                let exact_values = matches!(
                    data_type,
                    DataType::Int32
                        | DataType::Int64
                        | DataType::Float64
                        | DataType::Decimal128(..)
                        | DataType::Date32
                        | DataType::Timestamp(..)
                );
                match (aggregate, cast, &data_type) {
                    (Aggregate::Count, None, _) => {
                        Output::Call(call_of(soql::Function::Count, name))
                    }
                    (Aggregate::CountDistinct, None, _) if exact_values => {
                        Output::Call(call_of(soql::Function::CountDistinct, name))
                    }
                    (Aggregate::Min, None, _) if exact_values => {
                        Output::Call(call_of(soql::Function::Min, name))
                    }
                    (Aggregate::Max, None, _) if exact_values => {
                        Output::Call(call_of(soql::Function::Max, name))
                    }
                    // DataFusion sums integers as Int64 (widening Int32 first).
                    (Aggregate::Sum, None, DataType::Int64 | DataType::Decimal128(..))
                    | (Aggregate::Sum, Some(DataType::Int64), DataType::Int32) => {
                        Output::Call(call_of(soql::Function::Sum, name))
                    }
                    // DataFusion averages integers as Float64, decimals as decimals.
                    (Aggregate::Avg, None, DataType::Decimal128(..))
                    | (
                        Aggregate::Avg,
                        Some(DataType::Float64),
                        DataType::Int32 | DataType::Int64,
                    ) => Output::Avg {
                        sum: call_of(soql::Function::Sum, name),
                        count: call_of(soql::Function::Count, name),
                        input: data_type.clone(),
                    },
                    _ => return None,
                }
            }
            (_, None) => return None,
        };
        outputs.push(output);
    }
    if outputs.len() != schema.fields().len() {
        return None;
    }
    Some(PushedAggregate {
        query,
        groups,
        calls,
        outputs,
        schema,
    })
}

/// Whether every aggregate of the shape is `COUNT(*)`.
fn only_rows(shape: &Shape<'_>) -> bool {
    shape.calls.iter().all(|c| c.aggregate == Aggregate::Rows)
}
