//! Reading a recipe file and checking its graph: every input exists, no cycle, one source
//! per load, no two outputs to one file. Column and expression checks need the inputs'
//! schemas and happen when the recipe is planned ([`crate::plan`]).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::{Error, Problem, Result, did_you_mean};
use crate::model::{Format, Located, Name, Node, Ordered, Output, RecipeFile};

/// A parsed recipe whose graph is valid, with its nodes in an order where every node
/// comes after its inputs.
#[derive(Debug, Clone)]
pub struct Recipe {
    path: PathBuf,
    dir: PathBuf,
    file: RecipeFile,
    order: Vec<usize>,
    consumers: Vec<usize>,
}

impl Recipe {
    /// Reads and checks `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|cause| Error::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Self::from_yaml(&text, path)
    }

    /// Parses and checks YAML text; `path` is where it is said to come from (errors name it,
    /// relative paths in it are relative to its folder).
    pub fn from_yaml(text: &str, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = parse(text, &path)?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let mut recipe = Recipe {
            path,
            dir,
            file,
            order: Vec::new(),
            consumers: Vec::new(),
        };
        let mut problems = recipe.check_graph();
        if problems.is_empty() {
            match recipe.topological_order() {
                Ok(order) => recipe.order = order,
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        recipe.consumers = recipe.count_consumers();
        Ok(recipe)
    }

    /// The recipe file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parsed file.
    pub fn file(&self) -> &RecipeFile {
        &self.file
    }

    /// The recipe's name.
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// The node at `index` (file order): its name and action.
    pub fn node(&self, index: usize) -> (&str, &Located<Node>) {
        let (name, node) = &self.file.nodes.0[index];
        (name, node)
    }

    /// The index of the node called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.file.nodes.0.iter().position(|(n, _)| n == name)
    }

    /// Node indexes, every node after its inputs.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// How many times other nodes read node `index` (a join of a node with itself counts twice).
    pub fn consumers(&self, index: usize) -> usize {
        self.consumers[index]
    }

    /// The output nodes, in file order: name and spec.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, &Output)> {
        self.file
            .nodes
            .0
            .iter()
            .filter_map(|(name, node)| match &node.value {
                Node::Output(output) => Some((name.as_str(), output)),
                _ => None,
            })
    }

    /// A path written in the recipe, relative to the recipe's folder.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// A problem at a place in this recipe.
    pub(crate) fn problem<T>(
        &self,
        node: Option<&str>,
        at: &Located<T>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: self.path.clone(),
            node: node.map(str::to_owned),
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }

    fn check_graph(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let nodes = &self.file.nodes.0;
        let names: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
        let mut output_paths: HashMap<PathBuf, &str> = HashMap::new();
        for (name, node) in nodes {
            let mut bad = |at: &Name, message: String| {
                problems.push(self.problem(Some(name), at, message));
            };
            for input in node.value.inputs() {
                match nodes.iter().find(|(n, _)| *n == input.value) {
                    None => bad(
                        input,
                        format!(
                            "unknown input `{}`{}; the recipe's nodes are: {}",
                            input.value,
                            did_you_mean(&input.value, names.iter().copied()),
                            names.join(", ")
                        ),
                    ),
                    Some((_, used)) if matches!(used.value, Node::Output(_)) => bad(
                        input,
                        format!(
                            "`{}` is an output node, which has no result to read; read its input `{}` instead",
                            input.value,
                            used.value.inputs()[0].value
                        ),
                    ),
                    Some(_) => {}
                }
            }
            self.check_node(name, node, &mut problems);
            if let Node::Output(output) = &node.value {
                let key = normalize(&self.resolve(&output.path.value));
                if let Some(first) = output_paths.insert(key, name) {
                    problems.push(self.problem(
                        Some(name),
                        &output.path,
                        format!(
                            "the output path `{}` is also written by node `{first}`; give each output its own path",
                            output.path.value
                        ),
                    ));
                }
            }
        }
        if nodes.is_empty() {
            problems.push(Problem {
                file: self.path.clone(),
                node: None,
                line: 0,
                column: 0,
                message: "the recipe has no nodes; add `load` and `output` nodes under `nodes:`"
                    .into(),
            });
        } else if output_paths.is_empty() {
            problems.push(Problem {
                file: self.path.clone(),
                node: None,
                line: 0,
                column: 0,
                message:
                    "the recipe has no `output` node, so running it would write nothing; add one"
                        .into(),
            });
        }
        problems
    }

    fn check_node(&self, name: &str, node: &Located<Node>, problems: &mut Vec<Problem>) {
        let mut bad = |message: String| problems.push(self.problem(Some(name), node, message));
        match &node.value {
            Node::Load(load) => {
                let sources = [
                    load.connection.is_some(),
                    load.delta.is_some(),
                    load.parquet.is_some(),
                    load.csv.is_some(),
                ];
                match sources.iter().filter(|s| **s).count() {
                    0 => bad("a load needs one source: `connection` and `object`, `delta: DIR`, `parquet: PATH` or `csv: PATH`".into()),
                    1 => {}
                    _ => bad("a load reads one source: give only one of `connection`, `delta`, `parquet`, `csv`".into()),
                }
                match (&load.connection, &load.object) {
                    (Some(connection), _)
                        if self.file.connections.get(&connection.value).is_none() =>
                    {
                        let known: Vec<&str> = self
                            .file
                            .connections
                            .iter()
                            .map(|(k, _)| k.as_str())
                            .collect();
                        problems.push(self.problem(
                            Some(name),
                            connection,
                            format!(
                                "unknown connection `{}`{}; declare it under `connections:` (known: {})",
                                connection.value,
                                did_you_mean(&connection.value, known.iter().copied()),
                                if known.is_empty() { "none".to_string() } else { known.join(", ") }
                            ),
                        ));
                    }
                    (Some(_), None) => bad(
                        "a load from a connection needs `object`, e.g. `object: Account`".into(),
                    ),
                    (None, Some(object)) => problems.push(self.problem(
                        Some(name),
                        object,
                        "`object` needs `connection`: the connection to read it from".to_string(),
                    )),
                    _ => {}
                }
                if let Some(synced) = &load.synced
                    && (load.connection.is_none() || load.object.is_none())
                {
                    problems.push(self.problem(
                        Some(name),
                        synced,
                        "`synced` reads a synced object: give `connection` and `object` with it",
                    ));
                }
            }
            Node::Join(join) => {
                use crate::model::JoinKind;
                let cross = join.kind.value == JoinKind::Cross;
                if cross && !join.on.is_empty() {
                    problems.push(self.problem(Some(name), &join.kind, "a `cross` join pairs every row with every row and takes no `on`; remove `on` or pick another kind"));
                } else if !cross && join.on.is_empty() {
                    bad(
                        "a join needs `on: { LEFT_COLUMN: RIGHT_COLUMN }` (or `kind: cross`)"
                            .into(),
                    );
                }
            }
            Node::Append(append) if append.inputs.len() < 2 => {
                bad("an append needs at least two `inputs`".into());
            }
            Node::Aggregate(aggregate)
                if aggregate.measures.is_empty() && aggregate.group_by.is_empty() =>
            {
                bad("an aggregate needs `group_by` columns, `measures`, or both".into());
            }
            Node::Bucket(bucket) => match (&bucket.ranges, &bucket.values) {
                (Some(_), Some(_)) => {
                    bad("a bucket takes either `ranges` or `values`, not both".into())
                }
                (None, None) => {
                    bad("a bucket needs `ranges` (numbers) or `values` (labels → values)".into())
                }
                (Some(ranges), None) if ranges.windows(2).any(|w| w[0].below >= w[1].below) => {
                    bad("bucket `ranges` must be in increasing order of `below`".into());
                }
                _ => {}
            },
            Node::Split(split) if split.into.is_empty() => {
                bad("a split needs `into`: the names of the new columns".into());
            }
            Node::DateParts(parts) => {
                if let Some(month) = &parts.fiscal_start_month
                    && !(1..=12).contains(&month.value)
                {
                    problems.push(self.problem(
                        Some(name),
                        month,
                        format!(
                            "`fiscal_start_month` is {}; give a month from 1 (January) to 12",
                            month.value
                        ),
                    ));
                }
            }
            Node::Output(output) if output_format(output).is_some() => {
                use crate::model::{Format, WriteMode};
                let mode = output.mode.as_ref().map(|m| m.value).unwrap_or_default();
                if output_format(output) != Some(Format::Delta) && mode != WriteMode::Overwrite {
                    bad("`mode` append and upsert are for Delta outputs (`format: delta`); CSV and Parquet files are replaced".into());
                }
                match (&output.key, mode) {
                    (None, WriteMode::Upsert) => bad(
                        "an upsert needs `key`: the column that identifies a row, e.g. `key: Id`"
                            .into(),
                    ),
                    (Some(key), mode) if mode != WriteMode::Upsert => problems.push(self.problem(
                        Some(name),
                        key,
                        "`key` is only for `mode: upsert`",
                    )),
                    _ => {}
                }
            }
            Node::Output(output) => {
                problems.push(self.problem(Some(name), &output.path, format!(
                    "cannot tell the format of `{}` from its extension; end it in .csv or .parquet, or set `format` (csv, parquet, delta)",
                    output.path.value
                )));
            }
            _ => {}
        }
    }

    /// Depth-first topological order; a cycle is reported with its path.
    fn topological_order(&self) -> Result<Vec<usize>, Problem> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let nodes = &self.file.nodes.0;
        let mut marks = vec![Mark::New; nodes.len()];
        let mut order = Vec::with_capacity(nodes.len());
        for start in 0..nodes.len() {
            if marks[start] != Mark::New {
                continue;
            }
            // (node, next input to visit)
            let mut stack = vec![(start, 0usize)];
            marks[start] = Mark::Open;
            while let Some((at, next)) = stack.last_mut() {
                let inputs = nodes[*at].1.value.inputs();
                if let Some(input) = inputs.get(*next) {
                    *next += 1;
                    let Some(i) = self.index_of(&input.value) else {
                        continue;
                    };
                    match marks[i] {
                        Mark::New => {
                            marks[i] = Mark::Open;
                            stack.push((i, 0));
                        }
                        Mark::Open => {
                            let from = stack.iter().position(|(n, _)| *n == i).unwrap_or(0);
                            let mut path: Vec<&str> = stack[from..]
                                .iter()
                                .map(|(n, _)| nodes[*n].0.as_str())
                                .collect();
                            path.push(&nodes[i].0);
                            return Err(self.problem(
                                Some(&nodes[i].0),
                                &nodes[i].1,
                                format!(
                                    "the nodes form a cycle: {}; a node cannot depend on itself",
                                    path.join(" <- ")
                                ),
                            ));
                        }
                        Mark::Done => {}
                    }
                } else {
                    marks[*at] = Mark::Done;
                    order.push(*at);
                    stack.pop();
                }
            }
        }
        Ok(order)
    }

    fn count_consumers(&self) -> Vec<usize> {
        let mut counts = vec![0; self.file.nodes.len()];
        for (_, node) in &self.file.nodes.0 {
            for input in node.value.inputs() {
                if let Some(i) = self.index_of(&input.value) {
                    counts[i] += 1;
                }
            }
        }
        counts
    }
}

