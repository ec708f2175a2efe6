//! One function per node type, turning the node into DataFrame operations on its inputs.

use std::path::{Path, PathBuf};

use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, SortExpr};
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions};
use sfdf_connector::Connection;
use sfdf_sync::delta::DeltaDir;

use super::exprs::{self, Issue, column, names, planning, resolve};
use super::{Plan, join, shape};
use crate::error::did_you_mean;
use crate::model::{self, Located, Node};

/// Builds node `name` on the frames of its inputs (in [`Node::inputs`] order).
pub(super) async fn build(
    plan: &Plan,
    name: &str,
    node: &Node,
    inputs: Vec<DataFrame>,
) -> Result<DataFrame, Issue> {
    let mut inputs = inputs.into_iter();
    let mut input = || {
        inputs
            .next()
            .ok_or_else(|| Issue::node("an input is missing"))
    };
    match node {
        Node::Load(load) => self::load(plan, load).await,
        Node::Filter(filter) => {
            let frame = input()?;
            let condition = exprs::sql(&frame, &filter.condition)?;
            frame
                .filter(condition)
                .map_err(|e| at(&filter.condition, e))
        }
        Node::Join(spec) => {
            let (left, right) = (input()?, input()?);
            join::join(name, spec, left, right)
        }
        Node::Append(append) => {
            let frames: Vec<DataFrame> = std::iter::from_fn(|| input().ok()).collect();
            join::append(append, frames)
        }
        Node::Aggregate(aggregate) => join::aggregate(aggregate, input()?),
        Node::Formula(formula) => {
            let mut frame = input()?;
            for (column, text) in formula.columns.iter() {
                let expr = exprs::sql(&frame, text)?;
                frame = frame.with_column(column, expr).map_err(|e| at(text, e))?;
            }
            Ok(frame)
        }
        Node::Window(window) => shape::window(window, input()?),
        Node::Bucket(bucket) => shape::bucket(bucket, input()?),
        Node::Split(split) => shape::split(split, input()?),
        Node::Flatten(flatten) => shape::flatten(flatten, input()?),
        Node::DateParts(parts) => shape::date_parts(parts, input()?),
        Node::Cast(cast) => {
            let mut frame = input()?;
            for (name, ty) in cast.columns.iter() {
                let column =
                    resolve(&frame, &Located::new(name.clone())).map_err(|issue| Issue {
                        at: Some((ty.line, ty.column)),
                        ..issue
                    })?;
                if !ty
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " (),_".contains(c))
                {
                    return Err(Issue::at(
                        ty,
                        format!(
                            "`{}` is not a type; use a SQL type such as int, bigint, double, decimal(18,2), varchar, date, timestamp, boolean",
                            ty.value
                        ),
                    ));
                }
                let text = Located {
                    value: format!("CAST({} AS {})", exprs::quoted(&column), ty.value),
                    ..ty.clone()
                };
                let expr = exprs::sql(&frame, &text)?;
                frame = frame.with_column(&column, expr).map_err(|e| at(ty, e))?;
            }
            Ok(frame)
        }
        Node::Select(select) => {
            let frame = input()?;
            let columns = select
                .columns
                .iter()
                .map(|c| resolve(&frame, c).map(|n| column(&n)))
                .collect::<Result<Vec<_>, _>>()?;
            frame.select(columns).map_err(planning)
        }
        Node::Rename(rename) => {
            let frame = input()?;
            let existing = names(&frame);
            let mut renamed: Vec<(String, String)> = Vec::new();
            for (old, new) in rename.columns.iter() {
                let old = resolve(
                    &frame,
                    &Located {
                        value: old.clone(),
                        ..new.clone()
                    },
                )?;
                renamed.push((old, new.value.clone()));
            }
            let out: Vec<Expr> = existing
                .iter()
                .map(|c| match renamed.iter().find(|(old, _)| old == c) {
                    Some((_, new)) => column(c).alias(new),
                    None => column(c),
                })
                .collect();
            frame.select(out).map_err(|e| {
                Issue::node(format!(
                    "{}; pick new names no other column has",
                    exprs::explain_error(&e)
                ))
            })
        }
        Node::Drop(drop) => {
            let frame = input()?;
            let gone = drop
                .columns
                .iter()
                .map(|c| resolve(&frame, c))
                .collect::<Result<Vec<_>, _>>()?;
            let kept: Vec<Expr> = names(&frame)
                .iter()
                .filter(|c| !gone.contains(c))
                .map(|c| column(c))
                .collect();
            frame.select(kept).map_err(planning)
        }
        Node::Sort(sort) => {
            let frame = input()?;
            let order = sort_exprs(&frame, &sort.by)?;
            frame.sort(order).map_err(planning)
        }
        Node::Limit(limit) => input()?
            .limit(limit.skip, Some(limit.rows))
            .map_err(planning),
        Node::Output(output) => {
            let frame = input()?;
            if let Some(key) = &output.key {
                resolve(&frame, key)?;
            }
            Ok(frame)
        }
    }
}

/// `Column` or `Column desc` / `Column asc`: ascending puts nulls last, descending first.
pub(super) fn sort_exprs(
    frame: &DataFrame,
    by: &[Located<String>],
) -> Result<Vec<SortExpr>, Issue> {
    by.iter()
        .map(|entry| {
            let (name, ascending) = split_direction(&entry.value);
            let name = resolve(
                frame,
                &Located {
                    value: name.to_owned(),
                    ..entry.clone()
                },
            )?;
            Ok(column(&name).sort(ascending, !ascending))
        })
        .collect()
}

