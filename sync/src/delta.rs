//! Every use of the `deltalake` crate in sfdf: one small layer over a Delta table in a local
//! folder.
//!
//! * [`DeltaDir::open`] — the table in a folder, if there is one: its version, its
//!   properties, the version of an application transaction ([`DeltaDir::app_version`]) and
//!   its rows as a DataFusion [`TableProvider`] ([`DeltaDir::provider`]).
//! * [`DeltaDir::overwrite`], [`DeltaDir::append`] — write a [`DataFrame`] as ONE new
//!   version. The frame is executed while it is written: data files go to storage as the
//!   rows arrive (a frame over [`stream_frame`] reads a stream once), so memory does not grow
//!   with the data. Nothing is visible until the commit; a write that fails or is killed
//!   leaves only unreferenced files (see [`DeltaDir::orphan_files`]).
//! * [`DeltaDir::upsert`] — merge a frame by a key column: matched rows are updated (only when
//!   a version column differs, when one is given), new rows inserted, rows whose delete flag
//!   is true removed.
//! * [`Commit`] — what goes into the same commit as the data: an application transaction
//!   (`txn`: app id and version, e.g. a sync checkpoint) and, for a new table, properties.
//!   [`DeltaDir::set_properties`] changes the properties of an existing table (one commit of
//!   its own).
//!
//! Column types are Delta's: [`delta_schema`] says how Arrow types are stored (timestamps as
//! microseconds in UTC, times of day as text).
//!
//! **File layout.** Every write (overwrite, append, merge, delete) closes its data files at
//! the table's `delta.targetFileSize` ([`TARGET_FILE_SIZE`] in the tables it creates) and
//! flushes Parquet row groups at [`ROW_GROUP_BYTES`]. Both bound
//! what a sync costs:
//! * memory: a Parquet writer holds its whole open row group; deltalake's default (1,048,576
//!   rows) is hundreds of MiB for a wide object, and the peak grew with it;
//! * a merge: deltalake rewrites the whole of every file holding a matched row, and skips the
//!   files whose `Id` range (from the files' statistics) misses the changed rows. Rows arrive
//!   in `Id` order (the order Bulk result pages and cursors return them in), so `Id` ranges
//!   of files barely overlap and recently created records, the ones that change most, sit in
//!   the last few files: smaller files mean fewer bytes rewritten when the changes cluster,
//!   at the price of more files to list and open when reading.

use std::collections::HashMap;
use std::ops::Not;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::scalar::ScalarValue;
use deltalake::DeltaTable;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::kernel::{Action, Transaction};
use deltalake::operations::write::SchemaMode;
use deltalake::parquet::basic::Compression;
use deltalake::parquet::file::properties::WriterProperties;
use deltalake::protocol::{DeltaOperation, SaveMode};

/// The size at which a write closes a data file and starts the next (see "File layout"
/// above), recorded in every table this layer creates as [`FILE_SIZE_PROPERTY`], which
/// deltalake's merge and other Delta writers (e.g. `OPTIMIZE`) follow. A table whose
/// property says otherwise is written with its own size.
pub const TARGET_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Delta's table property for the data file size writers aim at.
pub const FILE_SIZE_PROPERTY: &str = "delta.targetFileSize";

/// The estimated encoded size at which a Parquet row group is flushed: what one open file
/// holds in memory (see "File layout" above).
pub const ROW_GROUP_BYTES: usize = 4 * 1024 * 1024;

/// How every write of this layer writes Parquet: snappy (deltalake's own default), row groups
/// bounded by [`ROW_GROUP_BYTES`].
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .build()
}

/// Errors of the Delta layer: the folder and what failed.
#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    /// A Delta operation failed.
    #[error("Delta table {path}: {action} failed: {cause}")]
    Delta {
        /// The table's folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause (its text is in the message: not a `source()`).
        cause: Box<deltalake::DeltaTableError>,
    },
    /// Planning or running the frame failed (the frame's own error, e.g. an extraction's).
    #[error("Delta table {path}: {action} failed: {cause}")]
    DataFusion {
        /// The table's folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause (its text is in the message: not a `source()`).
        cause: Box<DataFusionError>,
    },
    /// The folder cannot be used.
    #[error("Delta table {path}: {message}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// Result of the Delta layer.
pub type Result<T> = std::result::Result<T, DeltaError>;

