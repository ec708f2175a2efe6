//! SystemModstamp windows (several cursors or Bulk jobs per scan) and the one-job-per-plan
//! rule when partitions are dropped.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::AsArray;
use futures::StreamExt;
use sfdf_connector::{ApiType, Connection, ExtractPlan, PlanOptions, Session};
use sfdf_emulator::{EmulatedOrg, LoggedRequest, Value};

use crate::common::{connection, connection_to, org, org_rows};

const SPAN_QUERY: &str = "SELECT MIN(SystemModstamp), MAX(SystemModstamp), COUNT(Id) FROM Account";

fn with_filter(org: &EmulatedOrg, api: ApiType, filter: &str) -> Connection {
    connection_to(org, api, "62.0", Some(("Account", filter)))
}

/// Windows however few rows: the test orgs are small.
fn options(partitions: usize) -> PlanOptions {
    PlanOptions {
        partitions,
        window_min_rows: 1,
        ..PlanOptions::default()
    }
}

async fn plan(session: &Session, options: &PlanOptions) -> ExtractPlan {
    let query = session
        .query_for("Account")
        .await
        .unwrap()
        .columns(["Id", "Name"]);
    session.plan_with(&query, options).await.unwrap()
}

/// Reads every partition concurrently (as DataFusion does); the Ids of each partition.
async fn ids_per_partition(plan: &ExtractPlan) -> Vec<Vec<String>> {
    let streams: Vec<_> = (0..plan.partition_count())
        .map(|i| plan.open(i).unwrap())
        .collect();
    let reads = streams.into_iter().map(|s| async move {
        let batches: Vec<_> = s.map(|b| b.expect("partition reads")).collect().await;
        batches
            .iter()
            .flat_map(|b| {
                let ids = b.column(0).as_string::<i32>();
                (0..b.num_rows())
                    .map(|i| ids.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    futures::future::join_all(reads).await
}

/// Asserts the partitions hold each of `expected` exactly once.
fn assert_each_once(partitions: &[Vec<String>], expected: &HashSet<String>, what: &str) {
    let all: Vec<&String> = partitions.iter().flatten().collect();
    let unique: HashSet<String> = all.iter().map(|s| s.to_string()).collect();
    assert_eq!(all.len(), unique.len(), "{what}: rows read twice");
    assert_eq!(&unique, expected, "{what}: rows lost or foreign");
}

fn soql_requests(org: &EmulatedOrg) -> Vec<String> {
    org.requests().into_iter().filter_map(|r| r.soql).collect()
}

fn stamp(org: &EmulatedOrg, id: &str) -> DateTime<Utc> {
    match org.record(id).unwrap().get("SystemModstamp") {
        Some(Value::DateTime(t)) => *t,
        other => panic!("SystemModstamp of {id}: {other:?}"),
    }
}

fn bulk_creates(org: &EmulatedOrg) -> Vec<LoggedRequest> {
    org.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/jobs/query"))
        .collect()
}

fn count(org: &EmulatedOrg, method: &str) -> usize {
    org.requests()
        .iter()
        .filter(|r| r.method == method && r.path.contains("/jobs/query/"))
        .count()
}

#[tokio::test]
async fn rest_and_soap_windows_return_every_row_once_with_one_aggregate_call() {
    let org = org(1_500, 10_000).await;
    let filter = "NumberOfEmployees > 50";
    let expected: HashSet<String> = org_rows(&org, "Account")
        .into_iter()
        .filter(|(_, r)| matches!(r.get("NumberOfEmployees"), Some(Value::Int(n)) if *n > 50))
        .map(|(id, _)| id)
        .collect();
    assert!(expected.len() > 500);
    for api in [ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&with_filter(&org, api, filter))
            .await
            .unwrap();
        org.clear_requests();
        let plan = plan(&session, &options(4)).await;
        assert_eq!((plan.partition_count(), plan.windows()), (4, 4), "{api}");
        assert_eq!(
            plan.min_api_calls(),
            6,
            "{api}: aggregate + 4 cursors + changed rows"
        );
        assert!(
            soql_requests(&org).is_empty(),
            "{api}: planning sends no query"
        );

        let partitions = ids_per_partition(&plan).await;
        assert_each_once(&partitions, &expected, &api.to_string());
        assert!(
            partitions.iter().all(|p| !p.is_empty()),
            "{api}: the rows spread over every window: {:?}",
            partitions.iter().map(Vec::len).collect::<Vec<_>>()
        );

        let sent = soql_requests(&org);
        let spans: Vec<_> = sent.iter().filter(|s| s.contains("MIN(")).collect();
        assert_eq!(
            spans,
            [&format!("{SPAN_QUERY} WHERE {filter}")],
            "{api}: one aggregate call"
        );
        // The newest rows (and those changed meanwhile) come last, from the span's MAX on.
        let (changed, windows): (Vec<&String>, Vec<&String>) = sent
            .iter()
            .filter(|s| !s.contains("MIN("))
            .partition(|s| s.contains("SystemModstamp >= ") && !s.contains("SystemModstamp < "));
        assert_eq!(windows.len(), 4, "{api}: {windows:#?}");
        assert_eq!(changed.len(), 1, "{api}: {changed:#?}");
        let prefix = format!("SELECT Id, Name FROM Account WHERE {filter} AND ");
        for w in windows.iter().chain(&changed) {
            assert!(w.starts_with(&prefix), "{api}: sync filter ANDed: {w}");
        }
        let lower = windows
            .iter()
            .filter(|w| w.contains("SystemModstamp >= "))
            .count();
        let upper = windows
            .iter()
            .filter(|w| w.contains("SystemModstamp < "))
            .count();
        assert_eq!((lower, upper), (3, 4), "{api}: {windows:#?}");
        // The last window ends just before the span's MAX, where the last query begins.
        let max = changed[0]
            .rsplit("SystemModstamp >= ")
            .next()
            .unwrap_or_default();
        let ends: Vec<_> = windows
            .iter()
            .filter(|w| w.ends_with(&format!("SystemModstamp < {max}")))
            .collect();
        assert_eq!(ends.len(), 1, "{api}: {windows:#?} {changed:#?}");
        // Neighbouring windows share their boundary literal.
        let bounds = plan.window_boundaries().expect("boundaries known");
        assert_eq!(bounds.len(), 3);
        for b in &bounds {
            let text = b.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let uses = windows.iter().filter(|w| w.contains(&text)).count();
            assert_eq!(uses, 2, "{api}: boundary {text} in {windows:#?}");
        }
    }
}

#[tokio::test]
async fn bulk_windows_run_one_job_per_window_and_delete_them_all() {
    let org = org(1_200, 10_000).await;
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let options = PlanOptions {
        partitions: 3,
        bulk_windows: true,
        window_min_rows: 1,
        ..PlanOptions::default()
    };
    let plan = plan(&session, &options).await;
    assert_eq!((plan.partition_count(), plan.windows()), (3, 3));
    assert_eq!(plan.min_api_calls(), 2 + 3 * 4);
    assert!(bulk_creates(&org).is_empty(), "planning runs no job");

    let partitions = ids_per_partition(&plan).await;
    let expected: HashSet<String> = org_rows(&org, "Account").into_keys().collect();
    assert_each_once(&partitions, &expected, "bulkv2 windows");

    let creates = bulk_creates(&org);
    assert_eq!(creates.len(), 3, "one job per window");
    for c in &creates {
        let soql = c.soql.as_deref().unwrap_or_default();
        assert!(soql.contains("SystemModstamp"), "{soql}");
    }
    let spans = soql_requests(&org)
        .into_iter()
        .filter(|s| s.starts_with(SPAN_QUERY))
        .count();
    assert_eq!(spans, 1);
    drop(plan);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while count(&org, "DELETE") < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(count(&org, "DELETE"), 3, "every window's job deleted");
    assert_eq!(count(&org, "PATCH"), 0, "no job aborted");
}

#[tokio::test]
async fn a_limit_reads_one_cursor_without_windows() {
    let org = org(300, 10_000).await;
    for api in [ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&connection(&org, api)).await.unwrap();
        org.clear_requests();
        let query = session
            .query_for("Account")
            .await
            .unwrap()
            .columns(["Id"])
            .limit(Some(10));
        let plan = session.plan_with(&query, &options(4)).await.unwrap();
        assert_eq!((plan.partition_count(), plan.windows()), (1, 0), "{api}");
        let partitions = ids_per_partition(&plan).await;
        assert_eq!(partitions.concat().len(), 10);
        assert_eq!(
            soql_requests(&org),
            ["SELECT Id FROM Account LIMIT 10"],
            "{api}"
        );
    }
}

#[tokio::test]
async fn rows_sharing_one_stamp_are_read_by_one_window() {
    let org = org(200, 10_000).await;
    let rows = org_rows(&org, "Account");
    let (id, _) = rows.iter().next().unwrap();
    let at = stamp(&org, id);
    let filter = format!("SystemModstamp = {}", soql::Literal::datetime(at));
    let expected: HashSet<String> = rows
        .keys()
        .filter(|i| stamp(&org, i) == at)
        .cloned()
        .collect();
    let session = Session::connect(&with_filter(&org, ApiType::Rest, &filter))
        .await
        .unwrap();
    org.clear_requests();
    let plan = plan(&session, &options(4)).await;
    assert_eq!(plan.partition_count(), 4);
    let partitions = ids_per_partition(&plan).await;
    assert_each_once(&partitions, &expected, "one stamp");
    assert!(partitions[1..].iter().all(Vec::is_empty));
    assert_eq!(plan.window_boundaries(), Some(vec![]));
    let sent = soql_requests(&org);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(sent[0].starts_with(SPAN_QUERY));
    assert_eq!(
        sent[1],
        format!("SELECT Id, Name FROM Account WHERE {filter}")
    );
}

/// Three rows stamped one millisecond apart, four partitions: the boundaries sit exactly on
/// the rows' stamps, and each row is read once (by the window it opens).
#[tokio::test]
async fn rows_on_a_boundary_are_read_once_and_spare_partitions_are_empty() {
    let org = org(200, 10_000).await;
    let mut ids: Vec<String> = org_rows(&org, "Account").into_keys().collect();
    ids.sort();
    let mut picked = None;
    for chunk in ids.chunks(3).take(50) {
        for id in chunk {
            org.update("Account", id, &[("Rating", Value::Text("Hot".into()))])
                .unwrap();
        }
        let stamps: Vec<_> = chunk.iter().map(|id| stamp(&org, id)).collect();
        let ms: Vec<i64> = stamps.iter().map(DateTime::timestamp_millis).collect();
        if ms.len() == 3 && ms[1] == ms[0] + 1 && ms[2] == ms[0] + 2 {
            picked = Some((chunk.to_vec(), stamps));
            break;
        }
    }
    let (picked, stamps) = picked.expect("three updates within consecutive milliseconds");
    let list: Vec<String> = picked.iter().map(|id| format!("'{id}'")).collect();
    let filter = format!("Id IN ({})", list.join(", "));
    for api in [ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&with_filter(&org, api, &filter))
            .await
            .unwrap();
        let plan = plan(&session, &options(4)).await;
        let partitions = ids_per_partition(&plan).await;
        let expected: HashSet<String> = picked.iter().cloned().collect();
        assert_each_once(&partitions, &expected, &api.to_string());
        assert_eq!(
            plan.window_boundaries(),
            Some(vec![stamps[1], stamps[2]]),
            "{api}"
        );
        // Partition 0 reads its window (the first row) and then the rows from the span's MAX
        // on (the third, stamped exactly MAX); the last window (`>= MAX AND < MAX`) is
        // empty.
        let sizes: Vec<usize> = partitions.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 1, 0, 0], "{api}");
    }
}

