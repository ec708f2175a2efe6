//! `sfdf-recipes`: transforms declared in YAML, checked, explained and run by DataFusion.
//!
//! A recipe names the connections it reads and a DAG of nodes, each with one action
//! (`load`, `filter`, `join`, `aggregate`, ..., `output`). The reference is
//! `docs/recipes.md`; editors validate files with `schemas/recipe.schema.json`.
//!
//! * [`Recipe`] — the parsed file with its graph checked (inputs exist, no cycle, one
//!   source per load, one output per file). Every mistake is a [`Problem`] naming the file,
//!   the node, the line and the column.
//! * [`Plan`] — the recipe's nodes as DataFusion `DataFrame`s (checked again: columns,
//!   expression types), ready to [`explain`](Plan::explain) or [`run`](Plan::run).
//!
//! ```no_run
//! # async fn demo() -> sfdf_recipes::Result<()> {
//! use sfdf_recipes::{Plan, PlanSettings, Recipe};
//!
//! let recipe = Recipe::from_file("examples/won_by_industry.recipe.yaml")?;
//! let plan = Plan::new(recipe, PlanSettings::default()).await?;
//! println!("{}", plan.explain().await?);
//! for output in plan.run(&mut |_| {}).await? {
//!     println!("{}: {} rows", output.path.display(), output.rows);
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod model;
mod output;
pub mod plan;
mod recipe;
mod run;

pub use error::{Error, Problem, Result};
pub use model::recipe_json_schema;
pub use plan::{Plan, PlanSettings};
pub use recipe::{Recipe, output_format};
pub use run::{OutputSummary, Progress};
