//! `sfdf recipe check|explain|run FILE`: YAML recipes, checked, explained and run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sfdf_recipes::{Error, Plan, PlanSettings, Progress, Recipe};

use crate::outln;

/// Subcommands of `sfdf recipe`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Check a recipe (graph, connections, objects, columns, expression types); prints `ok`
    /// or the mistakes, and exits 1 on a mistake. Connects to the org but sends no query.
    Check {
        /// The recipe file (YAML).
        file: PathBuf,
    },
    /// Show each output's plan, with each live input's SOQL and expected API calls; sends
    /// no query.
    Explain {
        /// The recipe file (YAML).
        file: PathBuf,
        /// How many partitions scans and joins use (default: the number of CPUs).
        #[arg(long)]
        partitions: Option<usize>,
    },
    /// Run a recipe: write every output (atomically), then print rows and time per output.
    Run {
        /// The recipe file (YAML).
        file: PathBuf,
        /// How many partitions scans and joins use (default: the number of CPUs).
        #[arg(long)]
        partitions: Option<usize>,
    },
    /// Print the JSON Schema of recipe files (for editors).
    Schema,
}

/// Runs a `sfdf recipe` subcommand.
pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Schema => {
            outln!("{}", sfdf_recipes::recipe_json_schema().trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { file } => match plan(&file, None).await {
            Ok(_) => {
                outln!("ok")?;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => report(error),
        },
        Command::Explain { file, partitions } => match plan(&file, partitions).await {
            Ok(plan) => {
                outln!("{}", plan.explain().await?.trim_end())?;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => report(error),
        },
        Command::Run { file, partitions } => {
            let plan = match plan(&file, partitions).await {
                Ok(plan) => plan,
                Err(error) => return report(error),
            };
            let summaries = plan.run(&mut show_progress).await?;
            outln!("{:<24} {:>10} {:>9}  path", "output", "rows", "seconds")?;
            for s in &summaries {
                outln!(
                    "{:<24} {:>10} {:>9.3}  {}{}",
                    s.node,
                    s.rows,
                    s.elapsed.as_secs_f64(),
                    s.path.display(),
                    s.detail
                        .as_ref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Progress goes to standard error, so standard output holds only the summary.
fn show_progress(progress: Progress) {
    match progress {
        Progress::Shared {
            node,
            rows,
            elapsed,
        } => eprintln!(
            "computed shared node `{node}` once: {rows} rows in {:.3} s",
            elapsed.as_secs_f64()
        ),
        Progress::Writing { node, path } => {
            eprintln!("writing `{node}` to {} ...", path.display());
        }
        Progress::Written(s) => eprintln!(
            "wrote `{}`: {} rows in {:.3} s",
            s.node,
            s.rows,
            s.elapsed.as_secs_f64()
        ),
    }
}

async fn plan(file: &Path, partitions: Option<usize>) -> sfdf_recipes::Result<Plan> {
    let recipe = Recipe::from_file(file)?;
    Plan::new(
        recipe,
        PlanSettings {
            target_partitions: partitions,
        },
    )
    .await
}

/// Lists a recipe's mistakes (exit 1); other errors go up as errors.
fn report(error: Error) -> anyhow::Result<ExitCode> {
    match error {
        Error::Invalid(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            eprintln!("{} mistake(s); nothing was run", problems.len());
            Ok(ExitCode::FAILURE)
        }
        other => Err(other.into()),
    }
}
