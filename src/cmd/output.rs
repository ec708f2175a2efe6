//! Writing query results: a table for people, CSV / JSON lines / Parquet for programs.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use futures::StreamExt;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// An aligned text table (collects the whole result first).
    #[default]
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON lines: one object per row.
    Json,
    /// Apache Parquet (needs --output).
    Parquet,
}

/// Where results go: standard output or a file.
#[derive(Debug, Clone, Default)]
pub struct Destination {
    /// A file path; `None` means standard output.
    pub path: Option<PathBuf>,
}

impl Destination {
    fn open(&self) -> anyhow::Result<Box<dyn Write + Send>> {
        Ok(match &self.path {
            Some(path) => Box::new(BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            None => Box::new(BufWriter::new(io::stdout())),
        })
    }
}

/// Streams `stream` to `destination` in `format`; returns the number of rows written.
pub async fn write(
    mut stream: SendableRecordBatchStream,
    format: Format,
    destination: &Destination,
) -> anyhow::Result<usize> {
    let schema = stream.schema();
    let mut rows = 0;
    if schema.fields().is_empty() && format != Format::Parquet {
        // `SET`, `CREATE VIEW` and the like answer with no columns: nothing to print.
        while let Some(batch) = stream.next().await {
            batch.map_err(super::plain)?;
        }
        return Ok(0);
    }
    match format {
        Format::Table => {
            let mut batches = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::plain)?;
                rows += batch.num_rows();
                batches.push(batch);
            }
            let mut out = destination.open()?;
            if batches.is_empty() {
                batches.push(RecordBatch::new_empty(schema));
            }
            writeln!(out, "{}", pretty_format_batches(&batches)?)?;
            out.flush()?;
        }
        Format::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(destination.open()?);
            // An empty result still gets its header row.
            let mut wrote_any = false;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::plain)?;
                rows += batch.num_rows();
                writer.write(&batch)?;
                wrote_any = true;
            }
            if !wrote_any {
                writer.write(&RecordBatch::new_empty(schema))?;
            }
            writer.into_inner().flush()?;
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(destination.open()?);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::plain)?;
                rows += batch.num_rows();
                writer.write(&batch)?;
            }
            writer.finish()?;
            writer.into_inner().flush()?;
        }
        Format::Parquet => {
            let Some(path) = &destination.path else {
                bail!("--format parquet needs --output PATH (Parquet is a binary file format)");
            };
            rows = write_parquet(stream, schema, path).await?;
        }
    }
    Ok(rows)
}

async fn write_parquet(
    mut stream: SendableRecordBatchStream,
    schema: SchemaRef,
    path: &Path,
) -> anyhow::Result<usize> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, schema, None)?;
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(super::plain)?;
        rows += batch.num_rows();
        writer.write(&batch)?;
    }
    writer.close()?;
    Ok(rows)
}