/// The bug this guards against: the Bulk job's creation ran inside whichever partition
/// polled first; dropping that partition dropped the creation, and the next partition
/// created (and the scan later aborted) a second job.
#[tokio::test]
async fn a_dropped_partition_does_not_create_a_second_job() {
    let org = EmulatedOrg::builder()
        .rows(400)
        .seed(7)
        .bulk_polls_in_progress(12)
        .start()
        .await
        .unwrap();
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let plan = plan(&session, &options(4)).await;
    let first = plan.open(0).unwrap();
    // The partition's task creates the job and polls it (12 polls `InProgress`, at least
    // ~0.5 s with the fast retry policy): drop the partition as soon as the job exists.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while bulk_creates(&org).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no job created");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(
        !org.requests().iter().any(|r| r.path.contains("/results")),
        "the job is not finished yet"
    );
    let others: Vec<_> = (1..4).map(|i| plan.open(i).unwrap()).collect();
    drop(first);
    let mut rows = 0;
    for s in others {
        let batches: Vec<_> = s.map(|b| b.expect("partition reads")).collect().await;
        rows += batches.iter().map(|b| b.num_rows()).sum::<usize>();
    }
    assert_eq!(bulk_creates(&org).len(), 1, "one job for the whole plan");
    assert_eq!(count(&org, "PATCH"), 0, "the job was not aborted");
    assert!(rows > 0);
    let job = plan.job_id().expect("the job finished").to_string();
    drop(plan);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while count(&org, "DELETE") == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        org.requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with(&job)),
        "job {job} deleted after use"
    );
}

