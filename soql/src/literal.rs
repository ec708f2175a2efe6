//! Literal values of filters: strings, numbers, dates, relative date ranges.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// A literal value on the right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// `TRUE` or `FALSE`.
    Boolean(bool),
    /// A number as written (`42`, `-1.5`, `1e3`).
    Number(Number),
    /// A string, decoded (escapes resolved). In a `LIKE` pattern the value is
    /// in pattern syntax instead: `\%`, `\_` and `\\` stay escaped, so a
    /// literal `%` can be told from a wildcard. See [`like_escape`].
    String(String),
    /// An unquoted date `2024-01-31`.
    Date(NaiveDate),
    /// An unquoted datetime `2024-01-31T10:00:00Z` or with an offset.
    DateTime(DateTime<FixedOffset>),
    /// A relative date range such as `LAST_N_DAYS:30`.
    Relative(RelativeDate),
    /// A currency-prefixed amount such as `USD5000` (multi-currency orgs).
    Currency {
        /// ISO currency code.
        code: CurrencyCode,
        /// The amount.
        amount: Number,
    },
}

impl Literal {
    /// A string literal; it prints escaped, so no value can change a query's structure.
    pub fn string(value: impl Into<String>) -> Literal {
        Literal::String(value.into())
    }

    /// An integer literal.
    pub fn integer(value: i64) -> Literal {
        Literal::Number(Number(value.to_string()))
    }

    /// A decimal literal; `None` for NaN and infinities, which SOQL cannot express.
    pub fn decimal(value: f64) -> Option<Literal> {
        Number::from_f64(value).map(Literal::Number)
    }

    /// `TRUE` or `FALSE`.
    pub fn boolean(value: bool) -> Literal {
        Literal::Boolean(value)
    }

    /// `NULL`.
    pub fn null() -> Literal {
        Literal::Null
    }

    /// A date literal.
    pub fn date(value: NaiveDate) -> Literal {
        Literal::Date(value)
    }

    /// A UTC datetime literal; prints as `2024-01-01T00:00:00Z`, with milliseconds when non-zero.
    pub fn datetime(value: DateTime<Utc>) -> Literal {
        Literal::DateTime(value.fixed_offset())
    }
}

/// A three-letter ISO currency code as written (`USD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurrencyCode(String);

impl CurrencyCode {
    /// Validates three ASCII letters.
    pub fn new(code: &str) -> Option<CurrencyCode> {
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| CurrencyCode(code.to_owned()))
    }

    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A numeric literal, kept as validated text so it prints exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    /// Validates `text` as a SOQL number: `-?digits(.digits)?([eE][+-]?digits)?`.
    pub fn parse(text: &str) -> Option<Number> {
        let b = text.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'-'));
        let digits = |i: &mut usize| {
            let start = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i > start
        };
        if !digits(&mut i) {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        (i == b.len()).then(|| Number(text.to_owned()))
    }

    /// A number from a finite float; `None` for NaN and infinities.
    pub fn from_f64(value: f64) -> Option<Number> {
        if !value.is_finite() {
            return None;
        }
        // `{:?}` prints the shortest text that reads back as the same f64 but
        // may use `1e-7` form, which SOQL accepts.
        Number::parse(&format!("{value:?}"))
    }

    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as a float.
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! relative_dates {
    (fixed: $($fname:ident = $ftext:literal),* ; counted: $($cname:ident = $ctext:literal),* $(,)?) => {
        /// A relative date literal. The `n` forms carry their count (`LAST_N_DAYS:30`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum RelativeDate {
            $($fname,)*
            $($cname(u32),)*
        }

        impl RelativeDate {
            /// Every fixed literal, for generators and docs.
            pub const FIXED: &'static [RelativeDate] = &[$(RelativeDate::$fname),*];

            /// Every counted literal with a count of 1.
            pub const COUNTED: &'static [RelativeDate] = &[$(RelativeDate::$cname(1)),*];

            /// The SOQL keyword, without the count.
            pub fn keyword(self) -> &'static str {
                match self {
                    $(RelativeDate::$fname => $ftext,)*
                    $(RelativeDate::$cname(_) => $ctext,)*
                }
            }

            /// The count of an `N_` literal.
            pub fn count(self) -> Option<u32> {
                match self {
                    $(RelativeDate::$cname(n) => Some(n),)*
                    _ => None,
                }
            }

            /// The same literal with another count (no-op for fixed literals).
            pub fn with_count(self, count: u32) -> RelativeDate {
                match self {
                    $(RelativeDate::$cname(_) => RelativeDate::$cname(count),)*
                    other => other,
                }
            }

            /// Looks up a keyword (case-insensitive); counted literals come back with count 0.
            pub(crate) fn from_keyword(word: &str) -> Option<RelativeDate> {
                $(if word.eq_ignore_ascii_case($ftext) { return Some(RelativeDate::$fname); })*
                $(if word.eq_ignore_ascii_case($ctext) { return Some(RelativeDate::$cname(0)); })*
                None
            }
        }
    };
}

