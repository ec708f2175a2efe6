//! Reconcile: remove the table's rows the org deleted in a way `queryAll` no longer shows
//! (hard deletes, a purged recycle bin).
//!
//! Within getDeleted's window (Salesforce keeps about 15 days of its delete log) one
//! `getDeleted` call since the table's reconcile point tells the deleted Ids. Beyond it (no
//! reconcile point, a point older than the window, or a log purged after the point), and
//! for an object with a sync filter (rows that leave the filter are not deleted, only an Id
//! comparison finds them), one Id-only extraction and an anti-join against the table.
//! Either way the deletions and the new reconcile point are one commit.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use datafusion::arrow::array::{AsArray, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use sfdf_connector::{DeletedRecords, Session, SoqlQuery};

use crate::SyncOptions;
use crate::delta::{Commit, DeltaDir};
use crate::object::{KEY, Run, before, collect, watch};
use crate::state::{Source, from_version, to_version};

/// How far back Salesforce answers getDeleted (`INVALID_REPLICATION_DATE` beyond).
const GET_DELETED_DAYS: i64 = 15;
/// Kept clear of that edge: the org's clock and ours may differ.
const EDGE: Duration = Duration::hours(1);

/// Reconciles the table in `dir` (after a sync of it) and says how in the report.
pub(crate) async fn run(
    run: &mut Run,
    session: &Session,
    dir: &mut DeltaDir,
    base: &SoqlQuery,
    source: &Source,
    options: &SyncOptions,
) -> Result<(), String> {
    if !dir.exists() {
        return Ok(());
    }
    let app = source.reconcile_app_id();
    let point = dir
        .app_version(&app)
        .await
        .map_err(|e| e.to_string())?
        .and_then(from_version);
    let now = Utc::now();
    let start = point.map(|p| minute(before(p, options.lookback)));
    // Where getDeleted can answer from, or why it cannot.
    let get_deleted_from = if source.filter.is_some() {
        Err("the object has a sync filter: rows that leave it are found only by Id".to_string())
    } else {
        match start {
            None => Err("the table has no reconcile point yet".to_string()),
            Some(s) if s < now - Duration::days(GET_DELETED_DAYS) + EDGE => Err(format!(
                "the last reconcile point, {}, is beyond getDeleted's {GET_DELETED_DAYS} days",
                s.to_rfc3339()
            )),
            Some(s) => Ok(s),
        }
    };
    let why_compare_ids = match get_deleted_from {
        Ok(start) => {
            // `end` a minute ahead: Salesforce truncates it to the minute and answers up to
            // now; `latestDateCovered` says how far the answer reaches.
            let answer = session
                .deleted_records(&source.object, start, now + Duration::minutes(1))
                .await
                .map_err(|e| e.to_string())?;
            if answer.earliest_date_available <= start {
                let deleted = by_delete_log(dir, source, &answer, &app).await?;
                run.report.deleted += deleted;
                run.report.reconcile = Some(format!(
                    "getDeleted since {}, {deleted} removed",
                    start.format("%Y-%m-%d %H:%M UTC")
                ));
                return Ok(());
            }
            format!(
                "the org's delete log starts at {}, after the last reconcile point {}",
                answer.earliest_date_available.to_rfc3339(),
                start.to_rfc3339()
            )
        }
        Err(why) => why,
    };
    let deleted = by_id_comparison(session, dir, base, options, &app).await?;
    run.report.deleted += deleted;
    run.report.reconcile = Some(format!(
        "Id comparison, {deleted} removed ({why_compare_ids})"
    ));
    Ok(())
}

fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(1)).unwrap_or(t)
}

/// Removes the rows getDeleted reports, unless the table's copy is newer than the delete
/// (deleted, then undeleted and synced again). Returns the rows removed.
async fn by_delete_log(
    dir: &mut DeltaDir,
    source: &Source,
    answer: &DeletedRecords,
    app: &str,
) -> Result<u64, String> {
    let commit = Commit {
        txns: vec![(app.to_string(), to_version(answer.latest_date_covered))],
        properties: Default::default(),
    };
    let ids: Vec<String> = answer.records.iter().map(|r| r.id.clone()).collect();
    let times: Vec<i64> = answer
        .records
        .iter()
        .map(|r| r.deleted_date.timestamp_micros())
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new(
            "deleted_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC")),
        ],
    )
    .map_err(|e| e.to_string())?;
    let ctx = SessionContext::new();
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(|e| e.to_string())?;
    ctx.register_table("deleted_log", Arc::new(table))
        .map_err(|e| e.to_string())?;
    let newer = match &source.checkpoint_field {
        Some(field) => format!(r#" AND s."{field}" <= d.deleted_at"#),
        None => String::new(),
    };
    let gone = ids_of(
        dir,
        &ctx,
        &format!(r#"SELECT s."{KEY}" FROM synced s JOIN deleted_log d ON s."{KEY}" = d.id{newer}"#),
    )
    .await?;
    remove(dir, gone, &commit).await
}

/// Removes the rows whose Id one Id-only extraction does not return. Returns the rows
/// removed.
async fn by_id_comparison(
    session: &Session,
    dir: &mut DeltaDir,
    base: &SoqlQuery,
    options: &SyncOptions,
    app: &str,
) -> Result<u64, String> {
    // Rows deleted after this moment may still be read: the next reconcile looks from here.
    let start = Utc::now();
    let query = base.clone().columns([KEY]);
    let plan = session.plan(&query).await.map_err(|e| e.to_string())?;
    let ids = collect(&plan, watch(session, &plan, options)).await?;
    let ctx = SessionContext::new();
    let table = MemTable::try_new(plan.schema(), vec![ids]).map_err(|e| e.to_string())?;
    ctx.register_table("org_ids", Arc::new(table))
        .map_err(|e| e.to_string())?;
    let gone = ids_of(
        dir,
        &ctx,
        &format!(
            r#"SELECT s."{KEY}" FROM synced s LEFT ANTI JOIN org_ids o ON s."{KEY}" = o."{KEY}""#
        ),
    )
    .await?;
    let commit = Commit {
        txns: vec![(app.to_string(), to_version(start))],
        properties: Default::default(),
    };
    remove(dir, gone, &commit).await
}

/// The Ids a query over the table (`synced`) returns.
async fn ids_of(dir: &DeltaDir, ctx: &SessionContext, sql: &str) -> Result<Vec<String>, String> {
    let provider = dir.provider(ctx).await.map_err(|e| e.to_string())?;
    ctx.register_table("synced", provider)
        .map_err(|e| e.to_string())?;
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|e| e.to_string())?
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for batch in &batches {
        // Parquet scans may give strings as views.
        let column = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8)
            .map_err(|e| e.to_string())?;
        let column = column.as_string::<i32>();
        ids.extend(column.iter().flatten().map(str::to_string));
    }
    Ok(ids)
}

/// Deletes `ids` with the reconcile point in the same commit (the point alone when there is
/// nothing to delete).
async fn remove(dir: &mut DeltaDir, ids: Vec<String>, commit: &Commit) -> Result<u64, String> {
    if ids.is_empty() {
        dir.commit_txn(commit).await.map_err(|e| e.to_string())?;
        return Ok(0);
    }
    dir.delete_keys(KEY, &ids, commit)
        .await
        .map_err(|e| e.to_string())
}
