//! One growing Arrow column per requested field, appended to a block of records at a time
//! and turned into an array per batch.

use std::sync::Arc;

use datafusion::arrow::array::builder::NullBufferBuilder;
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, BooleanBufferBuilder, PrimitiveArray, StringArray,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Decimal128Type, Field, Float64Type, Int32Type,
    Int64Type, Time32MillisecondType, TimeUnit, TimestampMillisecondType,
};

use super::fields::Fields;
use super::values;

enum Values {
    Utf8 {
        offsets: Vec<i32>,
        values: Vec<u8>,
    },
    Boolean(BooleanBufferBuilder),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float64(Vec<f64>),
    Decimal128 {
        values: Vec<i128>,
        precision: u8,
        scale: i8,
    },
    Date32(Vec<i32>),
    TimestampMillis {
        values: Vec<i64>,
        tz: Tz,
        tz_name: Option<Arc<str>>,
    },
    /// Any `Time32`/`Time64` target: decoded as milliseconds, cast when the batch is built.
    TimeMillis(Vec<i32>),
}

/// A column being built.
pub(super) struct Column {
    name: String,
    target: DataType,
    values: Values,
    nulls: NullBufferBuilder,
    /// Rows per batch, to size the buffers of the next batch.
    capacity: usize,
}

/// A cell that does not parse: the message names the column; `row` is the index of the
/// record within the block.
pub(super) struct BadCell {
    pub row: usize,
    pub message: String,
}

impl Column {
    /// A column for `field`; an error names types no Salesforce field maps to.
    pub(super) fn new(field: &Field, capacity: usize) -> Result<Column, String> {
        let values = match field.data_type() {
            DataType::Utf8 => Values::Utf8 {
                offsets: Vec::new(),
                values: Vec::new(),
            },
            DataType::Boolean => Values::Boolean(BooleanBufferBuilder::new(0)),
            DataType::Int32 => Values::Int32(Vec::new()),
            DataType::Int64 => Values::Int64(Vec::new()),
            DataType::Float64 => Values::Float64(Vec::new()),
            DataType::Decimal128(p, s) => Values::Decimal128 {
                values: Vec::new(),
                precision: *p,
                scale: *s,
            },
            DataType::Date32 => Values::Date32(Vec::new()),
            DataType::Timestamp(TimeUnit::Millisecond, tz) => Values::TimestampMillis {
                values: Vec::new(),
                tz: tz
                    .as_deref()
                    .unwrap_or("+00:00")
                    .parse()
                    .map_err(|e| format!("column {}: {e}", field.name()))?,
                tz_name: tz.clone(),
            },
            DataType::Time32(_) | DataType::Time64(_) => Values::TimeMillis(Vec::new()),
            other => {
                return Err(format!(
                    "column {} has type {other}, which the CSV decoder does not read \
                     (Salesforce fields map to Utf8, Boolean, Int32, Int64, Float64, Decimal128, \
                     Date32, Timestamp(ms) and Time32(ms))",
                    field.name()
                ));
            }
        };
        let mut column = Column {
            name: field.name().clone(),
            target: field.data_type().clone(),
            values,
            nulls: NullBufferBuilder::new(capacity),
            capacity,
        };
        column.reserve(0);
        Ok(column)
    }

    fn reserve(&mut self, text_bytes: usize) {
        let n = self.capacity;
        match &mut self.values {
            Values::Utf8 { offsets, values } => {
                offsets.reserve(n + 1);
                offsets.push(0);
                values.reserve(text_bytes);
            }
            Values::Boolean(b) => b.reserve(n),
            Values::Int32(v) | Values::Date32(v) | Values::TimeMillis(v) => v.reserve(n),
            Values::Int64(v) => v.reserve(n),
            Values::TimestampMillis { values, .. } => values.reserve(n),
            Values::Float64(v) => v.reserve(n),
            Values::Decimal128 { values, .. } => values.reserve(n),
        }
    }

