//! Recipes (`sfdf-recipes`, `sfdf recipe`) against the emulated org. Expected results are
//! computed here from the org's own records, never through the recipe code.

mod cli;
mod delta;
mod errors;
mod examples;
mod nodes;
mod shapes;

use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sfdf_emulator::{EmulatedOrg, SObject, Value};
use sfdf_recipes::{OutputSummary, Plan, PlanSettings, Problem, Recipe};
use tempfile::TempDir;

/// A folder with `org.yaml`, a connection file to `org`.
pub(crate) fn folder(org: Option<&EmulatedOrg>) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(org) = org {
        write(dir.path(), "org.yaml", &org.connection_yaml("test_org"));
    }
    dir
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes");
    path
}

/// Plans and runs a recipe; panics with the problems if it is invalid.
pub(crate) async fn run(path: &Path) -> Vec<OutputSummary> {
    let recipe = Recipe::from_file(path).unwrap_or_else(|e| panic!("{e}"));
    let plan = Plan::new(
        recipe,
        PlanSettings {
            target_partitions: Some(2),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    plan.run(&mut |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The problems a recipe has (it must have some).
pub(crate) async fn problems(path: &Path) -> Vec<Problem> {
    let recipe = match Recipe::from_file(path) {
        Ok(recipe) => recipe,
        Err(e) => return e.problems().to_vec(),
    };
    match Plan::new(recipe, PlanSettings::default()).await {
        Ok(_) => panic!("{} was expected to be invalid", path.display()),
        Err(e) => {
            assert!(!e.problems().is_empty(), "not a recipe mistake: {e}");
            e.problems().to_vec()
        }
    }
}

pub(crate) fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).expect("output exists");
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader")
        .collect::<Result<Vec<_>, _>>()
        .expect("batches")
}

/// A field as f64 (`None` for null or non-numbers).
pub(crate) fn number(record: &SObject, field: &str) -> Option<f64> {
    match record.get(field)? {
        Value::Double(d) => Some(*d),
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// A field as text (`None` for null).
pub(crate) fn text(record: &SObject, field: &str) -> Option<String> {
    crate::support::text_of(record.get(field))
}

pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}
