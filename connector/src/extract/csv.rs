//! Bulk API 2.0 CSV → Arrow, decoded while the body streams in.
//!
//! Arrow's CSV `Decoder` is fed chunk by chunk; a record may span chunks. Salesforce quirks
//! handled here: every page starts with its own header row (checked against the requested
//! columns), NUL bytes are stripped, `""` and empty cells are null, `time` values carry a
//! trailing `Z` that Arrow's time parser rejects (read as text, converted per batch).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray, Time32MillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};

use crate::error::{Error, Result};

/// Column delimiter and line ending of a Bulk job's CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    /// The delimiter byte (`COMMA` = `,`, `TAB`, `PIPE`, `SEMICOLON`, `CARET`, `BACKQUOTE`).
    pub delimiter: u8,
}

impl Default for CsvFormat {
    fn default() -> Self {
        CsvFormat { delimiter: b',' }
    }
}

impl CsvFormat {
    /// From a job's `columnDelimiter` value.
    pub fn from_column_delimiter(name: &str) -> Option<Self> {
        let delimiter = match name {
            "COMMA" => b',',
            "TAB" => b'\t',
            "PIPE" => b'|',
            "SEMICOLON" => b';',
            "CARET" => b'^',
            "BACKQUOTE" => b'`',
            _ => return None,
        };
        Some(CsvFormat { delimiter })
    }
}

/// Decodes one Bulk result page (a complete CSV with its header row) into record batches of
/// a fixed schema, chunk by chunk.
pub struct BulkCsvDecoder {
    context: String,
    output: SchemaRef,
    wire: SchemaRef,
    /// Output columns decoded as text on the wire and converted after (`time`).
    time_columns: Vec<usize>,
    /// No requested columns: the page carries `Id`, batches carry only row counts.
    count_only: bool,
    format: CsvFormat,
    batch_size: usize,
    header: Option<Vec<u8>>,
    decoder: Option<arrow_csv::reader::Decoder>,
    skip: u64,
    rows: u64,
    bytes: u64,
}

