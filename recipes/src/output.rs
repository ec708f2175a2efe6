//! Writing an output atomically. A CSV or Parquet file is written to a hidden temporary
//! file beside the target, which replaces the target only once it is complete; a failed run
//! removes its temporary file and leaves the previous output as it was. A Delta output is
//! one commit (through `sfdf-sync`'s Delta layer): until it succeeds, readers see the
//! previous version.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use datafusion::arrow::csv::WriterBuilder;
use datafusion::dataframe::DataFrame;
use datafusion::parquet::arrow::ArrowWriter;
use futures::StreamExt;

use datafusion::prelude::SessionContext;
use sfdf_sync::delta::{Commit, DeltaDir};

use crate::error::{Error, Result};
use crate::model::{Format, WriteMode};

/// Rows written to a Delta table, and what an upsert did.
pub(crate) struct DeltaWritten {
    /// Rows written (an upsert: inserted plus updated).
    pub rows: u64,
    /// `3 inserted, 2 updated` for an upsert.
    pub detail: Option<String>,
}

/// Writes `frame` into the Delta table in folder `path` (created if missing) in one commit.
pub(crate) async fn write_delta(
    node: &str,
    frame: DataFrame,
    path: &Path,
    mode: WriteMode,
    key: Option<&str>,
) -> Result<DeltaWritten> {
    let fail = |e: &dyn std::fmt::Display| Error::Write {
        node: node.to_owned(),
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut table = DeltaDir::open(path).await.map_err(|e| fail(&e))?;
    let ctx = SessionContext::new();
    let commit = Commit::default();
    match (mode, key) {
        (WriteMode::Upsert, Some(key)) => {
            let counts = table
                .upsert(frame, key, None, None, &commit)
                .await
                .map_err(|e| fail(&e))?;
            Ok(DeltaWritten {
                rows: counts.inserted + counts.updated,
                detail: Some(format!(
                    "{} inserted, {} updated",
                    counts.inserted, counts.updated
                )),
            })
        }
        (WriteMode::Upsert, None) => Err(fail(&"an upsert needs `key`")),
        (WriteMode::Append, _) => {
            let before = table.count_rows(&ctx).await.map_err(|e| fail(&e))?;
            table.append(frame, &commit).await.map_err(|e| fail(&e))?;
            let after = table.count_rows(&ctx).await.map_err(|e| fail(&e))?;
            Ok(DeltaWritten {
                rows: after - before,
                detail: None,
            })
        }
        (WriteMode::Overwrite, _) => {
            table
                .overwrite(frame, &commit)
                .await
                .map_err(|e| fail(&e))?;
            let rows = table.count_rows(&ctx).await.map_err(|e| fail(&e))?;
            Ok(DeltaWritten { rows, detail: None })
        }
    }
}

/// Runs `frame` and writes its rows to `path`; returns the row count.
pub(crate) async fn write(
    node: &str,
    frame: DataFrame,
    path: &Path,
    format: Format,
) -> Result<u64> {
    let fail = |message: String| Error::Write {
        node: node.to_owned(),
        path: path.to_path_buf(),
        message,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| fail(format!("cannot create its folder: {e}")))?;
    }
    let temporary = temporary_sibling(path);
    let written = write_to(node, frame, &temporary, format).await;
    let rows = match written {
        Ok(rows) => rows,
        Err(error) => {
            // Best effort: the temporary file may not exist yet.
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
    };
    if let Err(e) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(format!("cannot replace the file: {e}")));
    }
    Ok(rows)
}

/// `dir/.name.sfdf-PID.tmp`: same folder (so the rename is atomic), hidden, per process.
fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    path.with_file_name(format!(".{name}.sfdf-{}.tmp", std::process::id()))
}

async fn write_to(node: &str, frame: DataFrame, path: &Path, format: Format) -> Result<u64> {
    let io = |e: &dyn std::fmt::Display| Error::Write {
        node: node.to_owned(),
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let run = |cause| Error::Run {
        node: node.to_owned(),
        cause,
    };
    let file = BufWriter::new(File::create(path).map_err(|e| io(&e))?);
    let mut stream = frame.execute_stream().await.map_err(run)?;
    let schema = stream.schema();
    let mut rows = 0u64;
    match format {
        Format::Csv => {
            let mut writer = WriterBuilder::new().with_header(true).build(file);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(run)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(|e| io(&e))?;
            }
            let mut file = writer.into_inner();
            std::io::Write::flush(&mut file).map_err(|e| io(&e))?;
            file.get_ref().sync_all().map_err(|e| io(&e))?;
        }
        Format::Parquet => {
            let mut writer = ArrowWriter::try_new(file, schema, None).map_err(|e| io(&e))?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(run)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(|e| io(&e))?;
            }
            let file = writer.into_inner().map_err(|e| io(&e))?;
            file.get_ref().sync_all().map_err(|e| io(&e))?;
        }
        Format::Delta => return Err(io(&"a Delta table is written by write_delta")),
    }
    Ok(rows)
}
