//! The `sfdf sql` and `sfdf demo` commands, run as a user runs them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::support::{bulk_soql, live, org, text_of};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_writes_csv_and_json_for_a_connection_file() {
    let org = org(60).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("conn.yaml");
    std::fs::write(&file, org.connection_yaml("test_org")).expect("writes");
    let file = file.display().to_string();
    let query = "SELECT id, name FROM test_org.account ORDER BY Id LIMIT 3".to_owned();
    let out = sfdf(vec![
        "sql".into(),
        file.clone(),
        query,
        "--format".into(),
        "csv".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(lines[0], "Id,Name");
    let mut ids: Vec<String> = live(&org, "Account")
        .iter()
        .map(|r| r.id().to_owned())
        .collect();
    ids.sort();
    assert!(lines[1].starts_with(&ids[0]), "{stdout}");

    let json = dir.path().join("out.ndjson");
    let out = sfdf(vec![
        "sql".into(),
        file.clone(),
        "SELECT Name FROM Account WHERE NumberOfEmployees > 10 LIMIT 2".into(),
        "--format".into(),
        "ndjson".into(),
        "--output".into(),
        json.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&json).expect("output file");
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(
        written.lines().all(|l| l.starts_with("{\"Name\":")),
        "{written}"
    );
    assert!(
        bulk_soql(&org)
            .iter()
            .any(|s| s == "SELECT Name FROM Account WHERE NumberOfEmployees > 10 LIMIT 2")
    );

    let out = sfdf(vec!["sql".into(), file, "SELECT nope FROM account".into()]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("No field named nope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_reads_statements_over_several_lines() {
    let org = org(40).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("conn.yaml");
    std::fs::write(&file, org.connection_yaml("test_org")).expect("writes");
    let input =
        "SELECT count(*) AS n\n  FROM account\n  WHERE industry IS NOT NULL;\n\\d contact\n\\q\n";
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sfdf"))
            .args([
                "sql".as_ref(),
                file.as_os_str(),
                "--format".as_ref(),
                "csv".as_ref(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sfdf starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("writes");
        child.wait_with_output().expect("sfdf ends")
    })
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let with_industry = live(&org, "Account")
        .iter()
        .filter(|a| text_of(a.get("Industry")).is_some())
        .count();
    assert!(
        stdout.starts_with(&format!("n\n{with_industry}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("AccountId,Utf8,"), "{stdout}");
    // The count is the org's: one REST `SELECT COUNT()`, no Bulk job.
    assert!(bulk_soql(&org).is_empty());
    assert!(
        org.requests().iter().any(
            |r| r.soql.as_deref() == Some("SELECT COUNT() FROM Account WHERE Industry != NULL")
        ),
        "the count went to the org"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_end_to_end_and_shows_each_query_s_soql() {
    let out = sfdf(vec!["demo".into(), "--rows".into(), "200".into()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok  tiny query"), "{stdout}");
    assert!(
        stdout.contains(
            "SOQL: SELECT AccountId, Amount, CloseDate FROM Opportunity WHERE IsWon = TRUE"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("output `out`: ") && stdout.contains("out/won_by_industry.csv"),
        "the demo runs the example recipe: {stdout}"
    );
    assert!(
        stdout.contains("account_Industry,fiscal_year,fiscal_quarter,won_amount,deals"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Account: full sync") && stdout.contains("(first sync)"),
        "the demo syncs: {stdout}"
    );
    assert!(
        stdout.contains("Account: incremental sync")
            && stdout.contains("+1 inserted, ~5 updated, -2 deleted"),
        "the incremental sync merges the demo's changes: {stdout}"
    );
    assert!(stdout.contains("Done in"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_aborts_the_running_bulk_job() {
    // The job never finishes on its own: the query is waiting on it when Ctrl-C comes.
    let org = sfdf_emulator::EmulatedOrg::builder()
        .rows(50)
        .bulk_polls_in_progress(100_000)
        .start()
        .await
        .expect("org");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("conn.yaml");
    std::fs::write(&file, org.connection_yaml("test_org")).expect("writes");
    let child = Command::new(env!("CARGO_BIN_EXE_sfdf"))
        .args([
            "sql".as_ref(),
            file.as_os_str(),
            "SELECT Name FROM Account".as_ref(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sfdf starts");
    crate::support::eventually("the Bulk job is created", || !bulk_soql(&org).is_empty()).await;
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("sfdf ends"))
        .await
        .expect("joins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    let aborts = org
        .requests()
        .iter()
        .filter(|r| r.api == sfdf_emulator::Api::Bulk && r.method == "PATCH")
        .count();
    assert!(aborts >= 1, "the job was not aborted");
}
