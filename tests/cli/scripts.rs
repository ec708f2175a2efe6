//! Scripts and pipes: failing statements stop the run, `-c`/`-f`, JSON, escaped cells,
//! a closed pipe, Ctrl-C.

use super::{connection_file, ok, sfdf, stderr, stdout};
use crate::support::{live, org, run_with_reader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_stops_at_its_first_failing_statement_and_exits_non_zero() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let script =
        "SELECT count(*) AS n FROM account;\nSELECT nope FROM account;\nSELECT 42 AS after;\n";
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
    ])
    .stdin(script)
    .output()
    .await;
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    let accounts = live(&org, "Account").len();
    assert_eq!(
        stdout(&out),
        format!("n\n{accounts}\n"),
        "nothing after the error runs"
    );

    // The same from a file given with -f.
    let file = dir.path().join("job.sql");
    std::fs::write(&file, script).expect("writes");
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "-f".as_ref(),
        file.as_os_str(),
    ])
    .output()
    .await;
    assert!(!out.status.success());
    assert!(!stdout(&out).contains("42"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_statement_without_semicolon_runs_and_commands_run_in_order() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
    ])
    .stdin("SELECT 6 AS six;\nSELECT 7\n  AS seven")
    .output()
    .await;
    ok(&out);
    assert_eq!(stdout(&out), "six\n6\nseven\n7\n");

    let file = dir.path().join("last.sql");
    std::fs::write(&file, "SELECT 3 AS three").expect("writes");
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "-c".as_ref(),
        "SELECT 1 AS one".as_ref(),
        "-c".as_ref(),
        "SELECT 2 AS two".as_ref(),
        "-f".as_ref(),
        file.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    assert_eq!(stdout(&out), "one\n1\ntwo\n2\nthree\n3\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_keeps_nulls_and_decimal_digits_and_ndjson_writes_lines() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let query = "SELECT CAST(NULL AS VARCHAR) AS nothing, \
                 CAST('12345678901234567.89' AS DECIMAL(20, 2)) AS big, 1 AS n \
                 UNION ALL SELECT 'x', CAST('0.10' AS DECIMAL(20, 2)), 2 ORDER BY n";
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        query.as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(
        value,
        serde_json::json!([
            {"nothing": null, "big": "12345678901234567.89", "n": 1},
            {"nothing": "x", "big": "0.10", "n": 2}
        ])
    );

    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        query.as_ref(),
        "--format".as_ref(),
        "ndjson".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["nothing"], serde_json::Value::Null);
    assert!(
        lines[0]
            .as_object()
            .expect("object")
            .contains_key("nothing")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_escapes_control_characters_and_maxrows_limits_it() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SELECT concat('a', chr(9), 'b', chr(13), chr(27), '[31m') AS cell".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let table = stdout(&out);
    assert!(table.contains(r"a\tb\r\u{1b}[31m"), "{table}");
    assert!(!table.contains(['\t', '\r', '\u{1b}']), "{table:?}");

    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SELECT Id FROM Account".as_ref(),
        "--maxrows".as_ref(),
        "2".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let accounts = live(&org, "Account").len();
    let shown = stdout(&out).lines().filter(|l| l.contains("001")).count();
    assert_eq!(shown, 2, "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("{accounts} rows, 2 shown")),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_every_command_quietly() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let conn = conn.display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["describe", &conn, "Account"],
        vec!["objects", &conn],
        vec!["objects", &conn, "--names"],
        vec!["sql", &conn, "SELECT Id, Name FROM Account"],
        vec!["sql", &conn, "SELECT Id FROM Account", "--format", "csv"],
        vec!["connection", "test", &conn],
        vec!["connection", "schema"],
        vec!["recipe", "schema"],
        vec!["demo", "--rows", "50"],
    ];
    for args in runs {
        let (status, err) = run_with_reader(sfdf(&args).command(), |child| {
            // The reader goes away before sfdf writes anything (`| head -0`).
            drop(child.stdout.take());
            drop(child.stdin.take());
        })
        .await;
        assert!(
            status.success() && !err.contains("panicked") && !err.contains("error"),
            "{args:?}: {status:?}\n{err}"
        );
    }
}
