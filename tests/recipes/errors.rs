//! Each class of mistake, and the message that names file, node, line, column and the fix.

use super::{folder, problems, write};
use crate::support::org;

const ACCOUNTS_CSV: &str = "Id,Name,Amount\n001A,Acme,10.5\n001B,Globex,20\n";

/// The single problem's text (asserting there is exactly one).
async fn only_problem(yaml: &str) -> String {
    let dir = folder(None);
    write(dir.path(), "accounts.csv", ACCOUNTS_CSV);
    let path = write(dir.path(), "bad.yaml", yaml);
    let found = problems(&path).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    let text = found[0].to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    text
}

#[tokio::test]
async fn an_unknown_node_type_is_named_with_a_suggestion_and_position() {
    let text = only_problem(
        "name: r\nnodes:\n  a:\n    lod: { csv: accounts.csv }\n  out: { output: { input: a, path: o.csv } }\n",
    )
    .await;
    assert!(
        text.contains(":4:5: node `a`: unknown node type or value `lod`; did you mean `load`?"),
        "{text}"
    );
    assert!(
        text.contains("expected one of: load, filter, join"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_key_is_named_with_a_suggestion() {
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv, colums: [Id] } }\n  out: { output: { input: a, path: o.csv } }\n",
    )
    .await;
    assert!(
        text.contains(":3:35: node `a`: unknown key `colums`; did you mean `columns`?"),
        "{text}"
    );
    assert!(
        text.contains(
            "expected one of: connection, object, synced, delta, parquet, csv, columns, filter"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_input_is_named_with_a_suggestion() {
    let text = only_problem(
        "name: r\nnodes:\n  accounts: { load: { csv: accounts.csv } }\n  out: { output: { input: acounts, path: o.csv } }\n",
    )
    .await;
    assert!(
        text.contains(":4:27: node `out`: unknown input `acounts`; did you mean `accounts`?"),
        "{text}"
    );
}

#[tokio::test]
async fn a_cycle_is_shown_as_a_path() {
    let text = only_problem(
        "name: r\nnodes:\n  a: { filter: { input: b, where: \"true\" } }\n  b: { filter: { input: a, where: \"true\" } }\n  out: { output: { input: b, path: o.csv } }\n",
    )
    .await;
    assert!(text.contains("the nodes form a cycle: "), "{text}");
    assert!(
        text.contains("a <- b <- a") || text.contains("b <- a <- b"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_column_gets_a_suggestion_at_its_position() {
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n  big: { filter: { input: a, where: \"Amout > 10\" } }\n  out: { output: { input: big, path: o.csv } }\n",
    )
    .await;
    assert!(
        text.contains(
            ":4:37: node `big`: in `Amout > 10`: unknown column `Amout`; did you mean `Amount`?"
        ),
        "{text}"
    );
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n  s: { select: { input: a, columns: [Id, Nmae] } }\n  out: { output: { input: s, path: o.csv } }\n",
    )
    .await;
    assert!(
        text.contains("node `s`: unknown column `Nmae`; did you mean `Name`?"),
        "{text}"
    );
}

#[tokio::test]
async fn a_type_error_in_an_expression_is_caught_before_running() {
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n  f: { formula: { input: a, columns: { x: \"Name * 2\" } } }\n  out: { output: { input: f, path: o.csv } }\n",
    )
    .await;
    assert!(text.contains("node `f`"), "{text}");
    assert!(
        text.to_lowercase().contains("utf8") || text.contains("coerce"),
        "{text}"
    );
    let dir_has_no_output = !std::path::Path::new("o.csv").exists();
    assert!(dir_has_no_output);
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n  f: { filter: { input: a, where: \"Amount + 1\" } }\n  out: { output: { input: f, path: o.csv } }\n",
    )
    .await;
    assert!(text.contains("node `f`"), "{text}");
    assert!(text.to_lowercase().contains("boolean"), "{text}");
}

#[tokio::test]
async fn two_outputs_to_one_path_are_refused() {
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n  o1: { output: { input: a, path: out/x.csv } }\n  o2: { output: { input: a, path: ./out/../out/x.csv } }\n",
    )
    .await;
    assert!(
        text.contains(
            "node `o2`: the output path `./out/../out/x.csv` is also written by node `o1`"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn yaml_syntax_and_missing_files_are_reported_with_positions() {
    let text = only_problem("name: r\nnodes:\n  a: { load: { csv: accounts.csv }\n").await;
    assert!(text.contains(":3:") || text.contains(":4:"), "{text}");
    let text = only_problem(
        "name: r\nnodes:\n  a: { load: { parquet: nowhere.parquet } }\n  out: { output: { input: a, path: o.csv } }\n",
    )
    .await;
    assert!(text.contains(":3:25: node `a`: no file "), "{text}");
    assert!(text.contains("relative to the recipe"), "{text}");
}

#[tokio::test]
async fn several_mistakes_are_all_listed_and_later_nodes_are_not_blamed() {
    let dir = folder(None);
    write(dir.path(), "accounts.csv", ACCOUNTS_CSV);
    let path = write(
        dir.path(),
        "bad.yaml",
        "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n  s: { select: { input: a, columns: [Nope] } }\n  t: { sort: { input: s, by: [Nope] } }\n  f: { filter: { input: a, where: \"Nope2 = 1\" } }\n  o1: { output: { input: t, path: a.csv } }\n  o2: { output: { input: f, path: b.csv } }\n",
    );
    let found = problems(&path).await;
    let nodes: Vec<_> = found.iter().filter_map(|p| p.node.clone()).collect();
    assert_eq!(nodes, ["s", "f"], "{found:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_object_or_connection_is_named_with_a_suggestion() {
    let org = org(10).await;
    let dir = folder(Some(&org));
    let path = write(
        dir.path(),
        "bad.yaml",
        "name: r\nconnections: { org: org.yaml }\nnodes:\n  a: { load: { connection: org, object: Acount } }\n  b: { load: { connection: orgg, object: Account } }\n  o1: { output: { input: a, path: a.csv } }\n  o2: { output: { input: b, path: b.csv } }\n",
    );
    let found = problems(&path).await;
    let text: Vec<String> = found.iter().map(|p| p.to_string()).collect();
    assert_eq!(text.len(), 1, "{text:#?}");
    assert!(
        text[0].contains(":5:28: node `b`: unknown connection `orgg`; did you mean `org`?"),
        "{text:#?}"
    );
    let path = write(
        dir.path(),
        "bad2.yaml",
        "name: r\nconnections: { org: org.yaml }\nnodes:\n  a: { load: { connection: org, object: Acount } }\n  o1: { output: { input: a, path: a.csv } }\n",
    );
    let text = problems(&path).await[0].to_string();
    assert!(
        text.contains(
            ":4:41: node `a`: connection `org` has no object `Acount`; did you mean `Account`?"
        ),
        "{text}"
    );
}

#[test]
fn recipe_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/recipe.schema.json");
    let fresh = sfdf_recipes::recipe_json_schema();
    if std::env::var_os("SFDF_BLESS").is_some() {
        std::fs::write(path, &fresh).expect("writes the schema");
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
    assert!(
        parse(&stored).is_some() && parse(&stored) == parse(&fresh),
        "schemas/recipe.schema.json is stale: run `SFDF_BLESS=1 cargo test --test main recipe_schema_is_current`"
    );
}

/// The rules of single nodes: each mistake, its message.
#[tokio::test]
async fn node_rules_are_checked_with_a_message_each() {
    let head = "name: r\nnodes:\n  a: { load: { csv: accounts.csv } }\n";
    let cases = [
        (
            "  j: { join: { left: a, right: a, kind: inner } }\n  o: { output: { input: j, path: o.csv } }\n",
            "node `j`: a join needs `on: { LEFT_COLUMN: RIGHT_COLUMN }` (or `kind: cross`)",
        ),
        (
            "  j: { join: { left: a, right: a, kind: cross, on: { Id: Id } } }\n  o: { output: { input: j, path: o.csv } }\n",
            "node `j`: a `cross` join pairs every row with every row and takes no `on`",
        ),
        (
            "  j: { join: { left: a, right: a, kind: inner, on: { Id: Id }, right_prefix: \"\" } }\n  o: { output: { input: j, path: o.csv } }\n",
            "column `Id` would be on both sides of the join; set `right_prefix`",
        ),
        (
            "  j: { join: { left: a, right: a, kind: sideways, on: { Id: Id } } }\n  o: { output: { input: j, path: o.csv } }\n",
            "unknown node type or value `sideways`",
        ),
        (
            "  u: { append: { inputs: [a] } }\n  o: { output: { input: u, path: o.csv } }\n",
            "node `u`: an append needs at least two `inputs`",
        ),
        (
            "  b: { bucket: { input: a, column: Amount, as: s, ranges: [{ below: 5, label: x }, { below: 1, label: y }] } }\n  o: { output: { input: b, path: o.csv } }\n",
            "node `b`: bucket `ranges` must be in increasing order of `below`",
        ),
        (
            "  d: { date_parts: { input: a, column: Amount, parts: [year], fiscal_start_month: 13 } }\n  o: { output: { input: d, path: o.csv } }\n",
            "node `d`: `fiscal_start_month` is 13; give a month from 1 (January) to 12",
        ),
        (
            "  d: { date_parts: { input: a, column: Name, parts: [year] } }\n  o: { output: { input: d, path: o.csv } }\n",
            "node `d`: `Name` is Utf8, not a date or timestamp; `cast` it to date first",
        ),
        (
            "  o: { output: { input: a, path: out.txt } }\n",
            "node `o`: cannot tell the format of `out.txt` from its extension",
        ),
        (
            "  b: { load: { csv: accounts.csv, parquet: x.parquet } }\n  o: { output: { input: b, path: o.csv } }\n",
            "node `b`: a load reads one source",
        ),
        (
            "  s: { sort: { input: a, by: [a] } }\n",
            "the recipe has no `output` node",
        ),
        (
            "  o: { output: { input: a, path: o.csv } }\n  p: { output: { input: o, path: p.csv } }\n",
            "node `p`: `o` is an output node, which has no result to read; read its input `a` instead",
        ),
        (
            "  g: { aggregate: { input: a, group_by: [Name], measures: { x: \"Amount\" } } }\n  o: { output: { input: g, path: o.csv } }\n",
            "node `g`: measure `x` = `Amount` does not aggregate; use sum, avg",
        ),
        (
            "  g: { aggregate: { input: a, measures: { x: \"sum(Amount) / 2\" }, pivot: { column: Name, values: [Acme] } } }\n  o: { output: { input: g, path: o.csv } }\n",
            "a pivoted measure must be one aggregate call",
        ),
    ];
    for (nodes, expected) in cases {
        let text = only_problem(&format!("{head}{nodes}")).await;
        assert!(text.contains(expected), "{nodes}\n=> {text}");
    }
}
