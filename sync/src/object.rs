//! Syncing one object: choose the mode, extract, commit data and checkpoint together.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration as ChronoDuration, SubsecRound, Utc};
use datafusion::arrow::array::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use sfdf_connector::{ExtractPlan, PlanOptions, Session, SoqlQuery};

use crate::delta::{self, Commit, DeltaDir, MergeCounts};
use crate::report::{Mode, ObjectReport};
use crate::state::{Source, SyncCount, from_version, to_version};
use crate::{SyncOptions, budget, reconcile, source, table_dir};

/// Fields every synced table holds besides the configured ones (appended when missing and
/// the object has them): the key, the checkpoint fields and the delete flag.
pub(crate) const KEY: &str = "Id";
const DELETED: &str = "IsDeleted";
const CHECKPOINT_FIELDS: [&str; 2] = ["SystemModstamp", "LastModifiedDate"];

/// Rows per record batch of a sync's extraction. Between the extraction and the Parquet
/// writers, deltalake keeps up to ten batches in flight per stage; at a wide object's
/// ~700 bytes a row, DataFusion's 8,192 rows make that ~100 MiB, a quarter of this 2,048.
/// Measured (sync bench, 1M Accounts): peak RSS of a full sync from ~310 MiB to ~175 MiB
/// together with smaller row groups, at no cost in time.
const BATCH_ROWS: usize = 2048;

/// Syncs one object into `<target>/<developer name>/<object>/`. Never panics; a failure is
/// in [`ObjectReport::error`] and leaves the table at its previous version.
pub async fn sync_object(session: &Session, object: &str, options: &SyncOptions) -> ObjectReport {
    let started = Instant::now();
    let calls_before = session.calls_made();
    let mut run = Run {
        report: ObjectReport {
            object: object.to_string(),
            table: String::new(),
            mode: Mode::Full,
            reason: None,
            fallback: None,
            reconcile: None,
            rows_read: 0,
            inserted: 0,
            updated: 0,
            deleted: 0,
            api_calls: 0,
            bytes: 0,
            seconds: 0.0,
            version: None,
            checkpoint: None,
            error: None,
        },
    };
    if let Err(e) = run.go(session, object, options).await {
        run.report.error = Some(e);
    }
    run.report.api_calls = session.calls_made() - calls_before;
    run.report.seconds = started.elapsed().as_secs_f64();
    run.report
}

pub(crate) struct Run {
    pub(crate) report: ObjectReport,
}

impl Run {
    async fn go(
        &mut self,
        session: &Session,
        object: &str,
        options: &SyncOptions,
    ) -> Result<(), String> {
        if let Some(why) = budget::spent(session) {
            return Err(why);
        }
        let base = session.query_for(object).await.map_err(|e| e.to_string())?;
        let described = session.describe(object).await.map_err(|e| e.to_string())?;
        let object = described.name.clone();
        self.report.object = object.clone();
        let has = |f: &str| described.field(f).is_some();
        let checkpoint_field = CHECKPOINT_FIELDS
            .iter()
            .find(|f| has(f))
            .map(|f| f.to_string());
        self.report.fallback = match checkpoint_field.as_deref() {
            Some(f) if f == CHECKPOINT_FIELDS[0] => None,
            Some(f) => Some(format!("no SystemModstamp: checkpoint on {f}")),
            None => Some("no SystemModstamp or LastModifiedDate: every sync is full".into()),
        };
        let mut fields = base.columns.clone();
        for extra in [Some(KEY), checkpoint_field.as_deref(), Some(DELETED)]
            .into_iter()
            .flatten()
        {
            if has(extra) && !fields.iter().any(|f| f.eq_ignore_ascii_case(extra)) {
                fields.push(extra.to_string());
            }
        }
        let query = base.clone().columns(fields.clone());
        let connection = session.connection();
        let settings = connection.sync_settings();
        let plan_options = PlanOptions {
            partitions: settings.concurrency,
            batch_size: BATCH_ROWS,
            ..options.plan.clone()
        };
        let source = Source {
            connection: connection.developer_name().to_string(),
            object: object.clone(),
            api_type: connection.api_type().to_string(),
            api_version: connection.api_version().to_string(),
            fields,
            filter: connection.object(&object).and_then(|s| s.filter.clone()),
            checkpoint_field: checkpoint_field.clone(),
        };
        let dir_path = table_dir(&options.target, &source.connection, &object);
        self.report.table = dir_path.display().to_string();
        let mut dir = DeltaDir::open(&dir_path).await.map_err(|e| e.to_string())?;
        self.report.version = dir.version();
        let app_id = source.checkpoint_app_id();
        let checkpoint = match dir.app_version(&app_id).await.map_err(|e| e.to_string())? {
            Some(v) => from_version(v),
            None => None,
        };
        self.report.checkpoint = checkpoint.map(|c| c.to_rfc3339());
        let full_reason = if !dir.exists() {
            Some("first sync".to_string())
        } else if options.full {
            Some("--full".to_string())
        } else if let Some(change) = source.change_from(&dir.properties()) {
            Some(change)
        } else if checkpoint_field.is_none() {
            Some(format!(
                "{object} has no SystemModstamp or LastModifiedDate"
            ))
        } else if checkpoint.is_none() {
            Some("the table has no checkpoint".to_string())
        } else {
            None
        };
        let syncs = SyncCount::read(&dir_path);
        match (full_reason, checkpoint, checkpoint_field.as_deref()) {
            (None, Some(checkpoint), Some(field)) => {
                self.report.mode = Mode::Incremental;
                self.incremental(
                    session,
                    &mut dir,
                    &query,
                    &source,
                    field,
                    checkpoint,
                    options,
                    &plan_options,
                )
                .await?;
                // Every Nth sync reconciles (`sync.reconcile_every`), besides --reconcile.
                let due = settings
                    .reconcile_every
                    .is_some_and(|n| syncs.since_reconcile + 1 >= u64::from(n.get()));
                if options.reconcile || due {
                    reconcile::run(self, session, &mut dir, &base, &source, options).await?;
                }
            }
            (reason, _, _) => {
                self.report.mode = Mode::Full;
                self.report.reason = reason;
                self.full(session, &mut dir, &query, &source, options, &plan_options)
                    .await?;
                if options.reconcile {
                    // A full sync read every row the org has: nothing is left to find.
                    self.report.reconcile = Some("not needed after a full sync".into());
                }
            }
        }
        self.report.version = dir.version();
        let recorded = dir.properties();
        let wanted = source.properties();
        // Only sfdf's own properties: the table also holds Delta's (`delta.*`).
        if wanted.iter().any(|(k, v)| recorded.get(k) != Some(v)) {
            // A table whose properties are still the old ones after a kill here gets a
            // full sync next time: harmless.
            dir.set_properties(wanted)
                .await
                .map_err(|e| e.to_string())?;
        }
        // Killed before this, the next sync counts one sync fewer: harmless.
        let since_reconcile = if self.report.mode == Mode::Full || self.report.reconcile.is_some() {
            0
        } else {
            syncs.since_reconcile + 1
        };
        SyncCount { since_reconcile }
            .write(&dir_path)
            .map_err(|e| format!("{object}: {e}"))?;
        Ok(())
    }

