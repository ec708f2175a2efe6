//! Nodes that derive columns or reshape rows: `window`, `bucket`, `split`, `flatten`,
//! `date_parts`. Most compose a SQL expression over quoted column names and plan it with
//! [`exprs::sql`], so DataFusion checks its types like any expression the user wrote.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, UnnestOptions};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};

use super::exprs::{self, Issue, literal, planning, quoted, resolve};
use super::nodes::{at, split_direction};
use crate::model::{Bucket, DatePart, DateParts, Flatten, Located, Split, Window};

/// Adds `name` = the SQL `text`, reported at `written`.
fn add(
    frame: DataFrame,
    name: &str,
    text: String,
    written: &Located<String>,
) -> Result<DataFrame, Issue> {
    let composed = Located {
        value: text,
        ..written.clone()
    };
    let expr = exprs::sql(&frame, &composed)?;
    frame.with_column(name, expr).map_err(|e| at(written, e))
}

/// `window`: each function over `PARTITION BY .. ORDER BY ..`; an aggregate becomes a
/// running total (`ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`).
pub(super) fn window(spec: &Window, mut frame: DataFrame) -> Result<DataFrame, Issue> {
    let partition = spec
        .partition_by
        .iter()
        .map(|c| resolve(&frame, c).map(|n| quoted(&n)))
        .collect::<Result<Vec<_>, _>>()?;
    let order = spec
        .order_by
        .iter()
        .map(|entry| {
            let (name, ascending) = split_direction(&entry.value);
            let name = resolve(
                &frame,
                &Located {
                    value: name.to_owned(),
                    ..entry.clone()
                },
            )?;
            Ok(if ascending {
                format!("{} ASC NULLS LAST", quoted(&name))
            } else {
                format!("{} DESC NULLS FIRST", quoted(&name))
            })
        })
        .collect::<Result<Vec<_>, Issue>>()?;
    let mut over = Vec::new();
    if !partition.is_empty() {
        over.push(format!("PARTITION BY {}", partition.join(", ")));
    }
    if !order.is_empty() {
        over.push(format!("ORDER BY {}", order.join(", ")));
    }
    for (name, function) in spec.columns.iter() {
        // `count(*)` comes back aliased; look through that.
        let aggregate = matches!(
            exprs::sql(&frame, function).map(Expr::unalias),
            Ok(Expr::AggregateFunction(_))
        );
        if aggregate && !order.is_empty() {
            over.push("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW".into());
        }
        let text = format!("{} OVER ({})", function.value, over.join(" "));
        if aggregate && !order.is_empty() {
            over.pop();
        }
        frame = add(frame, name, text, function)?;
    }
    Ok(frame)
}

/// `bucket`: a `CASE` over ranges or value lists; null stays null.
pub(super) fn bucket(spec: &Bucket, frame: DataFrame) -> Result<DataFrame, Issue> {
    let name = resolve(&frame, &spec.column)?;
    let q = quoted(&name);
    let mut text = format!("CASE WHEN {q} IS NULL THEN NULL");
    if let Some(ranges) = &spec.ranges {
        for range in ranges {
            if !range.below.is_finite() {
                return Err(Issue::node(
                    "a bucket range's `below` must be a finite number",
                ));
            }
            text.push_str(&format!(
                " WHEN {q} < {} THEN {}",
                range.below,
                literal(&range.label)
            ));
        }
    }
    if let Some(values) = &spec.values {
        for (label, members) in values.iter() {
            let list: Vec<String> = members.iter().map(|m| literal(m)).collect();
            text.push_str(&format!(
                " WHEN CAST({q} AS VARCHAR) IN ({}) THEN {}",
                list.join(", "),
                literal(label)
            ));
        }
    }
    match &spec.otherwise {
        Some(label) => text.push_str(&format!(" ELSE {} END", literal(label))),
        None => text.push_str(" ELSE CAST(NULL AS VARCHAR) END"),
    }
    add(frame, &spec.into, text, &spec.column)
}

/// `split`: part *i* of the text into the *i*-th new column; a missing part is null.
pub(super) fn split(spec: &Split, mut frame: DataFrame) -> Result<DataFrame, Issue> {
    if spec.separator.is_empty() {
        return Err(Issue::node("a split's `separator` cannot be empty"));
    }
    let name = resolve(&frame, &spec.column)?;
    for (i, into) in spec.into.iter().enumerate() {
        let text = format!(
            "NULLIF(split_part(CAST({} AS VARCHAR), {}, {}), '')",
            quoted(&name),
            literal(&spec.separator),
            i + 1
        );
        frame = add(frame, into, text, &spec.column)?;
    }
    Ok(frame)
}

/// `flatten`: `string_to_array(column, ';')`, then one row per element; a null column
/// keeps its row once, with null.
pub(super) fn flatten(spec: &Flatten, frame: DataFrame) -> Result<DataFrame, Issue> {
    let name = resolve(&frame, &spec.column)?;
    let into = spec.into.clone().unwrap_or_else(|| name.clone());
    let text = format!("string_to_array(CAST({} AS VARCHAR), ';')", quoted(&name));
    let frame = add(frame, &into, text, &spec.column)?;
    let (state, plan) = frame.into_parts();
    let plan = LogicalPlanBuilder::from(plan)
        .unnest_columns_with_options(
            vec![Column::new_unqualified(into)],
            UnnestOptions::new().with_preserve_nulls(true),
        )
        .and_then(LogicalPlanBuilder::build)
        .map_err(planning)?;
    Ok(DataFrame::new(state, plan))
}

/// `date_parts`: integer columns; fiscal quarter and year from `fiscal_start_month`.
pub(super) fn date_parts(spec: &DateParts, mut frame: DataFrame) -> Result<DataFrame, Issue> {
    let name = resolve(&frame, &spec.column)?;
    let data_type = frame
        .schema()
        .field_with_unqualified_name(&name)
        .map(|f| f.data_type().clone())
        .map_err(planning)?;
    if !matches!(
        data_type,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
    ) {
        return Err(Issue::at(
            &spec.column,
            format!("`{name}` is {data_type}, not a date or timestamp; `cast` it to date first"),
        ));
    }
    let start = spec.fiscal_start_month.as_ref().map_or(1, |m| m.value);
    let prefix = spec.prefix.clone().unwrap_or_else(|| format!("{name}_"));
    let q = quoted(&name);
    let part = |unit: &str| format!("CAST(date_part('{unit}', {q}) AS INT)");
    for wanted in &spec.parts {
        let text = match wanted {
            DatePart::Year => part("year"),
            DatePart::Quarter => part("quarter"),
            DatePart::Month => part("month"),
            DatePart::Week => part("week"),
            DatePart::Day => part("day"),
            DatePart::FiscalQuarter => format!(
                "CAST(((({} - {start} + 12) % 12) / 3 + 1) AS INT)",
                part("month")
            ),
            // Named by the calendar year the fiscal year ends in.
            DatePart::FiscalYear if start == 1 => part("year"),
            DatePart::FiscalYear => format!(
                "CASE WHEN {} >= {start} THEN {} + 1 ELSE {} END",
                part("month"),
                part("year"),
                part("year")
            ),
        };
        frame = add(
            frame,
            &format!("{prefix}{}", wanted.name()),
            text,
            &spec.column,
        )?;
    }
    Ok(frame)
}