relative_dates! {
    fixed:
        Yesterday = "YESTERDAY", Today = "TODAY", Tomorrow = "TOMORROW",
        LastWeek = "LAST_WEEK", ThisWeek = "THIS_WEEK", NextWeek = "NEXT_WEEK",
        LastMonth = "LAST_MONTH", ThisMonth = "THIS_MONTH", NextMonth = "NEXT_MONTH",
        Last90Days = "LAST_90_DAYS", Next90Days = "NEXT_90_DAYS",
        LastQuarter = "LAST_QUARTER", ThisQuarter = "THIS_QUARTER", NextQuarter = "NEXT_QUARTER",
        LastYear = "LAST_YEAR", ThisYear = "THIS_YEAR", NextYear = "NEXT_YEAR",
        LastFiscalQuarter = "LAST_FISCAL_QUARTER", ThisFiscalQuarter = "THIS_FISCAL_QUARTER",
        NextFiscalQuarter = "NEXT_FISCAL_QUARTER",
        LastFiscalYear = "LAST_FISCAL_YEAR", ThisFiscalYear = "THIS_FISCAL_YEAR",
        NextFiscalYear = "NEXT_FISCAL_YEAR";
    counted:
        LastNDays = "LAST_N_DAYS", NextNDays = "NEXT_N_DAYS", NDaysAgo = "N_DAYS_AGO",
        LastNWeeks = "LAST_N_WEEKS", NextNWeeks = "NEXT_N_WEEKS", NWeeksAgo = "N_WEEKS_AGO",
        LastNMonths = "LAST_N_MONTHS", NextNMonths = "NEXT_N_MONTHS", NMonthsAgo = "N_MONTHS_AGO",
        LastNQuarters = "LAST_N_QUARTERS", NextNQuarters = "NEXT_N_QUARTERS",
        NQuartersAgo = "N_QUARTERS_AGO",
        LastNYears = "LAST_N_YEARS", NextNYears = "NEXT_N_YEARS", NYearsAgo = "N_YEARS_AGO",
        LastNFiscalQuarters = "LAST_N_FISCAL_QUARTERS", NextNFiscalQuarters = "NEXT_N_FISCAL_QUARTERS",
        NFiscalQuartersAgo = "N_FISCAL_QUARTERS_AGO",
        LastNFiscalYears = "LAST_N_FISCAL_YEARS", NextNFiscalYears = "NEXT_N_FISCAL_YEARS",
        NFiscalYearsAgo = "N_FISCAL_YEARS_AGO",
}

impl fmt::Display for RelativeDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count() {
            Some(n) => write!(f, "{}:{n}", self.keyword()),
            None => f.write_str(self.keyword()),
        }
    }
}

/// Escapes `value` for use inside a `LIKE` pattern so it matches itself only:
/// `%`, `_` and `\` lose their special meaning.
pub fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes `value` as a quoted SOQL string. Quotes, backslashes and control
/// characters are always escaped, so the output is one string token whatever
/// `value` holds. In `like` mode, backslashes that escape `%`, `_` or `\` are
/// kept as they are (the value is already in pattern syntax).
pub(crate) fn write_quoted(out: &mut impl fmt::Write, value: &str, like: bool) -> fmt::Result {
    out.write_char('\'')?;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if like && matches!(chars.peek(), Some('%' | '_' | '\\')) => {
                out.write_char('\\')?;
                if let Some(next) = chars.next() {
                    out.write_char(next)?;
                }
            }
            '\\' => out.write_str("\\\\")?,
            '\'' => out.write_str("\\'")?,
            '"' => out.write_str("\\\"")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            c if c.is_control() => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('\'')
}

/// Prints a datetime the way clients send them: `Z` for UTC, `±hh:mm`
/// otherwise, milliseconds (or finer) only when present.
pub(crate) fn write_datetime(out: &mut impl fmt::Write, dt: &DateTime<FixedOffset>) -> fmt::Result {
    use chrono::Timelike;
    write!(out, "{}", dt.format("%Y-%m-%dT%H:%M:%S"))?;
    let nanos = dt.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        if nanos.is_multiple_of(1_000_000) {
            write!(out, ".{:03}", nanos / 1_000_000)?;
        } else {
            write!(out, ".{nanos:09}")?;
        }
    }
    let secs = dt.offset().local_minus_utc();
    if secs == 0 {
        out.write_char('Z')
    } else {
        let sign = if secs < 0 { '-' } else { '+' };
        let secs = secs.unsigned_abs();
        write!(out, "{sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str, like: bool) -> String {
        let mut out = String::new();
        write_quoted(&mut out, s, like).unwrap_or_default();
        out
    }

    #[test]
    fn quoting_escapes_everything_structural() {
        assert_eq!(quoted("O'Brien", false), r"'O\'Brien'");
        assert_eq!(quoted(r"a\b", false), r"'a\\b'");
        assert_eq!(quoted("x' OR Name != '", false), r"'x\' OR Name != \''");
        assert_eq!(quoted("l1\nl2\t\"", false), r#"'l1\nl2\t\"'"#);
        assert_eq!(quoted("\u{1}", false), r"'\u0001'");
    }

    #[test]
    fn like_mode_keeps_pattern_escapes() {
        assert_eq!(quoted(r"50\% off%", true), r"'50\% off%'");
        assert_eq!(quoted(&like_escape(r"a_b%c\"), true), r"'a\_b\%c\\'");
    }

    #[test]
    fn numbers_validate() {
        assert!(Number::parse("-1.5e3").is_some());
        assert!(Number::parse("1.").is_none());
        assert!(Number::parse("1 OR 1").is_none());
        assert_eq!(Literal::decimal(f64::NAN), None);
        assert_eq!(Number::from_f64(2.5).map(|n| n.0), Some("2.5".into()));
    }

    #[test]
    fn relative_dates_print_with_counts() {
        assert_eq!(RelativeDate::LastNDays(30).to_string(), "LAST_N_DAYS:30");
        assert_eq!(
            RelativeDate::ThisFiscalQuarter.to_string(),
            "THIS_FISCAL_QUARTER"
        );
        assert_eq!(
            RelativeDate::from_keyword("n_years_ago"),
            Some(RelativeDate::NYearsAgo(0))
        );
    }
}
