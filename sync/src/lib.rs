//! `sfdf-sync`: copies of a Salesforce org's objects as Delta tables, full or incremental,
//! with the checkpoint in the same commit as the data.
//!
//! * [`delta`] — the one layer over the `deltalake` crate: open a table as a DataFusion
//!   `TableProvider`, overwrite, append, upsert by key, properties, `txn` versions.
//! * [`sync`] — sync a connection's objects into `<target>/<developer name>/<object>/`
//!   ([`table_dir`]), one [`ObjectReport`] per object.
//! * [`register_synced`] — the synced tables as SQL tables under the live tables' names.
//!
//! How a sync decides and what it commits is told in `docs/sync.md`.
#![warn(missing_docs)]

mod budget;
pub mod delta;
mod object;
mod reconcile;
mod report;
mod serve;
mod source;
pub mod state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sfdf_connector::{PlanOptions, Session};

pub use object::sync_object;
pub use report::{Mode, ObjectReport};
pub use serve::register_synced;

/// Where synced tables go unless `--target` says otherwise: `$SFDF_SYNC_DIR`, else
/// `$HOME/.local/share/sfdf/sync`, else `./sfdf-sync`.
pub fn default_target() -> PathBuf {
    if let Some(dir) = std::env::var_os("SFDF_SYNC_DIR") {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/sfdf/sync"),
        None => PathBuf::from("sfdf-sync"),
    }
}

/// The folder of one object's table: `<target>/<developer_name>/<object>/`.
pub fn table_dir(target: &Path, developer_name: &str, object: &str) -> PathBuf {
    target.join(developer_name).join(object)
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The folder that holds one folder per connection.
    pub target: PathBuf,
    /// Objects to sync; empty: every object the connection selects (`objects:`).
    pub objects: Vec<String>,
    /// Full sync even where an incremental one would do.
    pub full: bool,
    /// After an incremental sync, remove rows the org no longer has (hard deletes, purged
    /// recycle bin): getDeleted within its window, else an Id comparison (see
    /// `docs/sync.md`). The connection's `sync.reconcile_every` also asks for it.
    pub reconcile: bool,
    /// How far before the checkpoint an incremental sync reads again (late commits and
    /// clock differences).
    pub lookback: Duration,
    /// Extraction tuning (windows, batch size); the partitions read at once are the
    /// connection's `sync.concurrency`.
    pub plan: PlanOptions,
    /// Told how each object's extraction advances (e.g. to draw a progress bar).
    pub progress: Option<ProgressFn>,
}

/// How far one object's extraction got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The object.
    pub object: String,
    /// Rows read so far.
    pub rows: u64,
    /// Bytes of response bodies so far.
    pub bytes: u64,
    /// API calls so far (for this object).
    pub api_calls: u64,
}

/// A callback told of [`Progress`] after every batch.
#[derive(Clone)]
pub struct ProgressFn(pub std::sync::Arc<dyn Fn(&Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn")
    }
}

impl SyncOptions {
    /// Default options with tables under `target`.
    pub fn new(target: impl Into<PathBuf>) -> Self {
        SyncOptions {
            target: target.into(),
            objects: Vec::new(),
            full: false,
            reconcile: false,
            lookback: DEFAULT_LOOKBACK,
            plan: PlanOptions::default(),
            progress: None,
        }
    }
}

/// The default lookback: 5 minutes.
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(300);

/// The objects a sync covers: those named, else the connection's selection.
pub fn objects_to_sync(session: &Session, options: &SyncOptions) -> Result<Vec<String>, String> {
    if !options.objects.is_empty() {
        return Ok(options.objects.clone());
    }
    match session.connection().objects() {
        Some(list) if !list.is_empty() => Ok(list.iter().map(|o| o.name.clone()).collect()),
        _ => Err(format!(
            "connection `{}` selects no objects: add an `objects:` list to the connection file, or name objects with --object",
            session.connection().developer_name()
        )),
    }
}

/// Syncs each object in turn; an object that fails (a limit crossed, an API error) keeps
/// its previous version and the others go on. One report per object, in order.
pub async fn sync(session: &Session, options: &SyncOptions) -> Result<Vec<ObjectReport>, String> {
    let objects = objects_to_sync(session, options)?;
    let mut reports = Vec::with_capacity(objects.len());
    for object in objects {
        reports.push(sync_object(session, &object, options).await);
    }
    Ok(reports)
}