    /// Appends column `col` of every record in `fields`.
    pub(super) fn append(
        &mut self,
        buf: &[u8],
        fields: &Fields,
        col: usize,
        ncols: usize,
    ) -> Result<(), BadCell> {
        let cells = fields
            .spans
            .iter()
            .skip(col)
            .step_by(ncols)
            .map(|s| fields.cell(buf, *s));
        let nulls = &mut self.nulls;
        let name = &self.name;
        let filled: Result<(), (usize, String)> = match &mut self.values {
            Values::Utf8 { offsets, values } => {
                for cell in cells {
                    if cell.is_empty() {
                        nulls.append_null();
                    } else {
                        nulls.append_non_null();
                        values.extend_from_slice(cell);
                    }
                    // Checked per batch in `finish`: the text of one batch stays below 2 GiB.
                    offsets.push(values.len() as i32);
                }
                Ok(())
            }
            Values::Boolean(b) => {
                let mut result = Ok(());
                for (row, cell) in cells.enumerate() {
                    if cell.is_empty() {
                        nulls.append_null();
                        b.append(false);
                        continue;
                    }
                    match values::parse_bool(cell) {
                        Some(v) => {
                            nulls.append_non_null();
                            b.append(v);
                        }
                        None => {
                            result = Err((row, what(name, cell, "a boolean (true or false)")));
                            break;
                        }
                    }
                }
                result
            }
            Values::Int32(v) => fill(v, nulls, cells, |c| {
                values::parse_i32(c).ok_or_else(|| what(name, c, "an Int32 (int)"))
            }),
            Values::Int64(v) => fill(v, nulls, cells, |c| {
                values::parse_i64(c).ok_or_else(|| what(name, c, "an Int64 (long)"))
            }),
            Values::Float64(v) => fill(v, nulls, cells, |c| {
                values::parse_f64(c).ok_or_else(|| what(name, c, "a Float64 (double)"))
            }),
            Values::Decimal128 {
                values,
                precision,
                scale,
            } => {
                let (p, s) = (*precision, *scale);
                fill(values, nulls, cells, |c| {
                    values::parse_decimal128(c, p, s).map_err(|e| {
                        format!("{}: {e}", what(name, c, &format!("a Decimal128({p}, {s})")))
                    })
                })
            }
            Values::Date32(v) => fill(v, nulls, cells, |c| {
                values::parse_date32(c).ok_or_else(|| what(name, c, "a date (YYYY-MM-DD)"))
            }),
            Values::TimestampMillis { values, tz, .. } => fill(values, nulls, cells, |c| {
                values::parse_timestamp_millis(c, tz)
                    .map_err(|e| format!("{}: {e}", what(name, c, "a datetime")))
            }),
            Values::TimeMillis(v) => fill(v, nulls, cells, |c| {
                values::parse_time32_millis(c)
                    .ok_or_else(|| what(name, c, "a time (HH:MM:SS.sssZ)"))
            }),
        };
        filled.map_err(|(row, message)| BadCell { row, message })
    }

    /// The column's rows so far as an array; the column starts over, empty.
    pub(super) fn finish(&mut self) -> Result<ArrayRef, String> {
        let nulls = self.nulls.finish();
        let n = self.capacity;
        let err = |e: datafusion::arrow::error::ArrowError| format!("column {}: {e}", self.name);
        let mut text_bytes = 0;
        let array: ArrayRef = match &mut self.values {
            Values::Utf8 { offsets, values } => {
                text_bytes = values.len();
                if i32::try_from(values.len()).is_err() {
                    return Err(format!(
                        "column {}: more than 2 GiB of text in one batch; use a smaller batch size",
                        self.name
                    ));
                }
                let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::take(offsets)));
                let values = Buffer::from_vec(std::mem::take(values));
                // Validates UTF-8 (whole buffer at once, then each offset).
                Arc::new(StringArray::try_new(offsets, values, nulls).map_err(err)?)
            }
            Values::Boolean(b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
            Values::Int32(v) => primitive::<Int32Type>(v, nulls, n),
            Values::Int64(v) => primitive::<Int64Type>(v, nulls, n),
            Values::Float64(v) => primitive::<Float64Type>(v, nulls, n),
            Values::Date32(v) => primitive::<Date32Type>(v, nulls, n),
            Values::Decimal128 {
                values,
                precision,
                scale,
            } => Arc::new(
                PrimitiveArray::<Decimal128Type>::new(ScalarBuffer::from(take(values, n)), nulls)
                    .with_precision_and_scale(*precision, *scale)
                    .map_err(err)?,
            ),
            Values::TimestampMillis {
                values, tz_name, ..
            } => Arc::new(
                PrimitiveArray::<TimestampMillisecondType>::new(
                    ScalarBuffer::from(take(values, n)),
                    nulls,
                )
                .with_timezone_opt(tz_name.clone()),
            ),
            Values::TimeMillis(v) => {
                let ms = primitive::<Time32MillisecondType>(v, nulls, n);
                if self.target == DataType::Time32(TimeUnit::Millisecond) {
                    ms
                } else {
                    datafusion::arrow::compute::cast(&ms, &self.target).map_err(err)?
                }
            }
        };
        // The next batch is likely as wide as this one: size its text buffer alike.
        self.reserve(text_bytes + text_bytes / 8);
        Ok(array)
    }
}

fn take<T>(v: &mut Vec<T>, capacity: usize) -> Vec<T> {
    std::mem::replace(v, Vec::with_capacity(capacity))
}

fn primitive<T: ArrowPrimitiveType>(
    v: &mut Vec<T::Native>,
    nulls: Option<datafusion::arrow::buffer::NullBuffer>,
    capacity: usize,
) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(
        ScalarBuffer::from(take(v, capacity)),
        nulls,
    ))
}

/// Fills a fixed-width column; empty cells are null (their slot holds the default value).
#[inline]
fn fill<'a, T: Default>(
    out: &mut Vec<T>,
    nulls: &mut NullBufferBuilder,
    cells: impl Iterator<Item = &'a [u8]>,
    parse: impl Fn(&[u8]) -> Result<T, String>,
) -> Result<(), (usize, String)> {
    for (row, cell) in cells.enumerate() {
        if cell.is_empty() {
            nulls.append_null();
            out.push(T::default());
        } else {
            nulls.append_non_null();
            out.push(parse(cell).map_err(|m| (row, m))?);
        }
    }
    Ok(())
}

const SHOWN: usize = 80;

fn what(column: &str, cell: &[u8], kind: &str) -> String {
    let text = String::from_utf8_lossy(cell);
    let shown: String = text.chars().take(SHOWN).collect();
    let more = if shown.len() < text.len() { "…" } else { "" };
    format!("column {column}: `{shown}{more}` is not {kind}")
}
