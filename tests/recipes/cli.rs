//! `sfdf recipe check|explain|run`, run as a user runs them; atomic outputs.

use std::process::{Command, Output};

use super::{folder, write};
use crate::support::org;

async fn sfdf(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_sfdf"))
            .args(&args)
            .output()
            .expect("sfdf runs")
    })
    .await
    .expect("joins")
}

const RECIPE: &str = r#"
name: won_by_industry
connections: { org: org.yaml }
nodes:
  accounts: { load: { connection: org, object: Account, columns: [Id, Industry] } }
  won: { load: { connection: org, object: Opportunity, filter: "IsWon = true AND Amount > 1000" } }
  joined: { join: { left: won, right: accounts, kind: lookup, on: { AccountId: Id }, right_prefix: account_ } }
  totals: { aggregate: { input: joined, group_by: [account_Industry], measures: { amount: "sum(Amount)", deals: "count(*)" } } }
  by_size: { aggregate: { input: joined, group_by: [Type], measures: { deals: "count(*)" } } }
  out: { output: { input: totals, path: out/won_by_industry.csv } }
  out2: { output: { input: by_size, path: out/by_type.parquet } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_explain_and_run_from_the_command_line() {
    let org = org(50).await;
    let dir = folder(Some(&org));
    let file = write(dir.path(), "won.yaml", RECIPE).display().to_string();

    let out = sfdf(vec!["recipe".into(), "check".into(), file.clone()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");

    org.clear_requests();
    let out = sfdf(vec!["recipe".into(), "explain".into(), file.clone()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("== output `out`"), "{text}");
    assert!(text.contains("== output `out2`"), "{text}");
    assert!(
        text.to_lowercase()
            .contains("where iswon = true and amount > 1000"),
        "{text}"
    );
    assert!(text.contains("FROM Account"), "{text}");
    assert!(text.contains("read by several nodes): joined"), "{text}");
    assert!(
        org.requests().iter().all(|r| r.soql.is_none()),
        "explain sends no query: {:#?}",
        org.requests()
    );

    let out = sfdf(vec!["recipe".into(), "run".into(), file.clone()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("computed shared node `joined` once"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("output"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("out ")), "{stdout}");
    assert!(dir.path().join("out/won_by_industry.csv").is_file());
    assert!(dir.path().join("out/by_type.parquet").is_file());
    // The shared join's inputs were queried once each, not once per output.
    let opportunity_queries = crate::support::bulk_soql(&org)
        .iter()
        .filter(|q| q.contains("FROM Opportunity"))
        .count();
    assert_eq!(opportunity_queries, 1);

    let bad = write(
        dir.path(),
        "bad.yaml",
        &RECIPE.replace("Industry] } }", "Industri] } }"),
    );
    let out = sfdf(vec![
        "recipe".into(),
        "check".into(),
        bad.display().to_string(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown column `Industri`; did you mean `Industry`?"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was run"), "{stderr}");

    let out = sfdf(vec!["recipe".into(), "schema".into()]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"title\": \"sfdf recipe\""));
}

/// A run that fails while writing keeps the previous output and leaves no temporary file.
#[tokio::test]
async fn a_failed_run_keeps_the_previous_output() {
    let dir = folder(None);
    write(dir.path(), "in.csv", "Id,Code\n1,10\n2,20\n");
    let recipe = write(
        dir.path(),
        "r.yaml",
        "name: r\nnodes:\n  a: { load: { csv: in.csv } }\n  c: { cast: { input: a, columns: { Code: int } } }\n  out: { output: { input: c, path: out.csv } }\n",
    );
    super::run(&recipe).await;
    let before = std::fs::read_to_string(dir.path().join("out.csv")).expect("written");
    assert_eq!(before, "Id,Code\n1,10\n2,20\n");

    // Same columns, but one value cannot be cast: the error comes only while running.
    write(dir.path(), "in.csv", "Id,Code\n1,10\n2,x20\n");
    let plan = sfdf_recipes::Plan::new(
        sfdf_recipes::Recipe::from_file(&recipe).expect("valid"),
        sfdf_recipes::PlanSettings::default(),
    )
    .await
    .expect("plans");
    let error = plan.run(&mut |_| {}).await.expect_err("the cast fails");
    assert!(error.to_string().contains("x20"), "{error}");
    let after = std::fs::read_to_string(dir.path().join("out.csv")).expect("still there");
    assert_eq!(after, before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("lists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
