//! The docs are tested: every SQL example in README.md and docs/*.md runs against the
//! emulated org, and the pushdown table in docs/sql.md is the SOQL actually sent.

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::util::pretty::pretty_format_batches;
use secrecy::SecretString;
use sfdf_connector::Connection;
use sfdf_connector::provider::sql;
use sfdf_emulator::EmulatedOrg;

use crate::support::{bulk_soql, org, session_over};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// README.md and every docs/*.md, with their names.
fn documents() -> Vec<(String, String)> {
    let mut paths = vec![format!("{ROOT}/README.md")];
    let mut docs: Vec<String> = std::fs::read_dir(format!("{ROOT}/docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            (p, text)
        })
        .collect()
}

/// The SQL of the examples inside fenced code blocks: `sfdf sql FILE "SQL"` command lines,
/// `sfdf> SQL;` shell lines, `sql(&ctx, "SQL")` calls and whole ```sql blocks.
fn examples(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fence: Option<String> = None;
    let mut block = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match fence.take() {
                Some(kind) => {
                    if kind == "sql" && !block.trim().is_empty() {
                        found.push(block.trim().trim_end_matches(';').to_owned());
                    }
                    block.clear();
                }
                None => fence = Some(info.trim().to_owned()),
            }
            continue;
        }
        if fence.is_none() {
            continue;
        }
        block.push_str(line);
        block.push('\n');
        if let Some(rest) = trimmed.strip_prefix("sfdf sql ")
            && let Some((_, quoted)) = rest.split_once(" \"")
            && let Some((query, _)) = quoted.split_once('"')
        {
            found.push(query.to_owned());
        }
        if let Some(query) = trimmed.strip_prefix("sfdf> ") {
            found.push(query.trim_end_matches(';').to_owned());
        }
        if let Some((_, call)) = trimmed.split_once("sql(&ctx, \"")
            && let Some((query, _)) = call.split_once('"')
        {
            found.push(query.to_owned());
        }
    }
    found
}

async fn docs_context(org: &EmulatedOrg) -> datafusion::prelude::SessionContext {
    let connection = Connection::builder()
        .developer_name("sales_eu")
        .domain_url(org.base_url())
        .client_credentials(
            org.client_id(),
            SecretString::from(org.client_secret().to_owned()),
        )
        .build()
        .expect("valid connection");
    session_over(connection, 2).await
}

/// A column of only nulls in a non-empty answer (ten rows of empty revenue) means the
/// example shows nothing worth showing.
fn empty_column(batches: &[RecordBatch]) -> Option<String> {
    let schema = batches.first()?.schema();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows == 0 {
        return None;
    }
    schema.fields().iter().enumerate().find_map(|(i, field)| {
        let nulls: usize = batches.iter().map(|b| b.column(i).null_count()).sum();
        (nulls == rows).then(|| field.name().clone())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sql_example_in_the_docs_runs_and_shows_something() {
    let org = org(300).await;
    let ctx = docs_context(&org).await;
    // `LOCATION 'sales_eu.yaml'` (CREATE EXTERNAL TABLE) is this org's connection file.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sales_eu.yaml");
    std::fs::write(&file, org.connection_yaml("sales_eu")).expect("writes");
    let location = format!("'{}'", file.display());
    let mut count = 0;
    for (path, text) in documents() {
        for example in examples(&text) {
            let example = example.replace("'sales_eu.yaml'", &location);
            count += 1;
            let batches = match sql(&ctx, &example).await {
                Ok(frame) => frame.collect().await,
                Err(e) => Err(e),
            }
            .unwrap_or_else(|e| panic!("{path}: `{example}` fails: {e}"));
            // A statement that answers rows shows some; an all-null column is a bad example.
            if let Some(column) = empty_column(&batches) {
                panic!(
                    "{path}: `{example}` answers only nulls in {column}:\n{}",
                    pretty_format_batches(&batches).expect("prints")
                );
            }
        }
    }
    assert!(count >= 4, "found only {count} examples");
}

/// One row of the pushdown table: table, SQL condition, SOQL sent (`—` = not sent), kind.
struct PushdownRow {
    table: String,
    sql: String,
    soql: Option<String>,
    kind: String,
}

fn pushdown_rows(text: &str) -> Vec<PushdownRow> {
    let start = text
        .find("| table | SQL `WHERE` | SOQL `WHERE` sent | kind |")
        .expect("docs/sql.md has the pushdown table");
    text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').replace("\\|", "|"))
                .collect();
            assert_eq!(cells.len(), 4, "{line}");
            PushdownRow {
                table: cells[0].clone(),
                sql: cells[1].clone(),
                soql: (cells[2] != "—").then(|| cells[2].clone()),
                kind: cells[3].clone(),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pushdown_table_in_docs_sql_is_the_soql_sent() {
    let org = org(100).await;
    let ctx = docs_context(&org).await;
    let text = std::fs::read_to_string(format!("{ROOT}/docs/sql.md")).expect("docs/sql.md");
    let rows = pushdown_rows(&text);
    assert!(rows.len() >= 15, "{} rows", rows.len());
    let mut wrong = Vec::new();
    for row in rows {
        org.clear_requests();
        let query = format!("SELECT Id FROM {} WHERE {}", row.table, row.sql);
        let explained = sql(&ctx, &format!("EXPLAIN {query}"))
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let plan = pretty_format_batches(&explained)
            .expect("prints")
            .to_string();
        sql(&ctx, &query)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let sent = bulk_soql(&org);
        assert_eq!(sent.len(), 1, "{query}: {sent:?}");
        let sent_where = sent[0].split_once(" WHERE ").map(|(_, w)| w.to_owned());
        let filtered_again = plan.contains("FilterExec");
        let kind = match (&sent_where, filtered_again) {
            (None, _) => "—",
            (Some(_), false) => "exact",
            (Some(_), true) => "inexact",
        };
        if sent_where != row.soql || kind != row.kind {
            wrong.push(format!(
                "{query}: the table says {:?} ({}), the org got {sent_where:?} ({kind})",
                row.soql, row.kind
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/sql.md is wrong:\n{}",
        wrong.join("\n")
    );
}
