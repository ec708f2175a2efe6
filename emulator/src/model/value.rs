//! Typed field values as the org stores them.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};

/// One field value of a record, typed the way the org stores it.
///
/// Ids, references, picklists and every text-like type are [`Value::Text`]; `int` is
/// [`Value::Int`]; `double`, `currency`, `percent` and geolocation parts are
/// [`Value::Double`]; `base64` is [`Value::Text`] holding the base64 content.
/// Salesforce stores an empty string as null, so there is no empty [`Value::Text`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value (null).
    Null,
    /// A checkbox (`boolean`).
    Bool(bool),
    /// An `int` (or `long`).
    Int(i64),
    /// A `double`, `currency`, `percent` or a latitude/longitude.
    Double(f64),
    /// Text of any text-like type, an Id, a reference, a picklist value (`A;B` for multipicklists).
    Text(String),
    /// A `date`.
    Date(NaiveDate),
    /// A `datetime`, always UTC with millisecond precision.
    DateTime(DateTime<Utc>),
    /// A `time`.
    Time(NaiveTime),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, if this is [`Value::Text`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The instant, if this is [`Value::DateTime`].
    pub fn as_datetime(&self) -> Option<DateTime<Utc>> {
        match self {
            Value::DateTime(t) => Some(*t),
            _ => None,
        }
    }

    /// The value in the lexical form Bulk API 2.0 CSV and SOAP use (`None` for null).
    ///
    /// Datetimes end in `Z` here, while REST JSON uses `+0000` (see [`Value::to_json`]).
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => format_double(*d),
            Value::Text(s) => s.clone(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
            Value::Time(t) => format!("{}Z", t.format("%H:%M:%S%.3f")),
        })
    }

    /// The value as REST JSON renders it (datetimes as `2024-01-05T10:00:00.000+0000`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Double(d) => serde_json::Number::from_f64(*d)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::DateTime(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string().into(),
            other => other.to_text().map(Into::into).unwrap_or_default(),
        }
    }
}

/// Plain decimal text for a double: `1500000.0` stays `1500000.0`, `0.25` stays `0.25`.
pub(crate) fn format_double(d: f64) -> String {
    if d.is_finite() && d.fract() == 0.0 && d.abs() < 1e15 {
        format!("{d:.1}")
    } else {
        d.to_string()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        if s.is_empty() {
            Value::Null
        } else {
            Value::Text(s.to_owned())
        }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        if s.is_empty() {
            Value::Null
        } else {
            Value::Text(s)
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}

impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Self {
        Value::Date(d)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(t: DateTime<Utc>) -> Self {
        Value::DateTime(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn datetimes_differ_between_rest_and_csv() {
        let t = Utc
            .with_ymd_and_hms(2024, 1, 5, 10, 0, 0)
            .single()
            .map(Value::DateTime);
        let t = t.expect("valid date");
        assert_eq!(t.to_json(), "2024-01-05T10:00:00.000+0000");
        assert_eq!(t.to_text().as_deref(), Some("2024-01-05T10:00:00.000Z"));
    }

    #[test]
    fn doubles_render_as_plain_decimals() {
        assert_eq!(format_double(1500000.0), "1500000.0");
        assert_eq!(format_double(0.25), "0.25");
    }
}
