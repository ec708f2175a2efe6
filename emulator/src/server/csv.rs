//! Bulk API 2.0 CSV: every value double-quoted, quotes doubled, null as `""`, the job's
//! delimiter and line ending. Rendered once per job into one buffer with row offsets, so a
//! page of any size is two zero-copy slices (header + rows).

use std::io::Write as _;

use bytes::Bytes;

use super::engine::{Column, Selection, column_value};
use crate::model::OrgData;
use crate::model::value::{Value, format_double};

/// A job's whole result: the header line, all rows, and where each row starts.
#[derive(Debug)]
pub(crate) struct CsvResult {
    pub header: Bytes,
    pub body: Bytes,
    /// `offsets[i]` = start of row `i` in `body`; one extra entry = `body.len()`.
    pub offsets: Vec<usize>,
}

impl CsvResult {
    pub(crate) fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Rows `[start, end)` as a byte slice of the shared buffer.
    pub(crate) fn slice(&self, start: usize, end: usize) -> Bytes {
        self.body.slice(self.offsets[start]..self.offsets[end])
    }
}

fn quoted(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    if text.contains('"') {
        for b in text.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
    } else {
        out.extend_from_slice(text.as_bytes());
    }
    out.push(b'"');
}

fn cell(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"\"\""),
        Value::Text(s) => quoted(out, s),
        Value::Bool(b) => out.extend_from_slice(if *b { b"\"true\"" } else { b"\"false\"" }),
        Value::Int(i) => {
            let _ = write!(out, "\"{i}\"");
        }
        Value::Double(d) => {
            out.push(b'"');
            out.extend_from_slice(format_double(*d).as_bytes());
            out.push(b'"');
        }
        Value::Date(d) => {
            let _ = write!(out, "\"{}\"", d.format("%Y-%m-%d"));
        }
        Value::DateTime(t) => {
            let _ = write!(out, "\"{}\"", t.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        }
        Value::Time(t) => {
            let _ = write!(out, "\"{}Z\"", t.format("%H:%M:%S%.3f"));
        }
    }
}

fn render_rows(
    data: &OrgData,
    columns: &[Column],
    table: usize,
    rows: &[usize],
    delimiter: u8,
    line_ending: &[u8],
) -> (Vec<u8>, Vec<usize>) {
    let stored = data.rows(&data.tables[table]);
    let mut out = Vec::with_capacity(rows.len() * 64 * columns.len().max(1));
    let mut offsets = Vec::with_capacity(rows.len());
    for &r in rows {
        let Some(Some(row)) = stored.get(r) else {
            continue;
        };
        offsets.push(out.len());
        for (c, column) in columns.iter().enumerate() {
            if c > 0 {
                out.push(delimiter);
            }
            match column_value(data, column, row) {
                Some((_, parent, field)) => cell(&mut out, &parent[field]),
                None => cell(&mut out, &Value::Null),
            }
        }
        out.extend_from_slice(line_ending);
    }
    (out, offsets)
}

/// Renders a selection as Bulk CSV, on several threads when it is large.
pub(crate) fn render(
    data: &OrgData,
    selection: &Selection,
    delimiter: u8,
    line_ending: &[u8],
) -> CsvResult {
    let mut header = Vec::new();
    for (c, column) in selection.columns.iter().enumerate() {
        if c > 0 {
            header.push(delimiter);
        }
        quoted(&mut header, &column.header);
    }
    header.extend_from_slice(line_ending);
    let threads = if selection.rows.len() > 20_000 { 4 } else { 1 };
    let chunk = selection.rows.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<u8>, Vec<usize>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = selection
            .rows
            .chunks(chunk)
            .map(|rows| {
                scope.spawn(move || {
                    render_rows(
                        data,
                        &selection.columns,
                        selection.table,
                        rows,
                        delimiter,
                        line_ending,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let total: usize = parts.iter().map(|(b, _)| b.len()).sum();
    let mut body = Vec::with_capacity(total);
    let mut offsets = Vec::with_capacity(selection.rows.len() + 1);
    for (bytes, offs) in parts {
        let base = body.len();
        offsets.extend(offs.into_iter().map(|o| o + base));
        body.extend_from_slice(&bytes);
    }
    offsets.push(body.len());
    CsvResult {
        header: Bytes::from(header),
        body: Bytes::from(body),
        offsets,
    }
}
