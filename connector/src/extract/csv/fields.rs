//! Splitting buffered CSV text into records and fields, without copying cell text.
//!
//! Each field is a `(start, end)` span into the caller's buffer; a field whose text differs
//! from its bytes on the wire (escaped `""`, text after a closing quote) is written
//! unescaped into `scratch` instead and its span flagged with [`IN_SCRATCH`]. The dialect is
//! csv_core's (what Arrow's reader used): a quote starts a quoted field only as its first
//! byte, `""` inside quotes is one quote, text after a closing quote is kept as is, and
//! `\n`, `\r\n` or a lone `\r` end a record.

use memchr::{memchr, memchr3};

/// Set in a span's start when the span indexes `scratch`, not the buffer.
pub(super) const IN_SCRATCH: u32 = 1 << 31;

/// The spans of the complete records tokenized since the last [`Fields::clear`].
#[derive(Debug, Default)]
pub(super) struct Fields {
    /// `(start, end)` of every field, row-major.
    pub spans: Vec<(u32, u32)>,
    /// Unescaped text of the fields flagged [`IN_SCRATCH`].
    pub scratch: Vec<u8>,
    /// Complete records held.
    pub rows: usize,
}

/// A record that cannot be split.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BadRecord {
    /// The record has this many fields instead of the header's.
    FieldCount(usize),
    /// The page ended inside a quoted field.
    OpenQuote,
}

impl Fields {
    pub(super) fn clear(&mut self) {
        self.spans.clear();
        self.scratch.clear();
        self.rows = 0;
    }

    /// Cell text of a span.
    #[inline]
    pub(super) fn cell<'a>(&'a self, buf: &'a [u8], (start, end): (u32, u32)) -> &'a [u8] {
        if start & IN_SCRATCH != 0 {
            &self.scratch[(start & !IN_SCRATCH) as usize..end as usize]
        } else {
            &buf[start as usize..end as usize]
        }
    }

    /// Drops the last complete record (a row to skip).
    pub(super) fn pop_record(&mut self, ncols: usize) {
        self.spans.truncate(self.spans.len() - ncols);
        self.rows -= 1;
    }

    fn push_scratch(&mut self, from: usize) {
        self.spans
            .push((from as u32 | IN_SCRATCH, self.scratch.len() as u32));
    }