/// The format of an output: as given, else from the extension.
pub fn output_format(output: &Output) -> Option<Format> {
    output.format.or_else(|| {
        let extension = Path::new(&output.path.value)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    })
}

/// `a/./b/../c` → `a/c`, without touching the disk (the file may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Parses YAML, turning serde's message into one that names the node and suggests a fix.
fn parse(text: &str, path: &Path) -> Result<RecipeFile> {
    serde_saphyr::from_str::<RecipeFile>(text).map_err(|error| {
        let (line, column) = error
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((0, 0));
        let message = error.without_snippet().to_string();
        let message = first_line(&message);
        Error::Invalid(vec![Problem {
            file: path.to_path_buf(),
            node: node_at(text, line),
            line,
            column,
            message: with_suggestion(&message),
        }])
    })
}

fn first_line(message: &str) -> String {
    // saphyr appends " at line L column C"; the position is printed separately.
    let line = message.lines().next().unwrap_or_default();
    match line.find(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

/// The node whose definition starts last at or before `line`, found by a lenient parse.
fn node_at(text: &str, line: u32) -> Option<String> {
    #[derive(Deserialize)]
    struct Outline {
        #[serde(default)]
        nodes: Ordered<Located<IgnoredAny>>,
    }
    let outline: Outline = serde_saphyr::from_str(text).ok()?;
    outline
        .nodes
        .0
        .iter()
        .filter(|(_, n)| n.line > 0 && n.line <= line)
        .max_by_key(|(_, n)| n.line)
        .map(|(name, _)| name.clone())
}

/// serde says `unknown field `x`, expected one of `a`, `b``; add which one was meant and
/// what the keys mean.
fn with_suggestion(message: &str) -> String {
    let unknown = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|p| message.find(p).map(|i| (p, i)));
    let Some((prefix, at)) = unknown else {
        return message.to_string();
    };
    let rest = &message[at + prefix.len()..];
    let Some(end) = rest.find('`') else {
        return message.to_string();
    };
    let wrong = &rest[..end];
    // serde_saphyr writes the list as `a, b, c` (serde's own messages quote each name).
    let expected: Vec<&str> = rest[end + 1..]
        .split_once("expected one of ")
        .map(|(_, list)| {
            list.split(", ")
                .map(|n| n.trim().trim_matches('`'))
                .collect()
        })
        .unwrap_or_default();
    let what = if prefix.contains("variant") {
        "node type or value"
    } else {
        "key"
    };
    format!(
        "unknown {what} `{wrong}`{}; expected one of: {}",
        did_you_mean(wrong, expected.iter().copied()),
        expected.join(", ")
    )
}