/// Every stream dropped while the plan lives on (as a `SoqlScanExec` keeps it): the job is
/// aborted, and reading the plan again is an error rather than a second job.
#[tokio::test]
async fn dropping_every_stream_aborts_the_job_even_while_the_plan_lives() {
    let org = EmulatedOrg::builder()
        .rows(100)
        .seed(7)
        .bulk_polls_in_progress(1_000)
        .start()
        .await
        .unwrap();
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let plan = plan(&session, &options(2)).await;
    let mut streams: Vec<_> = (0..2).map(|i| plan.open(i).unwrap()).collect();
    let pending = tokio::time::timeout(Duration::from_millis(200), streams[0].next()).await;
    assert!(pending.is_err(), "the job is still running");
    drop(streams);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while count(&org, "PATCH") == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(count(&org, "PATCH"), 1, "job aborted");
    let again = plan.open(0).unwrap().next().await;
    let message = match again {
        Some(Err(e)) => e.to_string(),
        other => panic!("expected an error, got {other:?}"),
    };
    assert!(message.contains("plan the query again"), "{message}");
    assert_eq!(bulk_creates(&org).len(), 1, "no second job");
}

/// Changed rows move past the span's MAX, so they are asked only after every other window's
/// query was answered: a row changed mid-scan then shows there whenever its old window had
/// already lost it.
#[tokio::test]
async fn the_changed_rows_are_asked_after_the_other_windows_were_answered() {
    let org = org(600, 10_000).await;
    for api in [ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&connection(&org, api)).await.unwrap();
        org.faults().slow_pages(Duration::from_millis(150));
        org.clear_requests();
        let plan = plan(&session, &options(4)).await;
        let partitions = ids_per_partition(&plan).await;
        let expected: HashSet<String> = org_rows(&org, "Account").into_keys().collect();
        assert_each_once(&partitions, &expected, &api.to_string());
        let windows: Vec<String> = soql_requests(&org)
            .into_iter()
            .filter(|s| s.contains("SystemModstamp") && !s.contains("MIN("))
            .collect();
        assert_eq!(windows.len(), 5, "{api}: {windows:#?}");
        assert!(
            windows[4].contains("SystemModstamp >= ") && !windows[4].contains("SystemModstamp < "),
            "{api}: the changed rows were asked last: {windows:#?}"
        );
        org.faults().clear();
    }
}