    /// Splits the record starting at `pos` (`buf` must be shorter than 2 GiB). Returns where
    /// the next record starts, or `None` when the record is not complete yet (nothing kept).
    /// At `eof` the end of `buf` ends the record.
    pub(super) fn record(
        &mut self,
        buf: &[u8],
        pos: usize,
        ncols: usize,
        delimiter: u8,
        eof: bool,
    ) -> Result<Option<usize>, BadRecord> {
        let mark = (self.spans.len(), self.scratch.len());
        let rollback = |f: &mut Fields| {
            f.spans.truncate(mark.0);
            f.scratch.truncate(mark.1);
        };
        let len = buf.len();
        let mut p = pos;
        let mut n = 0usize;
        loop {
            if p < len && buf[p] == b'"' {
                let start = p + 1;
                let mut q = start;
                let mut escaped = false;
                loop {
                    match memchr(b'"', &buf[q..]) {
                        Some(i) => q += i,
                        None if eof => {
                            rollback(self);
                            return Err(BadRecord::OpenQuote);
                        }
                        None => {
                            rollback(self);
                            return Ok(None);
                        }
                    }
                    if q + 1 < len && buf[q + 1] == b'"' {
                        escaped = true;
                        q += 2;
                        continue;
                    }
                    if q + 1 >= len && !eof {
                        // A quote at the end of the data may be the first of `""`.
                        rollback(self);
                        return Ok(None);
                    }
                    break;
                }
                p = q + 1;
                let ends = p >= len || {
                    let c = buf[p];
                    c == delimiter || c == b'\n' || c == b'\r'
                };
                if !ends {
                    let tail = match memchr3(delimiter, b'\n', b'\r', &buf[p..]) {
                        Some(i) => p + i,
                        None if eof => len,
                        None => {
                            rollback(self);
                            return Ok(None);
                        }
                    };
                    let from = self.scratch.len();
                    unescape_into(&buf[start..q], &mut self.scratch);
                    self.scratch.extend_from_slice(&buf[p..tail]);
                    self.push_scratch(from);
                    p = tail;
                } else if escaped {
                    let from = self.scratch.len();
                    unescape_into(&buf[start..q], &mut self.scratch);
                    self.push_scratch(from);
                } else {
                    self.spans.push((start as u32, q as u32));
                }
            } else {
                // Bulk CSV quotes every value, so a bare field is nearly always empty (null).
                let empty = p < len && {
                    let c = buf[p];
                    c == delimiter || c == b'\n' || c == b'\r'
                };
                let found = if empty {
                    Some(0)
                } else {
                    memchr3(delimiter, b'\n', b'\r', &buf[p..])
                };
                let end = match found {
                    Some(i) => p + i,
                    None if eof => len,
                    None => {
                        rollback(self);
                        return Ok(None);
                    }
                };
                self.spans.push((p as u32, end as u32));
                p = end;
            }
            n += 1;
            if p >= len {
                break;
            }
            let c = buf[p];
            if c == delimiter {
                p += 1;
                continue;
            }
            if c == b'\r' {
                if p + 1 < len {
                    p += if buf[p + 1] == b'\n' { 2 } else { 1 };
                } else if eof {
                    p += 1;
                } else {
                    // `\r` may be the first half of `\r\n`.
                    rollback(self);
                    return Ok(None);
                }
            } else {
                p += 1;
            }
            break;
        }
        if n != ncols {
            rollback(self);
            return Err(BadRecord::FieldCount(n));
        }
        self.rows += 1;
        Ok(Some(p))
    }
}

/// `a""b` → `a"b`.
fn unescape_into(quoted: &[u8], out: &mut Vec<u8>) {
    let mut rest = quoted;
    while let Some(i) = memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=i]);
        // The second quote of the pair (a lone quote cannot occur inside a closed field).
        rest = rest.get(i + 2..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8], ncols: usize, eof: bool) -> (Vec<Vec<String>>, usize) {
        let mut f = Fields::default();
        let mut pos = 0;
        while pos < data.len() {
            match f.record(data, pos, ncols, b',', eof).unwrap() {
                Some(next) => pos = next,
                None => break,
            }
        }
        let rows = f
            .spans
            .chunks(ncols)
            .map(|r| {
                r.iter()
                    .map(|s| String::from_utf8(f.cell(data, *s).to_vec()).unwrap())
                    .collect()
            })
            .collect();
        (rows, pos)
    }

    #[test]
    fn quoting_rules() {
        let (rows, end) = split(b"\"a\"\"b\",c\r\n\"x\"y,\"\"\n,\"p,q\"\rlast,\"", 2, false);
        assert_eq!(
            rows,
            vec![
                vec!["a\"b".to_string(), "c".into()],
                vec!["xy".into(), "".into()],
                vec!["".into(), "p,q".into()],
            ]
        );
        assert_eq!(end, 25, "the incomplete last record is left for later");
    }

    #[test]
    fn a_record_waits_for_what_may_follow() {
        // `"a"` then `"` could be `""`; `\r` could be `\r\n`.
        assert_eq!(split(b"\"a\"", 1, false).1, 0);
        assert_eq!(split(b"a\r", 1, false).1, 0);
        assert_eq!(split(b"a\r", 1, true).1, 2);
        assert_eq!(split(b"\"a\"", 1, true).0, vec![vec!["a".to_string()]]);
    }

    #[test]
    fn bad_records() {
        let mut f = Fields::default();
        assert_eq!(
            f.record(b"a,b,c\n", 0, 2, b',', false),
            Err(BadRecord::FieldCount(3))
        );
        assert_eq!(
            f.record(b"\"open", 0, 1, b',', true),
            Err(BadRecord::OpenQuote)
        );
        assert!(f.spans.is_empty() && f.rows == 0);
    }
}