/// What a commit records besides the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commit {
    /// Application transactions (`txn` actions): app id and version each. Readers get them
    /// back with [`DeltaDir::app_version`]; they are committed with the data or not at all.
    pub txns: Vec<(String, i64)>,
    /// Table properties (`metaData.configuration`) of a table this write creates (as an
    /// empty version 0 before the data's); an existing table's properties are changed with
    /// [`DeltaDir::set_properties`].
    pub properties: HashMap<String, String>,
}

impl Commit {
    fn commit_properties(&self) -> CommitProperties {
        CommitProperties::default().with_application_transactions(
            self.txns
                .iter()
                .map(|(app, version)| Transaction::new(app, *version))
                .collect(),
        )
    }
}

/// Rows a merge changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    /// Rows inserted.
    pub inserted: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows deleted.
    pub deleted: u64,
}

/// A folder that holds (or will hold) one Delta table.
#[derive(Debug, Clone)]
pub struct DeltaDir {
    path: PathBuf,
    table: DeltaTable,
}

impl DeltaDir {
    /// The table in `path` (created on the first write when there is none yet).
    pub async fn open(path: &Path) -> Result<DeltaDir> {
        std::fs::create_dir_all(path).map_err(|e| DeltaError::Folder {
            path: path.to_path_buf(),
            message: format!("cannot create the folder: {e}"),
        })?;
        let absolute = std::fs::canonicalize(path).map_err(|e| DeltaError::Folder {
            path: path.to_path_buf(),
            message: format!("cannot resolve the folder: {e}"),
        })?;
        let url = url::Url::from_directory_path(&absolute).map_err(|()| DeltaError::Folder {
            path: path.to_path_buf(),
            message: "is not a valid local path".into(),
        })?;
        let table = if absolute.join("_delta_log").is_dir() {
            DeltaTable::try_from_url(url)
                .await
                .map_err(|source| delta_err(path, "opening", source))?
        } else {
            // No table yet (loading would only log an error): the first write creates it.
            deltalake::DeltaTableBuilder::from_url(url)
                .and_then(|b| b.build())
                .map_err(|source| delta_err(path, "opening", source))?
        };
        Ok(DeltaDir {
            path: path.to_path_buf(),
            table,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a table exists (at least one commit).
    pub fn exists(&self) -> bool {
        self.table.version().is_some()
    }

    /// The table's version, `None` before the first commit.
    pub fn version(&self) -> Option<u64> {
        self.table.version()
    }

    /// The table's properties (empty without a table).
    pub fn properties(&self) -> HashMap<String, String> {
        let Ok(snapshot) = self.table.snapshot() else {
            return HashMap::new();
        };
        snapshot.metadata().configuration().clone()
    }

    /// The size at which writes close a data file: the table's `delta.targetFileSize` when
    /// it has one (every table this layer creates does), else [`TARGET_FILE_SIZE`].
    pub fn target_file_size(&self) -> u64 {
        self.properties()
            .get(FILE_SIZE_PROPERTY)
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(TARGET_FILE_SIZE)
    }

    /// The table's Arrow schema, `None` without a table.
    pub fn schema(&self) -> Option<SchemaRef> {
        let snapshot = self.table.snapshot().ok()?;
        Some(snapshot.snapshot().arrow_schema())
    }

    /// The version of application transaction `app_id` as last committed, if ever.
    pub async fn app_version(&self, app_id: &str) -> Result<Option<i64>> {
        let Ok(snapshot) = self.table.snapshot() else {
            return Ok(None);
        };
        snapshot
            .transaction_version(self.table.log_store().as_ref(), app_id)
            .await
            .map_err(|source| delta_err(&self.path, "reading the transaction version", source))
    }

    /// The table's current version as a DataFusion table. Registers the table's storage
    /// with `ctx` so that scans find its files.
    pub async fn provider(&self, ctx: &SessionContext) -> Result<Arc<dyn TableProvider>> {
        self.table
            .update_datafusion_session(&ctx.state())
            .map_err(|source| delta_err(&self.path, "registering the table's storage", source))?;
        self.table
            .table_provider()
            .await
            .map_err(|source| df_err(&self.path, "opening as a table", source))
    }

    /// Replaces the table's rows with `frame` in one new version (creates the table).
    /// Returns the new version.
    pub async fn overwrite(&mut self, frame: DataFrame, commit: &Commit) -> Result<u64> {
        self.write(frame, SaveMode::Overwrite, commit).await
    }

    /// Adds the rows of `frame` in one new version (creates the table). Returns the new
    /// version.
    pub async fn append(&mut self, frame: DataFrame, commit: &Commit) -> Result<u64> {
        self.write(frame, SaveMode::Append, commit).await
    }

    async fn write(&mut self, frame: DataFrame, mode: SaveMode, commit: &Commit) -> Result<u64> {
        let frame = to_delta_types(frame).map_err(|e| df_err(&self.path, "planning", e))?;
        if !self.exists() {
            self.create(frame.schema().as_arrow(), &commit.properties)
                .await?;
        }
        // The plan runs in deltalake's own session (it adds planners of its own); a frame
        // over `stream_frame` carries its source in the plan.
        let (_, plan) = frame.into_parts();
        let mut builder = self
            .table
            .clone()
            .write(Vec::new())
            .with_input_plan(plan)
            .with_save_mode(mode)
            .with_target_file_size(std::num::NonZeroU64::new(self.target_file_size()))
            .with_writer_properties(writer_properties())
            .with_commit_properties(commit.commit_properties());
        if mode == SaveMode::Overwrite {
            // A new field list replaces the columns.
            builder = builder.with_schema_mode(SchemaMode::Overwrite);
        }
        let table = builder
            .await
            .map_err(|source| delta_err(&self.path, "writing", source))?;
        self.table = table;
        Ok(self.table.version().unwrap_or(0))
    }

    /// Creates the table, empty, with `schema` and `properties` (a version of its own:
    /// deltalake's write accepts only Delta's own properties when it creates a table).
    async fn create(
        &mut self,
        schema: &Schema,
        properties: &HashMap<String, String>,
    ) -> Result<()> {
        use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
        let delta_schema: deltalake::kernel::StructType = delta_schema(schema)
            .as_ref()
            .try_into_kernel()
            .map_err(|e| delta_err(&self.path, "creating", e.into()))?;
        let table = self
            .table
            .create()
            .with_columns(delta_schema.fields().cloned())
            .with_configuration(
                properties
                    .iter()
                    .map(|(k, v)| (k.clone(), Some(v.clone())))
                    .chain((!properties.contains_key(FILE_SIZE_PROPERTY)).then(|| {
                        (
                            FILE_SIZE_PROPERTY.to_string(),
                            Some(TARGET_FILE_SIZE.to_string()),
                        )
                    })),
            )
            .with_raise_if_key_not_exists(false)
            .await
            .map_err(|source| delta_err(&self.path, "creating", source))?;
        self.table = table;
        Ok(())
    }

    /// Merges `source` by `key`: a source row whose `delete_flag` column is true removes the
    /// table's row; else it updates the matched row (only when `version_column` differs, if
    /// given, so re-merging the same rows changes nothing) or is inserted. The source must
    /// hold each key at most once and every column of the table (it may hold more: the
    /// delete flag need not be a column of the table). One new version; with nothing to
    /// change and no transaction to record, no version is written.
    pub async fn upsert(
        &mut self,
        source: DataFrame,
        key: &str,
        delete_flag: Option<&str>,
        version_column: Option<&str>,
        commit: &Commit,
    ) -> Result<MergeCounts> {
        let source = to_delta_types(source).map_err(|e| df_err(&self.path, "planning", e))?;
        let Some(schema) = self.schema() else {
            // No table yet: every row not deleted is new.
            let rows = match delete_flag {
                Some(flag) => source
                    .filter(deleted(flag).not())
                    .map_err(|e| df_err(&self.path, "planning", e))?,
                None => source,
            };
            let columns: Vec<Expr> = rows
                .schema()
                .fields()
                .iter()
                .filter(|f| Some(f.name().as_str()) != delete_flag)
                .map(|f| qcol(None, f.name()))
                .collect();
            let rows = rows
                .select(columns)
                .map_err(|e| df_err(&self.path, "planning", e))?;
            let ctx = SessionContext::new();
            let before = self.count_rows(&ctx).await?;
            self.append(rows, commit).await?;
            let inserted = self.count_rows(&ctx).await? - before;
            return Ok(MergeCounts {
                inserted,
                ..Default::default()
            });
        };
        let on = qcol(Some("t"), key).eq(qcol(Some("s"), key));
        let is_deleted = |q| {
            delete_flag
                .map(|flag| Expr::Column(datafusion::common::Column::new(Some(q), flag)).is_true())
        };
        let mut merge = self
            .table
            .clone()
            .merge(source, on)
            .with_source_alias("s")
            .with_target_alias("t")
            .with_writer_properties(writer_properties())
            .with_commit_properties(commit.commit_properties());
        let changed = version_column.map(|v| {
            datafusion::logical_expr::binary_expr(
                qcol(Some("t"), v),
                datafusion::logical_expr::Operator::IsDistinctFrom,
                qcol(Some("s"), v),
            )
        });
        if let Some(flag_true) = is_deleted("s") {
            merge = merge
                .when_matched_delete(|d| d.predicate(flag_true.clone()))
                .map_err(|source| delta_err(&self.path, "planning the merge", source))?;
        }
        let not_deleted = is_deleted("s").map(|e| e.not());
        let update_when = match (&not_deleted, &changed) {
            (Some(a), Some(b)) => Some(a.clone().and(b.clone())),
            (Some(a), None) => Some(a.clone()),
            (None, Some(b)) => Some(b.clone()),
            (None, None) => None,
        };
        let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        merge = merge
            .when_matched_update(|mut u| {
                if let Some(p) = update_when.clone() {
                    u = u.predicate(p);
                }
                for c in &columns {
                    u = u.update(column(None, c), qcol(Some("s"), c));
                }
                u
            })
            .map_err(|source| delta_err(&self.path, "planning the merge", source))?
            .when_not_matched_insert(|mut i| {
                if let Some(p) = not_deleted.clone() {
                    i = i.predicate(p);
                }
                for c in &columns {
                    i = i.set(column(None, c), qcol(Some("s"), c));
                }
                i
            })
            .map_err(|source| delta_err(&self.path, "planning the merge", source))?;
        let (table, metrics) = merge
            .await
            .map_err(|source| delta_err(&self.path, "merging", source))?;
        self.table = table;
        Ok(MergeCounts {
            inserted: metrics.num_target_rows_inserted as u64,
            updated: metrics.num_target_rows_updated as u64,
            deleted: metrics.num_target_rows_deleted as u64,
        })
    }

    /// Removes the rows whose `key` is in `keys` (one new version; none when no row matches).
    pub async fn delete_keys(
        &mut self,
        key: &str,
        keys: &[String],
        commit: &Commit,
    ) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        let list: Vec<Expr> = keys
            .iter()
            .map(|k| Expr::Literal(ScalarValue::Utf8(Some(k.clone())), None))
            .collect();
        let (table, metrics) = self
            .table
            .clone()
            .delete()
            .with_predicate(column_expr(key).in_list(list, false))
            .with_writer_properties(writer_properties())
            .with_commit_properties(commit.commit_properties())
            .await
            .map_err(|source| delta_err(&self.path, "deleting", source))?;
        self.table = table;
        Ok(metrics.num_deleted_rows.unwrap_or(0) as u64)
    }

    /// Records `commit`'s transactions alone (a version with no data change): a checkpoint
    /// that moved while no row did.
    pub async fn commit_txn(&mut self, commit: &Commit) -> Result<()> {
        if commit.txns.is_empty() {
            return Ok(());
        }
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_err(&self.path, "recording the transaction", source))?;
        let actions = commit
            .txns
            .iter()
            .map(|(app, version)| Action::Txn(Transaction::new(app, *version)))
            .collect();
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: None,
            predicate: None,
        };
        deltalake::kernel::transaction::CommitBuilder::default()
            .with_actions(actions)
            .build(Some(snapshot), self.table.log_store(), operation)
            .await
            .map_err(|source| delta_err(&self.path, "recording the transaction", source))?;
        self.table
            .update_state()
            .await
            .map_err(|source| delta_err(&self.path, "reloading", source))
    }

