//! Planning: every node becomes DataFusion `DataFrame` operations on its inputs' frames,
//! so each output is one logical plan. Filters and column lists above a live `load` are
//! pushed into its SOQL by the connector's table.
//!
//! Planning is also the check: each node's plan is analyzed by DataFusion (types of
//! expressions included) right after it is built, so a mistake is reported at the node that
//! makes it, and nodes after a failed one are skipped instead of failing again.

mod exprs;
mod join;
mod nodes;
mod shape;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::prelude::{SessionConfig, SessionContext};
use sfdf_connector::provider::{ConnectionSchema, ScanOptions};
use sfdf_connector::{Connection, Session};

pub use exprs::Issue;

use crate::error::{Error, Problem, Result};
use crate::model::Node;
use crate::recipe::Recipe;

/// A checked recipe with its inputs opened: ready to explain or run.
pub struct Plan {
    recipe: Recipe,
    ctx: SessionContext,
    connections: HashMap<String, Arc<ConnectionSchema>>,
    /// Each node's frame, by node index (outputs hold their input's frame).
    frames: Vec<Option<DataFrame>>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("recipe", &self.recipe.name())
            .field("session", &self.ctx.session_id())
            .finish_non_exhaustive()
    }
}

/// Options of [`Plan::new`].
#[derive(Debug, Clone, Default)]
pub struct PlanSettings {
    /// How many partitions scans and joins use (default: DataFusion's, the CPU count).
    pub target_partitions: Option<usize>,
}

impl Plan {
    /// Opens the recipe's connections (authenticating, listing objects and describing the
    /// objects it loads; no query is sent) and plans every node. Every mistake found is
    /// returned in one [`Error::Invalid`].
    pub async fn new(recipe: Recipe, settings: PlanSettings) -> Result<Self> {
        let mut config = SessionConfig::new().with_option_extension(ScanOptions::default());
        if let Some(n) = settings.target_partitions {
            config = config.with_target_partitions(n.max(1));
        }
        let ctx = SessionContext::new_with_config(config);
        let mut problems = Vec::new();
        let connections = open_connections(&recipe, &mut problems).await;
        let mut plan = Plan {
            frames: vec![None; recipe.file().nodes.len()],
            recipe,
            ctx,
            connections,
        };
        if problems.is_empty() {
            plan.frames = plan.build_all(&mut problems).await;
        }
        if problems.is_empty() {
            Ok(plan)
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// The recipe.
    pub fn recipe(&self) -> &Recipe {
        &self.recipe
    }

    /// The session the recipe is planned in.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The frame of a node by name (an output's is its input's), unshared: each use runs
    /// the node's whole plan.
    pub fn frame(&self, node: &str) -> Option<DataFrame> {
        self.frames[self.recipe.index_of(node)?].clone()
    }

    /// Builds every node in order; a node whose input failed is skipped.
    async fn build_all(&self, problems: &mut Vec<Problem>) -> Vec<Option<DataFrame>> {
        let mut frames: Vec<Option<DataFrame>> = vec![None; self.recipe.file().nodes.len()];
        for &index in self.recipe.order() {
            let Some(inputs) = self.inputs_of(index, &frames) else {
                continue;
            };
            match self.build(index, inputs).await {
                Ok(frame) => frames[index] = Some(frame),
                Err(issue) => problems.push(self.problem(index, issue)),
            }
        }
        frames
    }

    /// The frames of node `index`'s inputs, or `None` if one of them failed.
    fn inputs_of(&self, index: usize, frames: &[Option<DataFrame>]) -> Option<Vec<DataFrame>> {
        let (_, node) = self.recipe.node(index);
        node.value
            .inputs()
            .iter()
            .map(|input| {
                self.recipe
                    .index_of(&input.value)
                    .and_then(|i| frames[i].clone())
            })
            .collect()
    }

    /// Plans one node on its inputs' frames and has DataFusion analyze the result.
    async fn build(&self, index: usize, inputs: Vec<DataFrame>) -> Result<DataFrame, Issue> {
        let (name, node) = self.recipe.node(index);
        let frame = nodes::build(self, name, &node.value, inputs).await?;
        // Type coercion and the other analyzer rules run here, so `Name + 1` fails now.
        let state = self.ctx.state();
        state
            .analyzer()
            .execute_and_check(
                frame.logical_plan().clone(),
                state.config_options(),
                |_, _| {},
            )
            .map_err(exprs::planning)?;
        Ok(frame)
    }

    /// [`build`](Self::build) at run time, on the run's (possibly shared) input frames.
    pub(crate) async fn rebuild(&self, index: usize, inputs: Vec<DataFrame>) -> Result<DataFrame> {
        self.build(index, inputs)
            .await
            .map_err(|issue| Error::Invalid(vec![self.problem(index, issue)]))
    }

    fn problem(&self, index: usize, issue: Issue) -> Problem {
        let (name, node) = self.recipe.node(index);
        let (line, column) = issue.at.unwrap_or((node.line, node.column));
        Problem {
            file: self.recipe.path().to_path_buf(),
            node: Some(name.to_owned()),
            line,
            column,
            message: issue.message,
        }
    }

    /// A connection's schema by its short name in the recipe.
    pub(crate) fn connection(&self, name: &str) -> Option<&Arc<ConnectionSchema>> {
        self.connections.get(name)
    }

    /// Resolves a path written in the recipe.
    pub(crate) fn path(&self, relative: &str) -> std::path::PathBuf {
        self.recipe.resolve(relative)
    }
}

/// Opens each connection a `load` uses, once.
async fn open_connections(
    recipe: &Recipe,
    problems: &mut Vec<Problem>,
) -> HashMap<String, Arc<ConnectionSchema>> {
    let mut open = HashMap::new();
    for (name, path) in recipe.file().connections.iter() {
        let used = recipe.file().nodes.iter().any(|(_, node)| {
            // A load of the synced copy only needs the file's developer name.
            matches!(&node.value, Node::Load(load)
                if load.synced.is_none()
                    && load.connection.as_ref().is_some_and(|c| c.value == *name))
        });
        if !used {
            continue;
        }
        let file = recipe.resolve(&path.value);
        let schema = async {
            let connection = Connection::from_yaml_file(&file)?;
            let session = Session::connect(&connection).await?;
            ConnectionSchema::new(session).await
        }
        .await;
        match schema {
            Ok(schema) => {
                open.insert(name.clone(), Arc::new(schema));
            }
            Err(error) => problems.push(recipe.problem(
                None,
                path,
                format!(
                    "connection `{name}` ({}): {error}; fix the connection file or check it with `sfdf connection test`",
                    file.display()
                ),
            )),
        }
    }
    open
}