impl std::fmt::Debug for BulkCsvDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkCsvDecoder")
            .field("context", &self.context)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl BulkCsvDecoder {
    /// A decoder for one page whose batches have `schema` (the requested columns, in order).
    /// `skip` rows at the start of the page are dropped (used when a page is fetched again
    /// after a body was cut, so no row is emitted twice).
    pub fn new(
        context: impl Into<String>,
        schema: SchemaRef,
        format: CsvFormat,
        batch_size: usize,
        skip: u64,
    ) -> Self {
        let count_only = schema.fields().is_empty();
        let mut time_columns = Vec::new();
        let wire_fields: Vec<Field> = if count_only {
            vec![Field::new("Id", DataType::Utf8, true)]
        } else {
            schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| match f.data_type() {
                    DataType::Time32(_) | DataType::Time64(_) => {
                        time_columns.push(i);
                        Field::new(f.name(), DataType::Utf8, true)
                    }
                    _ => f.as_ref().clone(),
                })
                .collect()
        };
        BulkCsvDecoder {
            context: context.into(),
            output: schema,
            wire: Arc::new(Schema::new(wire_fields)),
            time_columns,
            count_only,
            format,
            batch_size: batch_size.max(1),
            header: Some(Vec::new()),
            decoder: None,
            skip,
            rows: 0,
            bytes: 0,
        }
    }

    /// Rows emitted so far (after skipping).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Body bytes consumed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Feeds the next chunk of the body; returns the batches completed by it.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<RecordBatch>> {
        self.bytes += chunk.len() as u64;
        // Salesforce can emit NUL bytes inside text; no CSV parser wants them.
        let cleaned;
        let mut data: &[u8] = if chunk.contains(&0) {
            cleaned = chunk
                .iter()
                .copied()
                .filter(|b| *b != 0)
                .collect::<Vec<u8>>();
            &cleaned
        } else {
            chunk
        };
        if let Some(header) = self.header.as_mut() {
            match data.iter().position(|b| *b == b'\n') {
                None => {
                    header.extend_from_slice(data);
                    return Ok(Vec::new());
                }
                Some(nl) => {
                    header.extend_from_slice(&data[..nl]);
                    data = &data[nl + 1..];
                    let header = self.header.take().unwrap_or_default();
                    self.check_header(&header)?;
                    self.decoder = Some(
                        arrow_csv::ReaderBuilder::new(Arc::clone(&self.wire))
                            .with_header(false)
                            .with_delimiter(self.format.delimiter)
                            .with_batch_size(self.batch_size)
                            .build_decoder(),
                    );
                }
            }
        }
        let mut out = Vec::new();
        while !data.is_empty() {
            let decoder = self
                .decoder
                .as_mut()
                .ok_or_else(|| Error::decode(&self.context, "no decoder"))?;
            let n = decoder
                .decode(data)
                .map_err(|e| Error::decode(&self.context, e))?;
            data = &data[n..];
            if decoder.capacity() == 0 {
                self.flush_into(&mut out)?;
            }
        }
        Ok(out)
    }

    /// Ends the page: returns the last batch, if any rows are left.
    pub fn finish(&mut self) -> Result<Vec<RecordBatch>> {
        if let Some(header) = self.header.take() {
            // A body without a newline: header only (or nothing at all: an empty page).
            if !header.is_empty() {
                self.check_header(&header)?;
            }
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        if let Some(decoder) = self.decoder.as_mut() {
            decoder
                .decode(&[])
                .map_err(|e| Error::decode(&self.context, e))?;
        }
        self.flush_into(&mut out)?;
        Ok(out)
    }

    fn flush_into(&mut self, out: &mut Vec<RecordBatch>) -> Result<()> {
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(());
        };
        let Some(batch) = decoder
            .flush()
            .map_err(|e| Error::decode(&self.context, e))?
        else {
            return Ok(());
        };
        let mut batch = batch;
        if self.skip > 0 {
            let n = batch.num_rows() as u64;
            if n <= self.skip {
                self.skip -= n;
                return Ok(());
            }
            batch = batch.slice(self.skip as usize, (n - self.skip) as usize);
            self.skip = 0;
        }
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.rows += batch.num_rows() as u64;
        out.push(self.to_output(batch)?);
        Ok(())
    }

    fn to_output(&self, batch: RecordBatch) -> Result<RecordBatch> {
        if self.count_only {
            return RecordBatch::try_new_with_options(
                Arc::clone(&self.output),
                vec![],
                &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
            )
            .map_err(|e| Error::decode(&self.context, e));
        }
        if self.time_columns.is_empty() {
            return batch
                .with_schema(Arc::clone(&self.output))
                .map_err(|e| Error::decode(&self.context, e));
        }
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        for &i in &self.time_columns {
            let name = self.output.field(i).name();
            columns[i] = time_column(&columns[i], self.output.field(i).data_type())
                .map_err(|m| Error::decode(&self.context, format!("column {name}: {m}")))?;
        }
        RecordBatch::try_new(Arc::clone(&self.output), columns)
            .map_err(|e| Error::decode(&self.context, e))
    }

    fn check_header(&self, line: &[u8]) -> Result<()> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        let names: Vec<String> = text
            .split(self.format.delimiter as char)
            .map(|n| n.trim().trim_matches('"').to_string())
            .collect();
        let expected: Vec<&str> = self
            .wire
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        let same = names.len() == expected.len()
            && names
                .iter()
                .zip(&expected)
                .all(|(a, b)| a.eq_ignore_ascii_case(b));
        if same {
            Ok(())
        } else {
            Err(Error::decode(
                &self.context,
                format!("header row {names:?} does not match the requested columns {expected:?}"),
            ))
        }
    }
}

/// `HH:MM:SS.sssZ` (Salesforce `time`) text → `Time32(Millisecond)`.
pub(crate) fn time_column(
    array: &ArrayRef,
    target: &DataType,
) -> std::result::Result<ArrayRef, String> {
    let text = array
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or("time column was not decoded as text")?;
    let mut values = Vec::with_capacity(text.len());
    for v in text.iter() {
        values.push(match v {
            None => None,
            Some(s) => Some(parse_time_millis(s).ok_or_else(|| format!("`{s}` is not a time"))?),
        });
    }
    let arr = Time32MillisecondArray::from(values);
    match target {
        DataType::Time32(TimeUnit::Millisecond) => Ok(Arc::new(arr)),
        other => datafusion::arrow::compute::cast(&arr, other).map_err(|e| e.to_string()),
    }
}

/// Milliseconds since midnight of `HH:MM[:SS[.fff]][Z]`.
pub(crate) fn parse_time_millis(s: &str) -> Option<i32> {
    let s = s.trim().trim_end_matches('Z');
    let mut parts = s.splitn(3, ':');
    let h: i32 = parts.next()?.parse().ok()?;
    let m: i32 = parts.next()?.parse().ok()?;
    let (sec, ms) = match parts.next() {
        None => (0, 0),
        Some(rest) => match rest.split_once('.') {
            None => (rest.parse().ok()?, 0),
            Some((s, frac)) => {
                let frac = format!("{frac:0<3}");
                (s.parse().ok()?, frac.get(..3)?.parse().ok()?)
            }
        },
    };
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..61).contains(&sec) {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}