    /// Rows in the table's current version (0 without a table).
    pub async fn count_rows(&self, ctx: &SessionContext) -> Result<u64> {
        if !self.exists() {
            return Ok(0);
        }
        let provider = self.provider(ctx).await?;
        let frame = ctx
            .read_table(provider)
            .map_err(|e| df_err(&self.path, "counting", e))?;
        let n = frame
            .count()
            .await
            .map_err(|e| df_err(&self.path, "counting", e))?;
        Ok(n as u64)
    }

    /// Sets table properties (one commit of its own).
    pub async fn set_properties(&mut self, properties: HashMap<String, String>) -> Result<()> {
        let table = self
            .table
            .clone()
            .set_tbl_properties()
            .with_properties(properties)
            .with_raise_if_not_exists(false)
            .await
            .map_err(|source| delta_err(&self.path, "setting properties", source))?;
        self.table = table;
        Ok(())
    }

    /// Data files in the folder that no version of the table refers to: left by a write
    /// that failed or was killed before its commit. Readers never see them.
    pub fn orphan_files(&self) -> Result<Vec<PathBuf>> {
        let referenced: std::collections::HashSet<String> = match self.table.get_file_uris() {
            Ok(uris) => uris.collect(),
            Err(_) => Default::default(),
        };
        let mut orphans = Vec::new();
        let entries = std::fs::read_dir(&self.path).map_err(|e| DeltaError::Folder {
            path: self.path.clone(),
            message: format!("cannot list the folder: {e}"),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "parquet") {
                let name = path.to_string_lossy().to_string();
                if !referenced
                    .iter()
                    .any(|u| u.ends_with(&*entry.file_name().to_string_lossy()))
                {
                    orphans.push(PathBuf::from(name));
                }
            }
        }
        Ok(orphans)
    }
}

