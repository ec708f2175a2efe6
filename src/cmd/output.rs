//! Writing results, for every command: a table for people, CSV / JSON / JSON lines /
//! Parquet for programs.
//!
//! A file is written to a temporary file in its folder and renamed over the target only
//! when the whole result is written: a query that fails half-way (or Ctrl-C) leaves an
//! existing file as it was, never a truncated one that looks valid.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub(crate) enum Format {
    /// An aligned text table (collects the whole result first); control characters in
    /// cells are shown escaped (`\t`, `\r`, `\n`).
    #[default]
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON array of objects; nulls are kept as `null`, decimals are strings.
    Json,
    /// JSON lines: one object per row (nulls and decimals as with `json`).
    Ndjson,
    /// Apache Parquet (needs --output).
    Parquet,
}

impl Format {
    /// The format a file name asks for: `.csv`, `.json`, `.ndjson`/`.jsonl`, `.parquet`;
    /// anything else is `None` (a text table).
    pub(crate) fn for_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => Format::Csv,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            "parquet" | "pq" => Format::Parquet,
            "txt" | "table" => Format::Table,
            _ => return None,
        })
    }
}

/// Where and how results go: the options every command shares.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct OutputArgs {
    /// How to write results (default: from the --output file's extension, else `table`).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write results to this file instead of standard output (written to a temporary file
    /// first and renamed when complete).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// At most this many rows in `table` format (the others are counted, not shown).
    #[arg(long)]
    pub maxrows: Option<usize>,
    /// Say nothing on standard error but errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

impl OutputArgs {
    /// The format: `--format`, else the output file's extension, else `table`.
    pub(crate) fn format(&self) -> Format {
        self.format
            .or_else(|| self.output.as_deref().and_then(Format::for_path))
            .unwrap_or_default()
    }

    /// Refuses what cannot work, before anything connects: Parquet to a terminal, an
    /// output file in a folder that does not exist.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if self.format() == Format::Parquet && self.output.is_none() {
            bail!("--format parquet needs --output PATH (Parquet is a binary file format)");
        }
        if let Some(path) = &self.output {
            let dir = folder_of(path);
            if !dir.is_dir() {
                bail!(
                    "cannot write {}: folder {} does not exist",
                    path.display(),
                    dir.display()
                );
            }
            if path.is_dir() {
                bail!("cannot write {}: it is a folder", path.display());
            }
        }
        Ok(())
    }

    /// Streams `stream` out; returns the number of rows written.
    pub(crate) async fn write(&self, stream: SendableRecordBatchStream) -> anyhow::Result<usize> {
        write(stream, self).await
    }

    /// Writes fixed batches (the listings of `objects`, `describe`, `connection test`).
    pub(crate) async fn write_batch(&self, batch: RecordBatch) -> anyhow::Result<usize> {
        let schema = batch.schema();
        let stream = futures::stream::iter([Ok(batch)]);
        self.write(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
            .await
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Standard output, or a temporary file renamed over the target by [`Sink::finish`].
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File {
        file: BufWriter<tempfile::NamedTempFile>,
        target: PathBuf,
    },
}

impl Sink {
    fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        Ok(match path {
            None => Sink::Stdout(BufWriter::new(io::stdout())),
            Some(target) => {
                let name = target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let temp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".partial")
                    .tempfile_in(folder_of(target))
                    .with_context(|| {
                        format!("cannot create a file next to {}", target.display())
                    })?;
                Sink::File {
                    file: BufWriter::new(temp),
                    target: target.to_path_buf(),
                }
            }
        })
    }

    /// Flushes; a file is renamed over its target only now, complete.
    fn finish(self) -> anyhow::Result<Option<PathBuf>> {
        match self {
            Sink::Stdout(mut out) => {
                out.flush()?;
                Ok(None)
            }
            Sink::File { file, target } => {
                let temp = file.into_inner().map_err(|e| e.into_error())?;
                temp.as_file().sync_all()?;
                temp.persist(&target)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(Some(target))
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf).inspect_err(note_closed_pipe),
            Sink::File { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush().inspect_err(note_closed_pipe),
            Sink::File { file, .. } => file.flush(),
        }
    }
}

/// Set once standard output's reader went away (`sfdf .. | head`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

fn note_closed_pipe(error: &io::Error) {
    if error.kind() == io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Whether `error` comes from writing to a standard output nobody reads any more: the
/// reader had what it wanted, so that is a quiet exit, not an error. The CSV writer turns
/// I/O errors into text, hence the flag next to the error chain.
pub(crate) fn is_closed_pipe(error: &anyhow::Error) -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
        || error.chain().any(|cause| {
            cause
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
        })
}

/// A line on standard output; a closed pipe is reported like any write error (see
/// [`is_closed_pipe`]), never a panic as with `println!`.
pub(crate) fn out_line(text: impl std::fmt::Display) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").inspect_err(note_closed_pipe)
}

