//! Explaining and running a planned recipe.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use datafusion::arrow::array::AsArray;
use datafusion::dataframe::DataFrame;

use crate::error::{Error, Result};
use crate::model::{Format, Node};
use crate::output;
use crate::plan::Plan;
use crate::recipe::output_format;

/// What a run reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A node read by several nodes was computed (once) and kept in memory.
    Shared {
        /// The node.
        node: String,
        /// Its rows.
        rows: u64,
        /// How long it took.
        elapsed: Duration,
    },
    /// An output is about to be computed and written.
    Writing {
        /// The output node.
        node: String,
        /// Its file.
        path: PathBuf,
    },
    /// An output was written.
    Written(OutputSummary),
}

/// One written output.
#[derive(Debug, Clone)]
pub struct OutputSummary {
    /// The output node.
    pub node: String,
    /// Its file.
    pub path: PathBuf,
    /// Rows written (a Delta upsert: inserted plus updated).
    pub rows: u64,
    /// What a Delta upsert did (`3 inserted, 2 updated`).
    pub detail: Option<String>,
    /// Time to compute and write it (shared inputs computed earlier not included).
    pub elapsed: Duration,
}

impl Plan {
    /// For each output: its file, the logical plan, and the physical plan, whose Salesforce
    /// scans show their SOQL, API and expected API calls. No query is sent.
    pub async fn explain(&self) -> Result<String> {
        let mut text = String::new();
        let shared: Vec<&str> = self
            .recipe()
            .order()
            .iter()
            .filter(|&&i| self.recipe().consumers(i) > 1)
            .map(|&i| self.recipe().node(i).0)
            .collect();
        for (name, spec) in self.recipe().outputs() {
            let frame = self.frame(name).ok_or_else(|| missing(name))?;
            let _ = writeln!(
                text,
                "== output `{name}` -> {} ({:?})",
                self.recipe().resolve(&spec.path.value).display(),
                output_format(spec).map_or("?".into(), |f| format!("{f:?}").to_lowercase())
            );
            let rows = frame
                .explain(false, false)
                .map_err(|source| run_error(name, source))?
                .collect()
                .await
                .map_err(|source| run_error(name, source))?;
            for batch in rows {
                let kinds = batch.column(0).as_string::<i32>();
                let plans = batch.column(1).as_string::<i32>();
                for i in 0..batch.num_rows() {
                    let _ = writeln!(text, "{}:", kinds.value(i));
                    for line in plans.value(i).lines() {
                        let _ = writeln!(text, "  {line}");
                    }
                }
            }
            text.push('\n');
        }
        if !shared.is_empty() {
            let _ = writeln!(
                text,
                "computed once per run and kept in memory (read by several nodes): {}",
                shared.join(", ")
            );
        }
        Ok(text)
    }

    /// Runs the recipe: each node read by several nodes is computed once and kept in
    /// memory; each output is computed and written atomically.
    pub async fn run(&self, progress: &mut dyn FnMut(Progress)) -> Result<Vec<OutputSummary>> {
        let recipe = self.recipe();
        let mut frames: Vec<Option<DataFrame>> = vec![None; recipe.file().nodes.len()];
        let mut summaries = Vec::new();
        for &index in recipe.order() {
            let (name, node) = recipe.node(index);
            let inputs: Option<Vec<DataFrame>> = node
                .value
                .inputs()
                .iter()
                .map(|i| recipe.index_of(&i.value).and_then(|i| frames[i].clone()))
                .collect();
            let inputs = inputs.ok_or_else(|| missing(name))?;
            let frame = self.rebuild(index, inputs).await?;
            if let Node::Output(spec) = &node.value {
                let path = recipe.resolve(&spec.path.value);
                let format = output_format(spec).ok_or_else(|| missing(name))?;
                progress(Progress::Writing {
                    node: name.to_owned(),
                    path: path.clone(),
                });
                let started = Instant::now();
                let (rows, detail) = if format == Format::Delta {
                    let key = spec.key.as_ref().and_then(|k| {
                        frame
                            .schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().clone())
                            .find(|n| n.eq_ignore_ascii_case(&k.value))
                    });
                    let mode = spec.mode.as_ref().map(|m| m.value).unwrap_or_default();
                    let written =
                        output::write_delta(name, frame, &path, mode, key.as_deref()).await?;
                    (written.rows, written.detail)
                } else {
                    (output::write(name, frame, &path, format).await?, None)
                };
                let summary = OutputSummary {
                    node: name.to_owned(),
                    path,
                    rows,
                    detail,
                    elapsed: started.elapsed(),
                };
                progress(Progress::Written(summary.clone()));
                summaries.push(summary);
                continue;
            }
            frames[index] = Some(if recipe.consumers(index) > 1 {
                let started = Instant::now();
                let cached = frame
                    .cache()
                    .await
                    .map_err(|source| run_error(name, source))?;
                let rows = cached
                    .clone()
                    .count()
                    .await
                    .map_err(|source| run_error(name, source))? as u64;
                progress(Progress::Shared {
                    node: name.to_owned(),
                    rows,
                    elapsed: started.elapsed(),
                });
                cached
            } else {
                frame
            });
        }
        Ok(summaries)
    }
}

fn run_error(node: &str, cause: datafusion::error::DataFusionError) -> Error {
    Error::Run {
        node: node.to_owned(),
        cause,
    }
}

fn missing(node: &str) -> Error {
    Error::Run {
        node: node.to_owned(),
        cause: datafusion::error::DataFusionError::Internal("the node was not planned".into()),
    }
}