/// A column of the unqualified frame, name as written (no case folding).
fn column_expr(name: &str) -> Expr {
    Expr::Column(datafusion::common::Column::new_unqualified(name))
}

fn qcol(relation: Option<&str>, name: &str) -> Expr {
    Expr::Column(datafusion::common::Column::new(relation, name))
}

fn column(relation: Option<&str>, name: &str) -> datafusion::common::Column {
    datafusion::common::Column::new(relation, name)
}

fn deleted(flag: &str) -> Expr {
    column_expr(flag).is_true()
}

/// How a column of this Arrow type is stored in Delta: timestamps as microseconds in UTC,
/// times of day as text (`HH:MM:SS.fff`); every other type as it is.
pub fn delta_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Timestamp(_, Some(_)) => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        DataType::Timestamp(_, None) => DataType::Timestamp(TimeUnit::Microsecond, None),
        DataType::Time32(_) | DataType::Time64(_) => DataType::Utf8,
        other => other.clone(),
    }
}

/// The schema a frame of `schema` is stored with (see [`delta_type`]).
pub fn delta_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), delta_type(f.data_type()), f.is_nullable()))
            .collect::<Vec<_>>(),
    ))
}

/// Casts the columns Delta has no type for (see [`delta_type`]).
fn to_delta_types(frame: DataFrame) -> datafusion::error::Result<DataFrame> {
    let schema = frame.schema().as_arrow().clone();
    if schema
        .fields()
        .iter()
        .all(|f| delta_type(f.data_type()) == *f.data_type())
    {
        return Ok(frame);
    }
    let columns: Vec<Expr> = schema
        .fields()
        .iter()
        .map(|f| {
            let c = column_expr(f.name());
            let to = delta_type(f.data_type());
            if to == *f.data_type() {
                c
            } else {
                datafusion::logical_expr::cast(c, to).alias(f.name())
            }
        })
        .collect();
    frame.select(columns)
}