    async fn full(
        &mut self,
        session: &Session,
        dir: &mut DeltaDir,
        query: &SoqlQuery,
        source: &Source,
        options: &SyncOptions,
        plan_options: &PlanOptions,
    ) -> Result<(), String> {
        let start = Utc::now();
        let plan = session
            .plan_with(query, plan_options)
            .await
            .map_err(|e| e.to_string())?;
        let (stream, seen) = source::read(&plan, watch(session, &plan, options));
        let ctx = SessionContext::new();
        let frame = delta::stream_frame(&ctx, stream).map_err(|e| e.to_string())?;
        // The checkpoint and the reconcile point: the moment the extraction started (see
        // docs/sync.md, "Checkpoints", for why not the newest stamp read).
        let mut txns = vec![(source.reconcile_app_id(), to_version(start))];
        if source.checkpoint_field.is_some() {
            txns.push((source.checkpoint_app_id(), to_version(start)));
        }
        let commit = Commit {
            txns,
            properties: source.properties(),
        };
        let written = dir.overwrite(frame, &commit).await;
        self.report.bytes += plan.bytes_read();
        let rows = seen.lock().map(|s| s.rows).unwrap_or(0);
        self.report.rows_read += rows;
        if let Err(e) = written {
            return Err(extraction_error(&seen).unwrap_or_else(|| e.to_string()));
        }
        self.report.inserted = rows;
        if source.checkpoint_field.is_some() {
            self.report.checkpoint = Some(start.to_rfc3339());
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn incremental(
        &mut self,
        session: &Session,
        dir: &mut DeltaDir,
        query: &SoqlQuery,
        source: &Source,
        field: &str,
        checkpoint: DateTime<Utc>,
        options: &SyncOptions,
        plan_options: &PlanOptions,
    ) -> Result<(), String> {
        let start = Utc::now();
        let since = before(checkpoint, options.lookback).trunc_subsecs(0);
        let condition = soql::parse_where(&format!(
            "{field} >= {}",
            since.format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .map_err(|e| format!("internal: checkpoint condition: {e}"))?;
        let query = query.clone().and_filter(condition).include_deleted(true);
        let plan = session
            .plan_with(&query, plan_options)
            .await
            .map_err(|e| e.to_string())?;
        let batches = collect(&plan, watch(session, &plan, options)).await;
        self.report.bytes += plan.bytes_read();
        let batches = batches?;
        self.report.rows_read += batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        // The new checkpoint: the newest stamp seen, but no later than this extraction's
        // start (a row changed while the cursor ran may carry a later stamp than one read
        // before it changed).
        let newest = batches
            .iter()
            .filter_map(|b| source::newest_stamp(b, field))
            .max()
            .and_then(DateTime::from_timestamp_millis);
        let next = match newest {
            Some(n) => checkpoint.max(n.min(start)),
            None => checkpoint,
        };
        let ctx = SessionContext::new();
        let changes = effective_changes(&ctx, dir, plan.schema(), batches, field)
            .await
            .map_err(|e| e.to_string())?;
        let commit = Commit {
            txns: vec![(source.checkpoint_app_id(), to_version(next))],
            properties: Default::default(),
        };
        let changed_rows: usize = changes.iter().map(|b| b.num_rows()).sum();
        if changed_rows == 0 {
            if next > checkpoint {
                dir.commit_txn(&commit).await.map_err(|e| e.to_string())?;
            }
        } else {
            let schema = changes[0].schema();
            let table = MemTable::try_new(schema, vec![changes]).map_err(|e| e.to_string())?;
            let frame = ctx.read_table(Arc::new(table)).map_err(|e| e.to_string())?;
            let flag = dir_has_flag(&plan).then_some(DELETED);
            let counts: MergeCounts = dir
                .upsert(frame, KEY, flag, None, &commit)
                .await
                .map_err(|e| e.to_string())?;
            self.report.inserted += counts.inserted;
            self.report.updated += counts.updated;
            self.report.deleted += counts.deleted;
        }
        self.report.checkpoint = Some(next.to_rfc3339());
        Ok(())
    }
}

/// `at` minus `lookback`, clamped to the earliest time.
pub(crate) fn before(at: DateTime<Utc>, lookback: std::time::Duration) -> DateTime<Utc> {
    let lookback = ChronoDuration::from_std(lookback).unwrap_or(ChronoDuration::MAX);
    at.checked_sub_signed(lookback)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn dir_has_flag(plan: &ExtractPlan) -> bool {
    plan.schema().field_with_name(DELETED).is_ok()
}

/// What to watch while `plan` is read: progress to the options' callback, the newest
/// `stamp`, and the connection's API budget.
pub(crate) fn watch(session: &Session, plan: &ExtractPlan, options: &SyncOptions) -> source::Watch {
    let on_batch = options.progress.clone().map(|progress| {
        let plan = plan.clone();
        let session = session.clone();
        let calls_before = session.calls_made();
        let object = plan.query().object.clone();
        Box::new(move |rows| {
            (progress.0)(&crate::Progress {
                object: object.clone(),
                rows,
                bytes: plan.bytes_read(),
                api_calls: session.calls_made() - calls_before,
            })
        }) as source::OnBatch
    });
    source::Watch {
        on_batch,
        stop: budget::stop_when(session),
    }
}

/// Reads a whole plan into memory (an incremental sync's changes, an Id list).
pub(crate) async fn collect(
    plan: &ExtractPlan,
    watch: source::Watch,
) -> Result<Vec<RecordBatch>, String> {
    let (stream, seen) = source::read(plan, watch);
    match stream.try_collect().await {
        Ok(b) => Ok(b),
        Err(e) => Err(extraction_error(&seen).unwrap_or_else(|| e.to_string())),
    }
}

fn extraction_error(seen: &source::SeenRef) -> Option<String> {
    seen.lock().ok()?.error.clone()
}

/// The rows of an incremental extraction that change the table: the newest version of each
/// Id (a row changed mid-scan may come twice), without those the table already holds with
/// the same stamp and without deletions of rows it does not hold.
async fn effective_changes(
    ctx: &SessionContext,
    dir: &DeltaDir,
    schema: datafusion::arrow::datatypes::SchemaRef,
    batches: Vec<RecordBatch>,
    field: &str,
) -> datafusion::error::Result<Vec<RecordBatch>> {
    let table = MemTable::try_new(Arc::clone(&schema), vec![batches])?;
    ctx.register_table("extracted", Arc::new(table))?;
    let provider = dir
        .provider(ctx)
        .await
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    ctx.register_table("synced", provider)?;
    let has_flag = schema.field_with_name(DELETED).is_ok();
    let (deleted, kept) = if has_flag {
        (format!(r#"e."{DELETED}""#), format!(r#"NOT e."{DELETED}""#))
    } else {
        ("FALSE".to_string(), "TRUE".to_string())
    };
    let sql = format!(
        r#"WITH latest AS (
             SELECT * EXCLUDE (sfdf_rank) FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY "{KEY}" ORDER BY "{field}" DESC) AS sfdf_rank
               FROM extracted) r
             WHERE sfdf_rank = 1)
           SELECT e.* FROM latest e LEFT JOIN synced s ON e."{KEY}" = s."{KEY}"
           WHERE ({deleted} AND s."{KEY}" IS NOT NULL)
              OR ({kept} AND (s."{KEY}" IS NULL
                  OR s."{field}" IS DISTINCT FROM e."{field}"))"#
    );
    let frame = ctx.sql(&sql).await?;
    frame.collect().await
}
