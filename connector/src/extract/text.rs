//! REST JSON and SOAP XML pages → the CSV text the Bulk decoder reads, so all three API
//! types go through one parser and give identical batches.

/// Builds a CSV page (header + rows) from text cells; `None` is null.
#[derive(Debug)]
pub(crate) struct CsvPage {
    buf: Vec<u8>,
}

impl CsvPage {
    pub(crate) fn new(columns: &[String]) -> Self {
        let mut buf = Vec::with_capacity(64 * 1024);
        if columns.is_empty() {
            buf.extend_from_slice(b"Id");
        } else {
            buf.extend_from_slice(columns.join(",").as_bytes());
        }
        buf.push(b'\n');
        CsvPage { buf }
    }

    pub(crate) fn push_row<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) {
        let mut first = true;
        for cell in cells {
            if !first {
                self.buf.push(b',');
            }
            first = false;
            if let Some(v) = cell {
                self.buf.push(b'"');
                for b in v.bytes() {
                    if b == b'"' {
                        self.buf.push(b'"');
                    }
                    self.buf.push(b);
                }
                self.buf.push(b'"');
            }
        }
        self.buf.push(b'\n');
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Salesforce REST datetimes end in `+0000`; Arrow wants `+00:00` or `Z`.
pub(crate) fn normalize_datetime(v: &str) -> std::borrow::Cow<'_, str> {
    let b = v.as_bytes();
    if b.len() > 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
    {
        let tail = &b[b.len() - 5..];
        if (tail[0] == b'+' || tail[0] == b'-')
            && tail[1..].iter().all(u8::is_ascii_digit)
            && v.contains('T')
        {
            let (head, tz) = v.split_at(v.len() - 5);
            return format!("{head}{}:{}", &tz[..3], &tz[3..]).into();
        }
    }
    v.into()
}

/// One JSON value as a CSV cell: strings as they are, numbers and booleans in JSON form,
/// null as null, objects/arrays as JSON text.
pub(crate) fn json_cell(
    value: &serde_json::Value,
    datetime: bool,
) -> Option<std::borrow::Cow<'_, str>> {
    use serde_json::Value;
    match value {
        Value::Null => None,
        Value::String(s) if datetime => Some(normalize_datetime(s)),
        Value::String(s) => Some(s.as_str().into()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        Value::Number(n) => Some(n.to_string().into()),
        other => Some(other.to_string().into()),
    }
}

/// Follows a dotted path (`Owner.Name`) through nested REST records; a null parent is null.
pub(crate) fn json_path<'a>(
    record: &'a serde_json::Value,
    path: &str,
) -> Option<&'a serde_json::Value> {
    let mut cur = record;
    for part in path.split('.') {
        let obj = cur.as_object()?;
        cur = match obj.get(part) {
            Some(v) => v,
            // SOQL names are case-insensitive; the API echoes the describe casing.
            None => obj
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(part))
                .map(|(_, v)| v)?,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_datetime_offset_gets_a_colon() {
        assert_eq!(
            normalize_datetime("2024-01-05T10:00:00.000+0000"),
            "2024-01-05T10:00:00.000+00:00"
        );
        assert_eq!(
            normalize_datetime("2024-01-05T10:00:00.000Z"),
            "2024-01-05T10:00:00.000Z"
        );
        assert_eq!(normalize_datetime("Acme 1234"), "Acme 1234");
        assert_eq!(
            normalize_datetime("Test-TTTTTTTT-1234"),
            "Test-TTTTTTTT-1234"
        );
        assert_eq!(normalize_datetime("+1 555-0100"), "+1 555-0100");
    }

    #[test]
    fn quotes_are_doubled_and_nulls_empty() {
        let mut p = CsvPage::new(&["Id".into(), "Name".into()]);
        p.push_row([Some("001"), Some("say \"hi\"\nthere")]);
        p.push_row([Some("002"), None]);
        assert_eq!(
            String::from_utf8(p.into_bytes()).unwrap(),
            "Id,Name\n\"001\",\"say \"\"hi\"\"\nthere\"\n\"002\",\n"
        );
    }
}