/// A frame that reads `stream` once: the source of a streaming [`DeltaDir::overwrite`].
pub fn stream_frame(ctx: &SessionContext, stream: SendableRecordBatchStream) -> Result<DataFrame> {
    let schema = stream.schema();
    let once = OnceStream {
        schema: Arc::clone(&schema),
        stream: Mutex::new(Some(stream)),
    };
    let table = StreamingTable::try_new(schema, vec![Arc::new(once)])
        .map_err(|e| df_err(Path::new("."), "planning", e))?;
    ctx.read_table(Arc::new(table))
        .map_err(|e| df_err(Path::new("."), "planning", e))
}

struct OnceStream {
    schema: SchemaRef,
    stream: Mutex<Option<SendableRecordBatchStream>>,
}

impl std::fmt::Debug for OnceStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnceStream")
            .field("schema", &self.schema)
            .finish()
    }
}

impl PartitionStream for OnceStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self.stream.lock().ok().and_then(|mut s| s.take());
        match taken {
            Some(stream) => stream,
            None => Box::pin(RecordBatchStreamAdapter::new(
                Arc::clone(&self.schema),
                futures::stream::once(async {
                    Err(DataFusionError::Execution(
                        "a streamed source can be read only once".into(),
                    ))
                }),
            )),
        }
    }
}

fn delta_err(path: &Path, action: &'static str, source: deltalake::DeltaTableError) -> DeltaError {
    DeltaError::Delta {
        path: path.to_path_buf(),
        action,
        cause: Box::new(source),
    }
}

fn df_err(path: &Path, action: &'static str, source: DataFusionError) -> DeltaError {
    DeltaError::DataFusion {
        path: path.to_path_buf(),
        action,
        cause: Box::new(source),
    }
}
