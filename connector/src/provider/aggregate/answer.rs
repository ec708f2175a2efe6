//! An aggregate query's answer (`AggregateResult` cells as text) → the aggregate's rows,
//! in exactly the types DataFusion's own aggregate gives.
//!
//! REST and SOAP carry numbers as doubles (`1.5E7`, `300.0`): a decimal answer with more
//! than 15 significant digits may have lost digits on the way, so it is refused (the plan
//! then aggregates a scan) rather than returned approximately.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use datafusion::arrow::array::{ArrayRef, RecordBatch, new_empty_array};
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit};
use datafusion::common::ScalarValue;

use super::{Output, PushedAggregate};
use crate::extract::normalize_datetime;

/// Digits a double carries exactly through its shortest text form.
const EXACT_DIGITS: u32 = 15;

type Cells = [Vec<Option<String>>];

/// The rows of the answer as one batch of `pushed.schema`.
pub(super) fn to_batch(pushed: &PushedAggregate, rows: &Cells) -> Result<RecordBatch, String> {
    if pushed.groups.is_empty() && rows.len() != 1 {
        return Err(format!(
            "{} rows for an aggregate without GROUP BY",
            rows.len()
        ));
    }
    let groups = pushed.groups.len();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(pushed.outputs.len());
    for (output, field) in pushed.outputs.iter().zip(pushed.schema.fields()) {
        let data_type = field.data_type();
        let values = rows
            .iter()
            .map(|row| {
                let cell = |i: usize| row.get(i).and_then(Option::as_deref);
                match output {
                    Output::Group(g) => value(cell(*g), data_type),
                    Output::Call(c) => value(cell(groups + c), data_type),
                    Output::Avg { sum, count, input } => {
                        average(cell(groups + sum), cell(groups + count), input, data_type)
                    }
                    Output::Rows => Err("COUNT() answers no cells".to_string()),
                }
            })
            .collect::<Result<Vec<ScalarValue>, String>>()?;
        let column = if values.is_empty() {
            new_empty_array(data_type)
        } else {
            ScalarValue::iter_to_array(values).map_err(|e| e.to_string())?
        };
        columns.push(column);
    }
    RecordBatch::try_new(Arc::clone(&pushed.schema), columns).map_err(|e| e.to_string())
}

/// One cell as a value of `data_type`; `None` is null (a count of nothing is 0).
fn value(cell: Option<&str>, data_type: &DataType) -> Result<ScalarValue, String> {
    if *data_type == DataType::Utf8 {
        // A picklist group key, as the org spells it (the empty value is null).
        return Ok(ScalarValue::Utf8(
            cell.filter(|t| !t.is_empty()).map(str::to_owned),
        ));
    }
    let Some(text) = cell.map(str::trim).filter(|t| !t.is_empty()) else {
        return match data_type {
            // COUNT never answers null; DataFusion's count is non-null.
            DataType::Int64 => Ok(ScalarValue::Int64(Some(0))),
            other => ScalarValue::try_from(other).map_err(|e| e.to_string()),
        };
    };
    let bad = |what: &str| format!("`{text}` is not {what}");
    Ok(match data_type {
        DataType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => ScalarValue::Boolean(Some(true)),
            "false" => ScalarValue::Boolean(Some(false)),
            _ => return Err(bad("a checkbox value")),
        },
        DataType::Int32 => {
            let n = decimal(text, 0)?;
            ScalarValue::Int32(Some(i32::try_from(n).map_err(|_| bad("a 32-bit integer"))?))
        }
        DataType::Int64 => {
            let n = decimal(text, 0)?;
            ScalarValue::Int64(Some(i64::try_from(n).map_err(|_| bad("a 64-bit integer"))?))
        }
        DataType::Float64 => {
            ScalarValue::Float64(Some(text.parse::<f64>().map_err(|_| bad("a number"))?))
        }
        DataType::Decimal128(precision, scale) => {
            ScalarValue::Decimal128(Some(decimal(text, *scale)?), *precision, *scale)
        }
        DataType::Date32 => {
            let date = NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
                .map_err(|_| bad("a date"))?;
            ScalarValue::Date32(Some(Date32Type::from_naive_date(date)))
        }
        DataType::Timestamp(TimeUnit::Millisecond, zone) => {
            let stamp = DateTime::parse_from_rfc3339(&normalize_datetime(text))
                .map_err(|_| bad("a datetime"))?;
            ScalarValue::TimestampMillisecond(Some(stamp.timestamp_millis()), zone.clone())
        }
        other => return Err(format!("no reading of {other} answers")),
    })
}

