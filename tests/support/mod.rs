//! Shared set-up: an emulated org, a connection to it, a SQL session over it.

use std::io::Read;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use sfdf_connector::provider::{ContextBuilder, sql};
use sfdf_connector::{ApiType, Connection};
use sfdf_emulator::{Api, EmulatedOrg, Value};

/// A small org: fast to generate, big enough for every object to have rows.
pub(crate) async fn org(rows: usize) -> EmulatedOrg {
    EmulatedOrg::builder()
        .rows(rows)
        .seed(11)
        .start()
        .await
        .expect("emulated org starts")
}

pub(crate) fn connection(org: &EmulatedOrg) -> Connection {
    connection_for(org, ApiType::default())
}

/// A connection to the org that extracts through `api`.
pub(crate) fn connection_for(org: &EmulatedOrg, api: ApiType) -> Connection {
    sfdf_testkit::connection(org)
        .developer_name("demo")
        .api_type(api)
        .build()
        .expect("valid connection")
}

pub(crate) async fn context(org: &EmulatedOrg) -> SessionContext {
    context_for(org, ApiType::default()).await
}

/// A session with 2 partitions over the org, through `api`.
pub(crate) async fn context_for(org: &EmulatedOrg, api: ApiType) -> SessionContext {
    session_over(connection_for(org, api), 2).await
}

/// A session over one connection with `partitions` target partitions.
pub(crate) async fn session_over(connection: Connection, partitions: usize) -> SessionContext {
    ContextBuilder::new()
        .target_partitions(Some(partitions))
        .connection(connection)
        .build()
        .await
        .expect("session over the emulated org")
}

/// The API that carries a small query (a pushed count, aggregate or top-N) of a connection of
/// `api`: Bulk API 2.0 runs no aggregates and a small top-N costs one REST call, so a
/// `bulkv2` connection sends them through REST; SOAP connections stay on SOAP.
pub(crate) fn small_query_api(api: ApiType) -> Api {
    if api == ApiType::Soap {
        Api::Soap
    } else {
        Api::Rest
    }
}

/// Every SOQL the org received since the last call, with the API that carried it.
pub(crate) fn sent(org: &EmulatedOrg) -> Vec<(Api, String)> {
    let soql = org
        .requests()
        .into_iter()
        .filter_map(|r| Some((r.api, r.soql?)))
        .collect();
    org.clear_requests();
    soql
}

pub(crate) async fn query(ctx: &SessionContext, text: &str) -> Vec<RecordBatch> {
    match sql(ctx, text).await {
        Ok(frame) => frame
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{text}: {e}")),
        Err(e) => panic!("{text}: {e}"),
    }
}

/// Column `name` of every batch as text (null = `None`).
pub(crate) fn texts(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for batch in batches {
        let column = batch
            .column_by_name(name)
            .unwrap_or_else(|| panic!("no column {name}"));
        let column = cast(column, &DataType::Utf8).expect("castable to text");
        let strings = column.as_string::<i32>();
        out.extend(
            (0..strings.len()).map(|i| strings.is_valid(i).then(|| strings.value(i).to_owned())),
        );
    }
    out
}

pub(crate) fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// The SOQL of every Bulk query job the org was asked to create, in order.
pub(crate) fn bulk_soql(org: &EmulatedOrg) -> Vec<String> {
    org.requests()
        .into_iter()
        .filter(|r| r.api == Api::Bulk && r.method == "POST")
        .filter_map(|r| r.soql)
        .collect()
}

/// Runs `command` (its standard error piped) off the async runtime, so the emulated org keeps
/// answering: `reader` plays the other end (takes or drops the child's stdout and stdin,
/// sends it signals), then the child's standard error is read to the end and the child
/// waited for. Returns how it ended and what it wrote to standard error.
pub(crate) async fn run_with_reader(
    mut command: Command,
    reader: impl FnOnce(&mut Child) + Send + 'static,
) -> (ExitStatus, String) {
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("starts");
        reader(&mut child);
        let mut err = String::new();
        child
            .stderr
            .take()
            .expect("stderr piped")
            .read_to_string(&mut err)
            .expect("reads stderr");
        (child.wait().expect("ends"), err)
    })
    .await
    .expect("joins")
}

/// Waits (at most 10 s) until the org has seen a Bulk query job deleted. A scan's Bulk job
/// is deleted by a task of its own once its stream ends: a fault set up before that DELETE
/// may meet it instead of the request it was meant for.
pub(crate) async fn bulk_job_deleted(org: &EmulatedOrg) {
    for _ in 0..200 {
        let deleted = org
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.contains("/jobs/query/"));
        if deleted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the reference scan's Bulk job was never deleted");
}

/// Waits until `check` holds, for at most five seconds.
pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The records a plain query sees: the recycle bin's soft-deleted rows only show with
/// `queryAll`.
pub(crate) use sfdf_testkit::live_records as live;

/// A field of an emulated record as text, the way Arrow prints it.
pub(crate) fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Date(d) => Some(d.to_string()),
        other => Some(format!("{other:?}")),
    }
}
