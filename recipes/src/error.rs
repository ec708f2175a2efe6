//! Errors: problems found in a recipe (each with file, node, line and column), and failures
//! while running one.

use std::fmt;
use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// What this crate returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One mistake in a recipe: where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The recipe file.
    pub file: PathBuf,
    /// The node it is in, if any.
    pub node: Option<String>,
    /// Line, 1-based (0 when unknown).
    pub line: u32,
    /// Column, 1-based (0 when unknown).
    pub column: u32,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(node) = &self.node {
            write!(f, ": node `{node}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A recipe error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The recipe file cannot be read.
    #[error("cannot read the recipe {path}: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (its text is in the message: not a `source()`, see `sfdf_connector::error`).
        cause: std::io::Error,
    },
    /// The recipe has mistakes; nothing was run.
    #[error("{}", list(.0))]
    Invalid(Vec<Problem>),
    /// Running a node failed (the org, a file, DataFusion).
    #[error("node `{node}`: {cause}")]
    Run {
        /// The node.
        node: String,
        /// Why (its text is in the message: not a `source()`, see `sfdf_connector::error`).
        cause: DataFusionError,
    },
    /// Writing an output failed; the previous file, if any, is untouched.
    #[error("output `{node}` ({path}): {message}")]
    Write {
        /// The output node.
        node: String,
        /// Its file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl Error {
    /// The problems, when the recipe is invalid.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

fn list(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.join("\n")
}

/// `Did you mean `x`?` for the closest of `candidates` to `wrong`, or nothing.
pub(crate) fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let wrong_lower = wrong.to_lowercase();
    let best = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&wrong_lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, name)) => format!("; did you mean `{name}`?"),
        None => String::new(),
    }
}