/// `AVG` from `SUM` and `COUNT`, as DataFusion computes it: integers as `sum / count` in
/// `Float64`; decimals scaled up to the output scale and divided, truncating
/// (DataFusion's `DecimalAverager`).
fn average(
    sum: Option<&str>,
    count: Option<&str>,
    input: &DataType,
    output: &DataType,
) -> Result<ScalarValue, String> {
    let count = match count {
        Some(text) => decimal(text, 0)?,
        None => 0,
    };
    let (Some(sum), true) = (sum, count > 0) else {
        return ScalarValue::try_from(output).map_err(|e| e.to_string());
    };
    match (input, output) {
        (DataType::Int32 | DataType::Int64, DataType::Float64) => {
            let sum = decimal(sum, 0)?;
            Ok(ScalarValue::Float64(Some(sum as f64 / count as f64)))
        }
        (DataType::Decimal128(_, scale), DataType::Decimal128(precision, target)) => {
            let sum = decimal(sum, *scale)?;
            let up = target
                .checked_sub(*scale)
                .and_then(|d| 10i128.checked_pow(u32::try_from(d).ok()?))
                .ok_or("the average's scale is below the sum's")?;
            let average = sum
                .checked_mul(up)
                .ok_or("the average overflows")?
                .checked_div(count)
                .ok_or("the average overflows")?;
            if average.unsigned_abs() >= 10u128.pow(u32::from(*precision)) {
                return Err(format!("the average does not fit {output}"));
            }
            Ok(ScalarValue::Decimal128(Some(average), *precision, *target))
        }
        _ => Err(format!("no average of {input} as {output}")),
    }
}

/// A number's text (`-12.5`, `1.5E7`, `300.0`) as an integer count of `10^-scale`,
/// rounded half away from zero; an error when it is not a number or has more than
/// [`EXACT_DIGITS`] digits at that scale (a double may have rounded it).
fn decimal(text: &str, scale: i8) -> Result<i128, String> {
    let bad = || format!("`{text}` is not a number");
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (
            &rest[..at],
            rest[at + 1..].parse::<i32>().map_err(|_| bad())?,
        ),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // digits × 10^(exponent - fraction digits), expressed in units of 10^-scale.
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let shift = exponent - fraction.len() as i32 + i32::from(scale);
    let too_long = || format!("`{text}` has more digits than an answer carries exactly");
    let mut value: i128 = 0;
    let kept = if shift >= 0 {
        digits.len()
    } else {
        digits.len().saturating_sub(shift.unsigned_abs() as usize)
    };
    for b in digits[..kept].bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(b - b'0')))
            .ok_or_else(too_long)?;
    }
    if shift > 0 {
        value = 10i128
            .checked_pow(shift.unsigned_abs())
            .and_then(|p| value.checked_mul(p))
            .ok_or_else(too_long)?;
    } else if kept < digits.len() && digits.as_bytes()[kept] >= b'5' {
        value += 1;
    }
    if value >= 10i128.pow(EXACT_DIGITS) {
        return Err(too_long());
    }
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_at_a_scale_round_half_away_from_zero() {
        assert_eq!(decimal("300.0", 0), Ok(300));
        assert_eq!(decimal("400", 2), Ok(40_000));
        assert_eq!(decimal("1.5E7", 0), Ok(15_000_000));
        assert_eq!(decimal("-12.345", 2), Ok(-1_235));
        assert_eq!(decimal("1234.5600000001", 2), Ok(123_456));
        assert_eq!(decimal("0.004", 2), Ok(0));
        assert_eq!(decimal("2.5e-1", 1), Ok(3));
        assert!(decimal("abc", 0).is_err());
        assert!(decimal("", 0).is_err());
        assert!(decimal("1.2.3", 0).is_err());
    }

    #[test]
    fn answers_a_double_may_have_rounded_are_refused() {
        assert_eq!(decimal("999999999999999", 0), Ok(999_999_999_999_999));
        assert!(decimal("1000000000000000", 0).is_err());
        assert!(decimal("1.0E13", 2).is_err());
        assert_eq!(decimal("9999999999999.99", 2), Ok(999_999_999_999_999));
    }

    #[test]
    fn decimal_averages_truncate_like_datafusion() {
        let avg = average(
            Some("10"),
            Some("3"),
            &DataType::Decimal128(18, 0),
            &DataType::Decimal128(22, 4),
        );
        assert_eq!(avg, Ok(ScalarValue::Decimal128(Some(33_333), 22, 4)));
        let none = average(None, Some("0"), &DataType::Int32, &DataType::Float64);
        assert_eq!(none, Ok(ScalarValue::Float64(None)));
    }
}