/// `queryAll` plans ask the span with `queryAll` too: rows in the recycle bin (their
/// `SystemModstamp` moved when deleted) fall in a window like any other.
#[tokio::test]
async fn deleted_rows_are_windowed_with_query_all() {
    let org = org(300, 10_000).await;
    let victim = org_rows(&org, "Account").into_keys().next().unwrap();
    org.delete("Account", &victim).unwrap();
    let all: HashSet<String> = org
        .records("Account")
        .unwrap()
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    for api in [ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&connection(&org, api)).await.unwrap();
        org.clear_requests();
        let query = sfdf_connector::SoqlQuery::new("Account")
            .columns(["Id", "IsDeleted"])
            .include_deleted(true);
        let plan = session.plan_with(&query, &options(3)).await.unwrap();
        assert_eq!(plan.windows(), 3);
        let partitions = ids_per_partition(&plan).await;
        assert_each_once(&partitions, &all, &api.to_string());
        assert!(partitions.iter().flatten().any(|id| *id == victim), "{api}");
        if api == ApiType::Rest {
            let paths: Vec<String> = org
                .requests()
                .into_iter()
                .filter(|r| r.soql.is_some())
                .map(|r| r.path)
                .collect();
            assert_eq!(paths.len(), 5, "{paths:?}");
            assert!(paths.iter().all(|p| p.ends_with("/queryAll")), "{paths:?}");
        }
    }
}