/// Streams `stream` out as `args` says; returns the number of rows written.
async fn write(mut stream: SendableRecordBatchStream, args: &OutputArgs) -> anyhow::Result<usize> {
    let format = args.format();
    args.check()?;
    let schema = stream.schema();
    let mut rows = 0;
    if schema.fields().is_empty() {
        // `SET`, `CREATE VIEW` and the like answer with no columns: nothing to write.
        while let Some(batch) = stream.next().await {
            batch.map_err(super::sql::plain)?;
        }
        return Ok(0);
    }
    let mut sink = Sink::open(args.output.as_deref())?;
    match format {
        Format::Table => {
            let shown_max = args.maxrows.unwrap_or(usize::MAX);
            let mut shown = Vec::new();
            let mut kept = 0;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::sql::plain)?;
                rows += batch.num_rows();
                if kept < shown_max {
                    let take = batch.num_rows().min(shown_max - kept);
                    kept += take;
                    shown.push(printable(&batch.slice(0, take))?);
                }
            }
            if shown.is_empty() {
                shown.push(printable(&RecordBatch::new_empty(schema))?);
            }
            writeln!(sink, "{}", pretty_format_batches(&shown)?)?;
            if kept < rows && !args.quiet {
                eprintln!("{rows} rows, {kept} shown (--maxrows)");
            }
        }
        Format::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut sink);
            // An empty result still gets its header row.
            let mut wrote_any = false;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::sql::plain)?;
                rows += batch.num_rows();
                writer.write(&batch)?;
                wrote_any = true;
            }
            if !wrote_any {
                writer.write(&RecordBatch::new_empty(schema))?;
            }
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, datafusion::arrow::json::writer::JsonArray>(&mut sink);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::sql::plain)?;
                rows += batch.num_rows();
                writer.write(&decimals_as_text(&batch)?)?;
            }
            // An empty result is `[]`, not nothing.
            writer.finish()?;
            drop(writer);
            writeln!(sink)?;
        }
        Format::Ndjson => {
            let mut writer = datafusion::arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, datafusion::arrow::json::writer::LineDelimited>(&mut sink);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::sql::plain)?;
                rows += batch.num_rows();
                writer.write(&decimals_as_text(&batch)?)?;
            }
            writer.finish()?;
        }
        Format::Parquet => {
            let mut writer = ArrowWriter::try_new(&mut sink, schema, None)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(super::sql::plain)?;
                rows += batch.num_rows();
                writer.write(&batch)?;
            }
            writer.close()?;
        }
    }
    if let Some(path) = sink.finish()?
        && !args.quiet
    {
        eprintln!(
            "wrote {rows} row(s) to {} ({})",
            path.display(),
            format_name(format)
        );
    }
    Ok(rows)
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "table",
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Ndjson => "ndjson",
        Format::Parquet => "parquet",
    }
}

/// Every column as text, with control characters escaped, so that a cell holding a tab,
/// a carriage return or an escape sequence cannot garble the terminal or the alignment.
fn printable(batch: &RecordBatch) -> anyhow::Result<RecordBatch> {
    let options = FormatOptions::default();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
        let text: StringArray = (0..column.len())
            .map(|i| {
                column
                    .is_valid(i)
                    .then(|| escape_controls(&formatter.value(i).to_string()))
            })
            .collect();
        fields.push(Field::new(field.name(), DataType::Utf8, true));
        columns.push(Arc::new(text));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// `\t`, `\r`, `\n`, `\\` and other control characters as escapes; everything else as is.
pub(crate) fn escape_controls(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Decimal columns as text: JSON readers parse numbers as doubles, which would round a
/// currency value of 17 or more digits.
fn decimals_as_text(batch: &RecordBatch) -> anyhow::Result<RecordBatch> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| is_decimal(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if is_decimal(field.data_type()) {
            fields.push(Field::new(
                field.name(),
                DataType::Utf8,
                field.is_nullable(),
            ));
            columns.push(cast(column, &DataType::Utf8)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

fn is_decimal(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
    )
}

/// The schema of a listing whose every column is text.
pub(crate) fn text_schema(names: &[&str]) -> SchemaRef {
    Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// A listing (rows of text cells) as one batch of [`text_schema`].
pub(crate) fn text_batch(
    names: &[&str],
    rows: &[Vec<Option<String>>],
) -> anyhow::Result<RecordBatch> {
    let schema = text_schema(names);
    let columns: Vec<ArrayRef> = (0..names.len())
        .map(|i| {
            Arc::new(
                rows.iter()
                    .map(|r| r.get(i).cloned().flatten())
                    .collect::<StringArray>(),
            ) as ArrayRef
        })
        .collect();
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// `println!` that returns the write error (a closed pipe) instead of panicking; use with `?`.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cmd::output::out_line(format_args!($($arg)*))
    };
}
