//! Nodes that combine rows: `join`, `append` and `aggregate`.

use datafusion::dataframe::DataFrame;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::utils::find_aggregate_exprs;
use datafusion::logical_expr::{Expr, ExprFunctionExt, JoinType, LogicalPlanBuilder, lit};

use super::exprs::{self, Issue, column, names, planning, resolve};
use crate::model::{Aggregate, Append, Join, JoinKind, Located};

/// A helper column the lookup's deduplication adds and removes again.
const LOOKUP_RANK: &str = "__sfdf_lookup_rank";

/// `join`: the right side's columns get the prefix; `lookup` first keeps one right row per
/// key (the first by the right input's columns, left to right, nulls last).
pub(super) fn join(
    _name: &str,
    spec: &Join,
    left: DataFrame,
    right: DataFrame,
) -> Result<DataFrame, Issue> {
    let prefix = spec
        .right_prefix
        .clone()
        .unwrap_or_else(|| format!("{}_", spec.right.value));
    let mut keys = Vec::new();
    for (left_key, right_key) in spec.on.iter() {
        let written_left = Located {
            value: left_key.clone(),
            ..right_key.clone()
        };
        keys.push((resolve(&left, &written_left)?, resolve(&right, right_key)?));
    }
    let right = if spec.kind.value == JoinKind::Lookup {
        first_per_key(right, keys.iter().map(|(_, r)| r.as_str()))?
    } else {
        right
    };
    let left_names = names(&left);
    let mut renamed = Vec::new();
    for name in names(&right) {
        let new = format!("{prefix}{name}");
        if left_names.contains(&new) {
            return Err(Issue::at(
                &spec.right,
                format!(
                    "column `{new}` would be on both sides of the join; set `right_prefix` (now `{prefix}`) to something that makes right columns unique"
                ),
            ));
        }
        renamed.push(column(&name).alias(new));
    }
    let right = right.select(renamed).map_err(planning)?;
    let join_type = match spec.kind.value {
        JoinKind::Inner => JoinType::Inner,
        JoinKind::Left | JoinKind::Lookup | JoinKind::MultiValueLookup => JoinType::Left,
        JoinKind::Right => JoinType::Right,
        JoinKind::Full => JoinType::Full,
        JoinKind::Cross => {
            let (state, left_plan) = left.into_parts();
            let plan = LogicalPlanBuilder::from(left_plan)
                .cross_join(right.into_unoptimized_plan())
                .and_then(LogicalPlanBuilder::build)
                .map_err(planning)?;
            return Ok(DataFrame::new(state, plan));
        }
    };
    let on: Vec<Expr> = keys
        .iter()
        .map(|(l, r)| column(l).eq(column(&format!("{prefix}{r}"))))
        .collect();
    let joined = left.join_on(right, join_type, on).map_err(|e| {
        Issue::at(
            &spec.kind,
            format!(
                "cannot join on {}: {}",
                keys.iter()
                    .map(|(l, r)| format!("{l} = {r}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                exprs::explain_error(&e)
            ),
        )
    })?;
    // Plain names again (no table qualifiers), so later nodes see one flat list of columns.
    let flat: Vec<Expr> = joined
        .schema()
        .iter()
        .map(|(qualifier, field)| {
            Expr::Column(datafusion::common::Column::from((qualifier, field))).alias(field.name())
        })
        .collect();
    joined.select(flat).map_err(planning)
}

/// Keeps, for each key, the row that sorts first by all columns in order (nulls last).
fn first_per_key<'a>(
    frame: DataFrame,
    keys: impl Iterator<Item = &'a str>,
) -> Result<DataFrame, Issue> {
    let columns = names(&frame);
    let order = columns
        .iter()
        .map(|c| column(c).sort(true, false))
        .collect();
    let rank = row_number()
        .partition_by(keys.map(column).collect())
        .order_by(order)
        .build()
        .map_err(planning)?;
    frame
        .with_column(LOOKUP_RANK, rank)
        .and_then(|f| f.filter(column(LOOKUP_RANK).eq(lit(1u64))))
        .and_then(|f| f.select(columns.iter().map(|c| column(c)).collect::<Vec<_>>()))
        .map_err(planning)
}

/// `append`: union by name; a column one input lacks is null in its rows.
pub(super) fn append(spec: &Append, frames: Vec<DataFrame>) -> Result<DataFrame, Issue> {
    let mut frames = frames.into_iter().zip(&spec.inputs);
    let Some((mut all, _)) = frames.next() else {
        return Err(Issue::node("an append needs inputs"));
    };
    for (frame, input) in frames {
        all = all.union_by_name(frame).map_err(|e| {
            Issue::at(
                input,
                format!(
                    "cannot append `{}`: {}; cast columns of the same name to one type first",
                    input.value,
                    exprs::explain_error(&e)
                ),
            )
        })?;
    }
    Ok(all)
}

/// `aggregate`: group-by columns and measures, each measure optionally split by the pivot.
pub(super) fn aggregate(spec: &Aggregate, frame: DataFrame) -> Result<DataFrame, Issue> {
    let group: Vec<Expr> = spec
        .group_by
        .iter()
        .map(|c| resolve(&frame, c).map(|n| column(&n)))
        .collect::<Result<_, _>>()?;
    let pivot = match &spec.pivot {
        Some(pivot) => Some((resolve(&frame, &pivot.column)?, &pivot.values)),
        None => None,
    };
    let mut measures = Vec::new();
    for (name, text) in spec.measures.iter() {
        let expr = exprs::sql(&frame, text)?;
        if find_aggregate_exprs([&expr]).is_empty() {
            return Err(Issue::at(
                text,
                format!(
                    "measure `{name}` = `{}` does not aggregate; use sum, avg, count, count(DISTINCT ..), min, max, median, stddev or var (or put the column in `group_by`)",
                    text.value
                ),
            ));
        }
        match &pivot {
            None => measures.push(expr.alias(name)),
            Some((pivot_column, values)) => {
                for value in values.iter() {
                    let only = column(pivot_column).eq(lit(value.as_str()));
                    let Expr::AggregateFunction(mut call) = expr.clone().unalias() else {
                        return Err(Issue::at(
                            text,
                            format!(
                                "a pivoted measure must be one aggregate call such as `sum(Amount)`; `{}` is not",
                                text.value
                            ),
                        ));
                    };
                    call.params.filter = Some(Box::new(match call.params.filter.take() {
                        Some(existing) => existing.and(only),
                        None => only,
                    }));
                    measures.push(Expr::AggregateFunction(call).alias(format!("{value}_{name}")));
                }
            }
        }
    }
    frame.aggregate(group, measures).map_err(|e| {
        Issue::node(format!(
            "{}; every measure must aggregate (sum, avg, count, min, max, median, stddev, var), and other columns must be in `group_by`",
            exprs::explain_error(&e)
        ))
    })
}
