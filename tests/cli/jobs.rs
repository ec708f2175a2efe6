//! No Bulk job is left at the org, however `sfdf` ends: an error mid-extraction, a reader
//! that stops early (`| head`), Ctrl-C. Each run has ended (the process is gone) before
//! the org's jobs are counted: sfdf waits for its DELETEs before it exits.

use std::io::{BufRead, BufReader};
use std::process::ExitStatus;

use super::{connection_file, sfdf, stderr};
use crate::support::{org, run_with_reader};

/// Bulk job creations the org answered.
fn jobs_created(org: &sfdf_emulator::EmulatedOrg) -> usize {
    org.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/jobs/query") && r.status == 200)
        .count()
}

/// Asserts that the query ran through one Bulk job and that the org holds none now.
fn one_job_none_left(org: &sfdf_emulator::EmulatedOrg, stderr: &str) {
    assert_eq!(jobs_created(org), 1, "the query ran through a Bulk job");
    assert_eq!(
        org.bulk_jobs(),
        Vec::<String>::new(),
        "no job left at the org\n{stderr}"
    );
}

/// Runs `sfdf ARGS`, reads `lines` lines of its output, then `stop`s it (closes the pipe,
/// or sends a signal); returns how it ended and its standard error.
async fn run_and_stop(args: Vec<String>, lines: usize, interrupt: bool) -> (ExitStatus, String) {
    run_with_reader(sfdf(&args).command(), move |child| {
        drop(child.stdin.take());
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        for _ in 0..lines {
            let mut line = String::new();
            out.read_line(&mut line).expect("reads a line");
            assert!(!line.is_empty(), "sfdf wrote {lines} lines");
        }
        if interrupt {
            let sent = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(sent.success());
            // Keep reading, as a terminal would, until sfdf is gone.
            std::io::copy(&mut out, &mut std::io::sink()).expect("reads to the end");
        }
        // Else `| head`: the reader goes away.
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_early_leaves_no_bulk_job() {
    let org = org(20_000).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path()).display().to_string();
    let args = [
        "sql",
        &conn,
        "SELECT Id, Name FROM Account",
        "--format",
        "csv",
    ];
    let (status, err) = run_and_stop(args.map(String::from).to_vec(), 2, false).await;
    assert!(
        status.success() && !err.contains("panicked"),
        "{status:?}\n{err}"
    );
    one_job_none_left(&org, &err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_extraction_leaves_no_bulk_job() {
    // Many small result pages, each slow: the query is still reading pages when Ctrl-C
    // comes (with one big page, sfdf could finish before the signal arrives).
    let org = sfdf_emulator::EmulatedOrg::builder()
        .rows(20_000)
        .seed(11)
        .page_rows(100)
        .start()
        .await
        .expect("emulated org starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path()).display().to_string();
    org.faults()
        .slow_pages(std::time::Duration::from_millis(300));
    let args = [
        "sql",
        &conn,
        "SELECT Id, Name FROM Account",
        "--format",
        "csv",
    ];
    let (status, err) = run_and_stop(args.map(String::from).to_vec(), 2, true).await;
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("cancelled"), "{err}");
    one_job_none_left(&org, &err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_mid_extraction_leaves_no_bulk_job() {
    let org = org(5_000).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    // A row limit far below the object's rows: the extraction fails once it is crossed.
    let text = std::fs::read_to_string(&conn).expect("reads") + "limits:\n  max_rows: 100\n";
    std::fs::write(&conn, text).expect("writes");
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SELECT Id, Name FROM Account".as_ref(),
    ])
    .output()
    .await;
    assert!(!out.status.success(), "the limit stops the query");
    assert!(stderr(&out).contains("max_rows"), "{}", stderr(&out));
    one_job_none_left(&org, &stderr(&out));
}
