//! Cell text → typed values: fast paths for the exact shapes Salesforce writes, and Arrow's
//! own parsers (`arrow_cast::parse`) for anything else, so the accepted inputs and results
//! match what Arrow's CSV reader produced before.

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::compute::kernels::cast_utils::{Parser, parse_decimal, string_to_datetime};
use datafusion::arrow::datatypes::{Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type};

/// `true`/`false` in any case (what Arrow's CSV reader accepts).
pub(super) fn parse_bool(b: &[u8]) -> Option<bool> {
    if b.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if b.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

/// The sign and the rest of `[-]text`.
#[inline]
fn split_sign(b: &[u8]) -> (bool, &[u8]) {
    match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    }
}

/// `[-]int[.frac]` as its sign, integer digits and fraction digits (not yet checked to be
/// digits); `None` when the integer part is empty or a `.` has no digits after it.
#[inline]
fn split_number(b: &[u8]) -> Option<(bool, &[u8], &[u8])> {
    let (neg, rest) = split_sign(b);
    let (int, frac) = match rest.iter().position(|c| *c == b'.') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, &rest[..0]),
    };
    if int.is_empty() || (frac.is_empty() && int.len() != rest.len()) {
        return None;
    }
    Some((neg, int, frac))
}

/// The value of at most 18 decimal digits (callers bound the count, so it cannot
/// overflow); `None` if a byte is not a digit.
#[inline]
fn digits_value<'a>(digits: impl Iterator<Item = &'a u8>) -> Option<u64> {
    let mut v: u64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    Some(v)
}

/// An optional `-` and up to 18 digits; `None` sends the cell to the general parser.
#[inline]
fn fast_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = split_sign(b);
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let v = digits_value(digits.iter())? as i64;
    Some(if neg { -v } else { v })
}

pub(super) fn parse_i32(b: &[u8]) -> Option<i32> {
    match fast_i64(b) {
        Some(v) => i32::try_from(v).ok(),
        None => Int32Type::parse(std::str::from_utf8(b).ok()?),
    }
}

pub(super) fn parse_i64(b: &[u8]) -> Option<i64> {
    fast_i64(b).or_else(|| Int64Type::parse(std::str::from_utf8(b).ok()?))
}

pub(super) fn parse_f64(b: &[u8]) -> Option<f64> {
    fast_f64(b).or_else(|| Float64Type::parse(std::str::from_utf8(b).ok()?))
}

/// `[-]digits[.digits]` with at most 15 digits: the digits as an integer are exact in an
/// f64, and so is 10^k for k ≤ 22, so one division gives the correctly rounded value (the
/// classic exact fast path). Anything else goes to Arrow's (lexical) parser.
#[inline]
fn fast_f64(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (neg, int, frac) = split_number(b)?;
    if int.len() + frac.len() > 15 {
        return None;
    }
    let m = digits_value(int.iter().chain(frac))?;
    let v = m as f64 / POW10[frac.len()];
    Some(if neg { -v } else { v })
}

/// `[-]digits[.digits]` with no more fraction digits than the scale; other shapes (exponent
/// form such as `5.0E7`, extra fraction digits, which Arrow truncates) go to Arrow's parser.
pub(super) fn parse_decimal128(b: &[u8], precision: u8, scale: i8) -> Result<i128, String> {
    if let Some(v) = fast_decimal(b, precision, scale) {
        return Ok(v);
    }
    let s = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
    parse_decimal::<Decimal128Type>(s, precision, scale).map_err(|e| e.to_string())
}

#[inline]
fn fast_decimal(b: &[u8], precision: u8, scale: i8) -> Option<i128> {
    if scale < 0 {
        return None;
    }
    let (neg, int, frac) = split_number(b)?;
    if frac.len() > scale as usize || int.len() + frac.len() > 18 {
        return None;
    }
    let v = digits_value(int.iter().chain(frac))?;
    // Arrow ignores leading zeros of the integer part when counting digits.
    let significant = int
        .iter()
        .position(|c| *c != b'0')
        .map_or(0, |p| int.len() - p);
    if significant + scale as usize > precision as usize {
        return None;
    }
    let v = v as i128 * 10i128.pow((scale as usize - frac.len()) as u32);
    Some(if neg { -v } else { v })
}

#[inline]
fn digits2(b: &[u8]) -> Option<u32> {
    let (a, c) = (b[0].wrapping_sub(b'0'), b[1].wrapping_sub(b'0'));
    (a <= 9 && c <= 9).then_some(a as u32 * 10 + c as u32)
}

#[inline]
fn digits3(b: &[u8]) -> Option<u32> {
    Some(digits2(b)? * 10 + (b[2].wrapping_sub(b'0') <= 9).then_some(b[2] - b'0')? as u32)
}

/// Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` → days since the epoch, checked.
#[inline]
fn fast_date(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = (digits2(&b[0..2])? * 100 + digits2(&b[2..4])?) as i64;
    let m = digits2(&b[5..7])?;
    let d = digits2(&b[8..10])?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

pub(super) fn parse_date32(b: &[u8]) -> Option<i32> {
    if b.len() == 10
        && let Some(days) = fast_date(b)
    {
        return i32::try_from(days).ok();
    }
    Date32Type::parse(std::str::from_utf8(b).ok()?)
}

/// Salesforce's `2024-01-05T10:00:00.000Z`, else any form Arrow's timestamp parser takes
/// (offsets, no fraction, a space for `T`), read in `tz` when the text has no offset.
pub(super) fn parse_timestamp_millis(b: &[u8], tz: &Tz) -> Result<i64, String> {
    if b.len() == 24
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && let Some(days) = fast_date(b)
        && let (Some(h), Some(m), Some(s), Some(ms)) = (
            digits2(&b[11..13]),
            digits2(&b[14..16]),
            digits2(&b[17..19]),
            digits3(&b[20..23]),
        )
        && h < 24
        && m < 60
        && s < 60
    {
        return Ok(days * 86_400_000 + ((h * 60 + m) * 60 + s) as i64 * 1000 + ms as i64);
    }
    let s = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
    string_to_datetime(tz, s)
        .map(|d| d.timestamp_millis())
        .map_err(|e| e.to_string())
}

/// Salesforce's `HH:MM:SS.sssZ`, else the lenient [`parse_time_millis`](super::parse_time_millis).
pub(super) fn parse_time32_millis(b: &[u8]) -> Option<i32> {
    if b.len() == 13
        && b[2] == b':'
        && b[5] == b':'
        && b[8] == b'.'
        && b[12] == b'Z'
        && let (Some(h), Some(m), Some(s), Some(ms)) = (
            digits2(&b[0..2]),
            digits2(&b[3..5]),
            digits2(&b[6..8]),
            digits3(&b[9..12]),
        )
        && h < 24
        && m < 60
        && s < 61
    {
        return Some((((h * 60 + m) * 60 + s) * 1000 + ms) as i32);
    }
    super::parse_time_millis(std::str::from_utf8(b).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Tz {
        "UTC".parse().unwrap()
    }

    #[test]
    fn fast_paths_agree_with_arrow() {
        for s in ["0", "-0", "12", "-3", "999999999999999999", "007"] {
            assert_eq!(parse_i64(s.as_bytes()), Int64Type::parse(s), "{s}");
        }
        for s in [
            "1500000.5",
            "-0.05",
            "0",
            "12.34",
            "00012.3",
            "5.0E7",
            "1.239",
            "99999999999999999.99",
            "123456789012345678",
        ] {
            assert_eq!(
                parse_decimal128(s.as_bytes(), 18, 2).ok(),
                parse_decimal::<Decimal128Type>(s, 18, 2).ok(),
                "{s}"
            );
        }
        for s in [
            "2024-01-05",
            "1970-01-01",
            "1600-02-29",
            "2024-02-29",
            "0001-01-01",
        ] {
            assert_eq!(parse_date32(s.as_bytes()), Date32Type::parse(s), "{s}");
        }
        for s in [
            "2024-01-05T10:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2024-02-29T23:59:59.999Z",
        ] {
            assert_eq!(
                parse_timestamp_millis(s.as_bytes(), &utc()).ok(),
                string_to_datetime(&utc(), s)
                    .ok()
                    .map(|d| d.timestamp_millis()),
                "{s}"
            );
        }
    }

    #[test]
    fn bad_shapes_are_rejected() {
        assert_eq!(parse_date32(b"2023-02-29"), None);
        assert_eq!(parse_date32(b"2024-13-01"), None);
        assert!(parse_timestamp_millis(b"2024-01-05T25:00:00.000Z", &utc()).is_err());
        assert_eq!(parse_time32_millis(b"24:00:00.000Z"), None);
        assert_eq!(parse_i32(b"2147483648"), None);
        assert!(parse_decimal128(b"12x", 18, 2).is_err());
        assert!(parse_decimal128(b"1234", 4, 2).is_err(), "precision");
    }

    #[test]
    fn other_shapes_fall_back() {
        assert_eq!(
            parse_timestamp_millis(b"2024-01-05T10:00:00.000+00:00", &utc()),
            Ok(1_704_448_800_000)
        );
        assert_eq!(
            parse_timestamp_millis(b"2024-01-05T11:00:00+01:00", &utc()),
            Ok(1_704_448_800_000)
        );
        assert_eq!(parse_time32_millis(b"10:30"), Some(37_800_000));
        assert_eq!(parse_decimal128(b"5.0E7", 18, 2), Ok(5_000_000_000));
    }

    proptest::proptest! {
        #[test]
        fn doubles_round_like_arrow(m in 0u64..10u64.pow(15), k in 0usize..16, neg: bool, v: f64) {
            let digits = m.to_string();
            let text = if k == 0 || k >= digits.len() {
                digits
            } else {
                format!("{}.{}", &digits[..digits.len() - k], &digits[digits.len() - k..])
            };
            let text = if neg { format!("-{text}") } else { text };
            for s in [text, v.to_string()] {
                proptest::prop_assert_eq!(
                    parse_f64(s.as_bytes()).map(f64::to_bits),
                    Float64Type::parse(&s).map(f64::to_bits),
                    "{}", s
                );
            }
        }
    }
}
