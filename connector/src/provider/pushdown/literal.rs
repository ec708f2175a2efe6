//! DataFusion literals as SOQL literals.

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;
use soql::Literal;

/// A SOQL literal for a DataFusion literal, when SOQL can say the same value.
pub(super) fn literal(expr: &Expr) -> Option<Literal> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    use ScalarValue::*;
    Some(match value {
        v if v.is_null() => Literal::null(),
        Boolean(Some(b)) => Literal::boolean(*b),
        Utf8(Some(s)) | LargeUtf8(Some(s)) | Utf8View(Some(s)) => Literal::string(s.as_str()),
        Int8(Some(v)) => Literal::integer((*v).into()),
        Int16(Some(v)) => Literal::integer((*v).into()),
        Int32(Some(v)) => Literal::integer((*v).into()),
        Int64(Some(v)) => Literal::integer(*v),
        UInt8(Some(v)) => Literal::integer((*v).into()),
        UInt16(Some(v)) => Literal::integer((*v).into()),
        UInt32(Some(v)) => Literal::integer((*v).into()),
        UInt64(Some(v)) => Literal::integer(i64::try_from(*v).ok()?),
        Float32(Some(v)) => Literal::decimal((*v).into())?,
        Float64(Some(v)) => Literal::decimal(*v)?,
        Decimal128(Some(v), _, scale) => {
            Literal::Number(soql::Number::parse(&decimal_text(*v, *scale))?)
        }
        Date32(Some(days)) => Literal::date(NaiveDate::from_epoch_days(*days)?),
        Date64(Some(ms)) => {
            Literal::date(DateTime::<Utc>::from_timestamp_millis(*ms)?.date_naive())
        }
        TimestampSecond(Some(v), _) => Literal::datetime(DateTime::from_timestamp(*v, 0)?),
        TimestampMillisecond(Some(v), _) => Literal::datetime(DateTime::from_timestamp_millis(*v)?),
        // Salesforce keeps milliseconds: a finer literal cannot be written in SOQL without
        // changing which rows `<=`/`>=` keep.
        TimestampMicrosecond(Some(v), _) if v % 1_000 == 0 => {
            Literal::datetime(DateTime::from_timestamp_micros(*v)?)
        }
        TimestampNanosecond(Some(v), _) if v % 1_000_000 == 0 => {
            Literal::datetime(DateTime::from_timestamp_nanos(*v))
        }
        _ => return None,
    })
}

fn decimal_text(value: i128, scale: i8) -> String {
    if scale <= 0 {
        let factor = 10i128.checked_pow(u32::from(scale.unsigned_abs()));
        return match factor.and_then(|f| value.checked_mul(f)) {
            Some(v) => v.to_string(),
            None => format!("{value}e{}", scale.unsigned_abs()),
        };
    }
    let scale = usize::from(scale.unsigned_abs());
    let digits = value.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    format!("{}{int}.{frac}", if value < 0 { "-" } else { "" })
}
