//! Delta: a synced object (`sfdf-sync`) and a Delta folder as inputs; Delta outputs
//! (overwrite, append, upsert) and the upsert example. Tables are read back with the sync
//! layer's own reader, not through a recipe.

use std::collections::HashMap;
use std::path::Path;

use datafusion::prelude::SessionContext;
use sfdf_connector::Session;
use sfdf_sync::SyncOptions;
use sfdf_sync::delta::DeltaDir;

use super::{folder, problems, run, text, write};
use crate::support::{live, org, texts};

async fn read_delta(dir: &Path) -> Vec<datafusion::arrow::array::RecordBatch> {
    let ctx = SessionContext::new();
    let table = DeltaDir::open(dir).await.expect("a Delta table");
    let provider = table.provider(&ctx).await.expect("provider");
    ctx.read_table(provider)
        .expect("frame")
        .collect()
        .await
        .expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_object_and_delta_outputs_in_every_mode() {
    let org = org(40).await;
    let dir = folder(Some(&org));
    // A real sync of Account into `synced/test_org/Account` (the developer name of org.yaml).
    let conn = sfdf_connector::Connection::from_yaml_file(dir.path().join("org.yaml"))
        .expect("the test's connection file");
    let session = Session::connect(&conn).await.expect("session");
    let mut options = SyncOptions::new(dir.path().join("synced"));
    options.objects = vec!["Account".into()];
    let reports = sfdf_sync::sync(&session, &options).await.expect("sync");
    assert!(
        reports.iter().all(|r| r.ok()),
        "{:?}",
        reports.iter().map(|r| r.line()).collect::<Vec<_>>()
    );

    let recipe = write(
        dir.path(),
        "delta.yaml",
        r#"
name: delta
connections: { org: org.yaml }
nodes:
  copy: { load: { connection: org, object: account, synced: synced, columns: [Id, Name], filter: "Name IS NOT NULL" } }
  replaced: { output: { input: copy, path: out/replaced, format: delta } }
  added: { output: { input: copy, path: out/added, format: delta, mode: append } }
"#,
    );
    org.clear_requests();
    let first = run(&recipe).await;
    assert!(
        org.requests().iter().all(|r| r.soql.is_none()),
        "a synced load reads no query"
    );
    let second = run(&recipe).await;
    let accounts: Vec<_> = live(&org, "Account")
        .into_iter()
        .filter(|a| text(a, "Name").is_some())
        .collect();
    let n = accounts.len() as u64;
    let rows = |s: &[sfdf_recipes::OutputSummary], node: &str| {
        s.iter()
            .find(|o| o.node == node)
            .map(|o| o.rows)
            .expect("written")
    };
    assert_eq!(
        (rows(&first, "replaced"), rows(&second, "replaced")),
        (n, n)
    );
    assert_eq!((rows(&first, "added"), rows(&second, "added")), (n, n));
    assert_eq!(
        read_delta(&dir.path().join("out/replaced"))
            .await
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>() as u64,
        n
    );
    assert_eq!(
        read_delta(&dir.path().join("out/added"))
            .await
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>() as u64,
        2 * n
    );

    // A Delta folder as input.
    let again = write(
        dir.path(),
        "again.yaml",
        "name: again\nnodes:\n  t: { load: { delta: out/replaced } }\n  o: { output: { input: t, path: again.csv } }\n",
    );
    let written = run(&again).await;
    assert_eq!(written[0].rows, n);

    // Mistakes: an object that was not synced, a folder without a table.
    let bad = write(
        dir.path(),
        "bad.yaml",
        "name: bad\nconnections: { org: org.yaml }\nnodes:\n  c: { load: { connection: org, object: Contact, synced: synced } }\n  t: { load: { delta: out/nothing } }\n  o1: { output: { input: c, path: a.csv } }\n  o2: { output: { input: t, path: b.csv } }\n",
    );
    let found: Vec<String> = problems(&bad).await.iter().map(|p| p.to_string()).collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].contains("node `c`: `Contact` is not synced under ")
            && found[0].contains("run `sfdf sync` for it first (synced: Account)"),
        "{found:#?}"
    );
    assert!(
        found[1].contains("node `t`: no Delta table in "),
        "{found:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upsert_example_updates_matches_inserts_the_rest_and_keeps_other_rows() {
    let org = org(30).await;
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dir = tempfile::tempdir().expect("temp dir");
    let connection =
        std::fs::read_to_string(examples.join("demo-connection.yaml")).expect("example");
    write(
        dir.path(),
        "demo-connection.yaml",
        &connection.replace("http://127.0.0.1:8643", org.base_url()),
    );
    let example =
        std::fs::read_to_string(examples.join("accounts_upsert.recipe.yaml")).expect("example");
    let recipe = write(dir.path(), "accounts_upsert.recipe.yaml", &example);
    // The table before: five accounts with an old name, and a row the org does not have.
    write(
        dir.path(),
        "ghost.csv",
        "Id,Name,Industry,AnnualRevenue,big\nX0000000000GHOST,Ghost,Energy,1.5,false\n",
    );
    let prep = write(
        dir.path(),
        "prep.yaml",
        r#"
name: prep
connections: { org: demo-connection.yaml }
nodes:
  accounts: { load: { connection: org, object: Account, columns: [Id, Name, Industry, AnnualRevenue] } }
  ordered: { sort: { input: accounts, by: [Id] } }
  few: { limit: { input: ordered, rows: 5 } }
  old: { formula: { input: few, columns: { Name: "'old name'", big: "AnnualRevenue > 10000000" } } }
  ghost: { load: { csv: ghost.csv } }
  both: { append: { inputs: [old, ghost] } }
  out: { output: { input: both, path: out/accounts, format: delta } }
"#,
    );
    run(&prep).await;
    let summaries = run(&recipe).await;
    let accounts = live(&org, "Account");
    assert_eq!(summaries[0].rows, accounts.len() as u64);
    assert_eq!(
        summaries[0].detail.as_deref(),
        Some(format!("{} inserted, 5 updated", accounts.len() - 5).as_str())
    );
    let batches = read_delta(&dir.path().join("out/accounts")).await;
    let got: HashMap<String, Option<String>> = texts(&batches, "Id")
        .into_iter()
        .map(Option::unwrap_or_default)
        .zip(texts(&batches, "Name"))
        .collect();
    assert_eq!(got.len(), accounts.len() + 1);
    assert_eq!(got["X0000000000GHOST"].as_deref(), Some("Ghost"));
    for a in &accounts {
        assert_eq!(got[a.id()], text(a, "Name"), "{}", a.id());
    }
}