#[tokio::test]
async fn a_filter_matching_no_row_reads_one_empty_window() {
    let org = org(100, 10_000).await;
    let session = Session::connect(&with_filter(
        &org,
        ApiType::Rest,
        "Name = 'no such account'",
    ))
    .await
    .unwrap();
    org.clear_requests();
    let plan = plan(&session, &options(4)).await;
    let partitions = ids_per_partition(&plan).await;
    assert!(partitions.iter().all(Vec::is_empty));
    assert_eq!(plan.window_boundaries(), Some(vec![]));
    let sent = soql_requests(&org);
    assert_eq!(sent.len(), 2, "the aggregate and one query: {sent:#?}");
    assert_eq!(
        sent[1],
        "SELECT Id, Name FROM Account WHERE Name = 'no such account'"
    );
}

/// The changed rows (read by the first partition) wait only for windows that were opened:
/// a reader of the first partition alone is not held back.
#[tokio::test]
async fn the_first_partition_read_alone_does_not_wait() {
    let org = org(400, 10_000).await;
    let session = Session::connect(&connection(&org, ApiType::Rest))
        .await
        .unwrap();
    let plan = plan(&session, &options(4)).await;
    let stream = plan.open(0).unwrap();
    let batches: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.collect::<Vec<_>>())
        .await
        .expect("the first partition is read without the others");
    let bounds = plan.window_boundaries().expect("boundaries known");
    assert_eq!(bounds.len(), 3);
    let got: HashSet<String> = batches
        .iter()
        .flat_map(|b| {
            let b = b.as_ref().expect("partition reads");
            let ids = b.column(0).as_string::<i32>();
            (0..b.num_rows())
                .map(|i| ids.value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // Its window, and the rows from the span's MAX on (the newest).
    let rows = org_rows(&org, "Account");
    let max = rows.keys().map(|id| stamp(&org, id)).max().expect("rows");
    let expected: HashSet<String> = rows
        .into_keys()
        .filter(|id| stamp(&org, id) < bounds[0] || stamp(&org, id) >= max)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

/// Windows make each query longer (two bounds): a query that would pass Salesforce's
/// 100,000 characters only once windowed is refused at plan time, before anything is sent.
#[tokio::test]
async fn a_query_too_long_once_windowed_is_refused_at_plan_time() {
    let org = org(50, 10_000).await;
    let base = "SELECT Id, Name FROM Account WHERE ".len();
    let condition = format!("Name != '{}'", "z".repeat(3_900));
    let mut parts = vec![condition.clone(); 25];
    let used = base + parts.iter().map(|p| p.len() + 5).sum::<usize>() - 5;
    // Pad with one shorter condition to end ~40 characters under the limit.
    let pad = 100_000 - used - 5 - 40 - "Name != ''".len();
    parts.push(format!("Name != '{}'", "y".repeat(pad)));
    let filter = parts.join(" AND ");
    let session = Session::connect(&with_filter(&org, ApiType::Rest, &filter))
        .await
        .unwrap();
    org.clear_requests();
    let one = plan(&session, &options(1)).await;
    assert!(one.soql().chars().count() <= 100_000);
    let query = session
        .query_for("Account")
        .await
        .unwrap()
        .columns(["Id", "Name"]);
    let e = session
        .plan_with(&query, &options(4))
        .await
        .expect_err("windowed query too long")
        .to_string();
    assert!(e.contains("100,000"), "{e}");
    assert!(soql_requests(&org).is_empty(), "nothing sent");
}

/// Each window's Bulk job belongs to its partition: dropping the streams (Ctrl-C) aborts
/// and deletes every running one.
#[tokio::test]
async fn dropping_windowed_bulk_streams_aborts_every_job() {
    let org = EmulatedOrg::builder()
        .rows(200)
        .seed(7)
        .bulk_polls_in_progress(1_000)
        .start()
        .await
        .unwrap();
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let options = PlanOptions {
        partitions: 3,
        bulk_windows: true,
        window_min_rows: 1,
        ..PlanOptions::default()
    };
    let plan = plan(&session, &options).await;
    let streams: Vec<_> = (0..3).map(|i| plan.open(i).unwrap()).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while bulk_creates(&org).len() < 3 {
        assert!(std::time::Instant::now() < deadline, "three jobs created");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(streams);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while (count(&org, "PATCH") < 3 || count(&org, "DELETE") < 3)
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bulk_creates(&org).len(), 3);
    assert_eq!(count(&org, "PATCH"), 3, "every running job aborted");
    assert_eq!(count(&org, "DELETE"), 3, "every job deleted");
    drop(plan);
}

/// A row changed after the span was asked has left its window (its SystemModstamp is past
/// the span's MAX, which also ends the last window): the query of changed rows returns it,
/// once, with its new values.
#[tokio::test]
async fn a_row_changed_after_the_span_was_asked_is_read_with_its_new_values() {
    let org = org(300, 10_000).await;
    for (n, api) in [ApiType::Rest, ApiType::Soap].into_iter().enumerate() {
        let session = Session::connect(&connection(&org, api)).await.unwrap();
        let plan = plan(&session, &options(4)).await;
        plan.prepare().await.unwrap();
        let bounds = plan.window_boundaries().expect("boundaries known");
        let victim = org_rows(&org, "Account")
            .into_keys()
            .find(|id| stamp(&org, id) < bounds[0])
            .expect("a row of the first window");
        let name = format!("Renamed mid-scan {n}");
        org.update("Account", &victim, &[("Name", Value::Text(name.clone()))])
            .unwrap();
        let streams: Vec<_> = (0..4).map(|i| plan.open(i).unwrap()).collect();
        let mut seen = Vec::new();
        for s in streams {
            let batches: Vec<_> = s.map(|b| b.expect("partition reads")).collect().await;
            for b in &batches {
                let ids = b.column(0).as_string::<i32>();
                let names = b.column(1).as_string::<i32>();
                for i in 0..b.num_rows() {
                    seen.push((ids.value(i).to_string(), names.value(i).to_string()));
                }
            }
        }
        let expected: HashSet<String> = org_rows(&org, "Account").into_keys().collect();
        let ids: Vec<&String> = seen.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), expected.len(), "{api}: each row once");
        assert_eq!(
            ids.into_iter().cloned().collect::<HashSet<_>>(),
            expected,
            "{api}"
        );
        let got = seen.iter().find(|(id, _)| *id == victim).map(|(_, n)| n);
        assert_eq!(got, Some(&name), "{api}: the new values");
    }
}

#[tokio::test]
async fn objects_too_small_to_fill_windows_are_read_with_one_query() {
    let org = org(1_500, 10_000).await;
    let expected: HashSet<String> = org_rows(&org, "Account").into_keys().collect();
    assert!(
        expected.len() < 2 * 2000,
        "fewer rows than two windows of 2,000 fill"
    );
    for api in [ApiType::Rest, ApiType::Soap] {
        let session = Session::connect(&connection(&org, api)).await.unwrap();
        org.clear_requests();
        // Default options: a window should hold at least a page (2,000 rows).
        let plan = plan(&session, &PlanOptions::default()).await;
        assert_eq!(
            plan.windows(),
            4,
            "{api}: planned before the rows are known"
        );
        let partitions = ids_per_partition(&plan).await;
        assert_each_once(&partitions, &expected, &format!("{api}"));
        let soql = soql_requests(&org);
        assert_eq!(soql[0], SPAN_QUERY, "{api}");
        let reads: Vec<&String> = soql[1..].iter().collect();
        assert!(
            !reads.is_empty() && reads.iter().all(|q| !q.contains("SystemModstamp")),
            "{api}: one unbounded query and its next pages, no windows: {reads:?}"
        );
        assert!(
            reads.iter().all(|q| *q == reads[0]),
            "{api}: a single query: {reads:?}"
        );
    }
}
