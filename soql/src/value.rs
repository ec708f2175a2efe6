//! Typed record values the evaluator works on.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// A field value of a record, typed the way describe types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (also: a relationship path through a null lookup).
    Null,
    /// `boolean`.
    Boolean(bool),
    /// `int` (and `long`).
    Integer(i64),
    /// `double`, `currency`, `percent`: decimals as floats.
    Double(f64),
    /// Text of any kind: `string`, `id`, `reference`, `picklist`, `email`, ...
    String(String),
    /// `date`.
    Date(NaiveDate),
    /// `datetime`, in UTC.
    DateTime(DateTime<Utc>),
    /// `time`.
    Time(NaiveTime),
    /// `multipicklist`: the selected values (the wire form is `a;b;c`).
    MultiPicklist(Vec<String>),
}

impl Value {
    /// A multi-select picklist from its wire form `a;b;c` (empty text is no values).
    pub fn multipicklist(wire: &str) -> Value {
        Value::MultiPicklist(
            wire.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A short name of the kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "a boolean",
            Value::Integer(_) => "an integer",
            Value::Double(_) => "a number",
            Value::String(_) => "a string",
            Value::Date(_) => "a date",
            Value::DateTime(_) => "a datetime",
            Value::Time(_) => "a time",
            Value::MultiPicklist(_) => "a multi-select picklist",
        }
    }
}

/// A record the evaluator reads field values from; the caller implements it.
pub trait Record {
    /// The value at `path` (`["Account", "Owner", "Name"]`), names matched
    /// case-insensitively as the org does. Return `Some(Value::Null)` for an
    /// empty field or a path through an empty lookup, and `None` only when the
    /// field does not exist at all.
    fn value(&self, path: &[&str]) -> Option<Value>;
}

impl<R: Record + ?Sized> Record for &R {
    fn value(&self, path: &[&str]) -> Option<Value> {
        (**self).value(path)
    }
}

/// A record of top-level fields in a list of pairs; handy in tests and examples.
impl Record for [(&str, Value)] {
    fn value(&self, path: &[&str]) -> Option<Value> {
        match path {
            [name] => self
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }
}
