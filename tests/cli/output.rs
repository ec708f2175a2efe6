//! `--output`: atomic, one result per file, format from the extension, reported.

use std::time::Duration;

use sfdf_emulator::{Api, EmulatedOrg, Failure};

use super::{connection_file, ok, sfdf, stderr};
use crate::support::eventually;

const OLD: &str = "Id,Name\n001OLD,kept from yesterday\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_failing_half_way_leaves_the_existing_file_as_it_was() {
    // Small result pages, slowly served: the run is between two pages when the org starts
    // refusing every request (the daily API budget is spent: not worth retrying).
    let org = EmulatedOrg::builder()
        .rows(400)
        .page_rows(50)
        .start()
        .await
        .expect("org");
    org.faults().slow_pages(Duration::from_millis(300));
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let target = dir.path().join("accounts.csv");
    std::fs::write(&target, OLD).expect("writes");

    let run = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SELECT Id, Name FROM Account".as_ref(),
        "--partitions".as_ref(),
        "1".as_ref(),
        "-o".as_ref(),
        target.as_os_str(),
    ]);
    let running = tokio::spawn(run.output());
    let pages = || {
        org.requests()
            .iter()
            .filter(|r| r.api == Api::Bulk && r.method == "GET" && r.path.ends_with("/results"))
            .count()
    };
    eventually("the first result page is read", || pages() >= 1).await;
    org.faults()
        .fail_next(10_000, Failure::RequestLimitExceeded);
    let out = running.await.expect("joins");

    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("REQUEST_LIMIT_EXCEEDED"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&target).expect("still there"), OLD);
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("lists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "conn.yaml" && n != "accounts.csv")
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_format_follows_the_extension_and_the_write_is_reported() {
    let org = crate::support::org(40).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let query = "SELECT Id, Name FROM Account ORDER BY Id LIMIT 3";

    let parquet = dir.path().join("x.parquet");
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        query.as_ref(),
        "-o".as_ref(),
        parquet.as_os_str(),
    ])
    .output()
    .await;
    ok(&out);
    let bytes = std::fs::read(&parquet).expect("written");
    assert!(
        bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
        "not a Parquet file: {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
    );
    assert!(
        stderr(&out).contains(&format!("wrote 3 row(s) to {}", parquet.display())),
        "{}",
        stderr(&out)
    );

    let csv = dir.path().join("x.csv");
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        query.as_ref(),
        "-o".as_ref(),
        csv.as_os_str(),
        "--quiet".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let text = std::fs::read_to_string(&csv).expect("written");
    assert!(text.starts_with("Id,Name\n"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert_eq!(stderr(&out), "", "--quiet says nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_results_for_one_output_file_are_refused_before_connecting() {
    let org = crate::support::org(20).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let target = dir.path().join("out.csv");
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SET datafusion.execution.batch_size = 100; SELECT 1 AS a; SELECT 2 AS b".as_ref(),
        "-o".as_ref(),
        target.as_os_str(),
    ])
    .output()
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("2 statements return rows, but --output"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());
    assert!(org.requests().is_empty(), "nothing is sent to the org");

    // A SET before the one query is fine.
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SET datafusion.execution.batch_size = 100; SELECT 1 AS a".as_ref(),
        "-o".as_ref(),
        target.as_os_str(),
    ])
    .output()
    .await;
    ok(&out);
    assert_eq!(std::fs::read_to_string(&target).expect("written"), "a\n1\n");
}