/// `Amount desc` → (`Amount`, false).
pub(super) fn split_direction(text: &str) -> (&str, bool) {
    let trimmed = text.trim();
    if let Some((name, direction)) = trimmed.rsplit_once(char::is_whitespace) {
        match direction.to_ascii_lowercase().as_str() {
            "desc" => return (name.trim_end(), false),
            "asc" => return (name.trim_end(), true),
            _ => {}
        }
    }
    (trimmed, true)
}

/// A DataFusion error when building on a written expression, placed at it.
pub(super) fn at<T>(written: &Located<T>, error: datafusion::error::DataFusionError) -> Issue {
    Issue::at(written, exprs::explain_error(&error))
}

async fn load(plan: &Plan, load: &model::Load) -> Result<DataFrame, Issue> {
    let frame = if let (Some(connection), Some(object), Some(target)) =
        (&load.connection, &load.object, &load.synced)
    {
        let dir = synced_dir(plan, &connection.value, object, target)?;
        delta(plan, &dir, target).await?
    } else if let Some(connection) = &load.connection {
        let schema = plan.connection(&connection.value).ok_or_else(|| {
            Issue::at(
                connection,
                format!("connection `{}` is not open", connection.value),
            )
        })?;
        let object = load
            .object
            .as_ref()
            .ok_or_else(|| Issue::node("a load from a connection needs `object`"))?;
        let table = schema
            .object_table(&object.value)
            .await
            .map_err(|e| Issue::at(object, format!("cannot describe `{}`: {e}", object.value)))?;
        let Some(table) = table else {
            let known = datafusion::catalog::SchemaProvider::table_names(schema.as_ref());
            return Err(Issue::at(
                object,
                format!(
                    "connection `{}` has no object `{}`{}; `sfdf objects` lists them",
                    connection.value,
                    object.value,
                    did_you_mean(&object.value, known.iter().map(String::as_str))
                ),
            ));
        };
        plan.ctx.read_table(table).map_err(planning)?
    } else if let Some(dir) = &load.delta {
        delta(plan, &plan.path(&dir.value), dir).await?
    } else if let Some(path) = &load.parquet {
        let file = existing_file(plan, path)?;
        plan.ctx
            .read_parquet(&file, ParquetReadOptions::default())
            .await
            .map_err(|e| at(path, e))?
    } else if let Some(path) = &load.csv {
        let file = existing_file(plan, path)?;
        let extension = Path::new(&file)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        plan.ctx
            .read_csv(
                &file,
                CsvReadOptions::new()
                    .has_header(true)
                    .file_extension(&extension),
            )
            .await
            .map_err(|e| at(path, e))?
    } else {
        return Err(Issue::node("a load needs a source"));
    };
    let frame = match &load.filter {
        Some(filter) => {
            let condition = exprs::sql(&frame, filter)?;
            frame.filter(condition).map_err(|e| at(filter, e))?
        }
        None => frame,
    };
    match &load.columns {
        Some(columns) => {
            let columns = columns
                .iter()
                .map(|c| resolve(&frame, c).map(|n| column(&n)))
                .collect::<Result<Vec<_>, _>>()?;
            frame.select(columns).map_err(planning)
        }
        None => Ok(frame),
    }
}

fn existing_file(plan: &Plan, path: &Located<String>) -> Result<String, Issue> {
    let file = plan.path(&path.value);
    if !file.is_file() {
        return Err(Issue::at(
            path,
            format!(
                "no file {} (paths are relative to the recipe's folder)",
                file.display()
            ),
        ));
    }
    Ok(file.to_string_lossy().into_owned())
}

/// A Delta table's current version as a frame; the folder must hold one.
async fn delta(plan: &Plan, dir: &Path, written: &Located<String>) -> Result<DataFrame, Issue> {
    if !dir.join("_delta_log").is_dir() {
        return Err(Issue::at(
            written,
            format!(
                "no Delta table in {} (paths are relative to the recipe's folder)",
                dir.display()
            ),
        ));
    }
    let table = DeltaDir::open(dir)
        .await
        .map_err(|e| Issue::at(written, e.to_string()))?;
    let provider = table
        .provider(&plan.ctx)
        .await
        .map_err(|e| Issue::at(written, e.to_string()))?;
    plan.ctx.read_table(provider).map_err(planning)
}

/// `TARGET/<developer name>/<object>/`, the object's folder matched ignoring case.
fn synced_dir(
    plan: &Plan,
    connection: &str,
    object: &Located<String>,
    target: &Located<String>,
) -> Result<PathBuf, Issue> {
    let file = plan
        .recipe
        .file()
        .connections
        .get(connection)
        .ok_or_else(|| Issue::node(format!("unknown connection `{connection}`")))?;
    let developer_name = Connection::from_yaml_file(plan.path(&file.value))
        .map_err(|e| Issue::at(file, format!("connection `{connection}`: {e}")))?
        .developer_name()
        .to_owned();
    let folder = plan.path(&target.value).join(&developer_name);
    let objects: Vec<String> = std::fs::read_dir(&folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join("_delta_log").is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    match objects
        .iter()
        .find(|o| o.eq_ignore_ascii_case(&object.value))
    {
        Some(found) => Ok(folder.join(found)),
        None => Err(Issue::at(
            object,
            format!(
                "`{}` is not synced under {}{}; run `sfdf sync` for it first{}",
                object.value,
                folder.display(),
                did_you_mean(&object.value, objects.iter().map(String::as_str)),
                if objects.is_empty() {
                    String::new()
                } else {
                    format!(" (synced: {})", objects.join(", "))
                }
            ),
        )),
    }
}
