//! Relative date ranges and date functions, in the org's time zone and fiscal year.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Timelike, Utc};

use super::EvalContext;
use crate::ast::Function;
use crate::literal::RelativeDate;

#[derive(Clone, Copy)]
enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    FiscalQuarter,
    FiscalYear,
}

#[derive(Clone, Copy)]
enum Reach {
    /// `n` whole periods before the current one.
    Last(u32),
    /// The current period.
    This,
    /// `n` whole periods after the current one.
    Next(u32),
    /// The single period `n` periods ago.
    Ago(u32),
    /// The past `n` days and today (`LAST_N_DAYS:n` includes today).
    LastDaysWithToday(u32),
}

fn shape(rel: RelativeDate) -> (Unit, Reach) {
    use Reach::*;
    use RelativeDate as R;
    use Unit::*;
    match rel {
        R::Yesterday => (Day, Ago(1)),
        R::Today => (Day, This),
        R::Tomorrow => (Day, Next(1)),
        R::LastWeek => (Week, Last(1)),
        R::ThisWeek => (Week, This),
        R::NextWeek => (Week, Next(1)),
        R::LastMonth => (Month, Last(1)),
        R::ThisMonth => (Month, This),
        R::NextMonth => (Month, Next(1)),
        R::Last90Days => (Day, LastDaysWithToday(90)),
        R::Next90Days => (Day, Next(90)),
        R::LastQuarter => (Quarter, Last(1)),
        R::ThisQuarter => (Quarter, This),
        R::NextQuarter => (Quarter, Next(1)),
        R::LastYear => (Year, Last(1)),
        R::ThisYear => (Year, This),
        R::NextYear => (Year, Next(1)),
        R::LastFiscalQuarter => (FiscalQuarter, Last(1)),
        R::ThisFiscalQuarter => (FiscalQuarter, This),
        R::NextFiscalQuarter => (FiscalQuarter, Next(1)),
        R::LastFiscalYear => (FiscalYear, Last(1)),
        R::ThisFiscalYear => (FiscalYear, This),
        R::NextFiscalYear => (FiscalYear, Next(1)),
        R::LastNDays(n) => (Day, LastDaysWithToday(n)),
        R::NextNDays(n) => (Day, Next(n)),
        R::NDaysAgo(n) => (Day, Ago(n)),
        R::LastNWeeks(n) => (Week, Last(n)),
        R::NextNWeeks(n) => (Week, Next(n)),
        R::NWeeksAgo(n) => (Week, Ago(n)),
        R::LastNMonths(n) => (Month, Last(n)),
        R::NextNMonths(n) => (Month, Next(n)),
        R::NMonthsAgo(n) => (Month, Ago(n)),
        R::LastNQuarters(n) => (Quarter, Last(n)),
        R::NextNQuarters(n) => (Quarter, Next(n)),
        R::NQuartersAgo(n) => (Quarter, Ago(n)),
        R::LastNYears(n) => (Year, Last(n)),
        R::NextNYears(n) => (Year, Next(n)),
        R::NYearsAgo(n) => (Year, Ago(n)),
        R::LastNFiscalQuarters(n) => (FiscalQuarter, Last(n)),
        R::NextNFiscalQuarters(n) => (FiscalQuarter, Next(n)),
        R::NFiscalQuartersAgo(n) => (FiscalQuarter, Ago(n)),
        R::LastNFiscalYears(n) => (FiscalYear, Last(n)),
        R::NextNFiscalYears(n) => (FiscalYear, Next(n)),
        R::NFiscalYearsAgo(n) => (FiscalYear, Ago(n)),
    }
}

/// Start of the period containing `day`.
fn period_start(day: NaiveDate, unit: Unit, fiscal_start: u32) -> NaiveDate {
    let month_aligned = |step: u32, origin: u32| {
        // Months since the period origin month, wrapped into the year.
        let offset = (day.month() + 12 - origin) % step;
        let first = day.with_day(1).unwrap_or(day);
        first - Months::new(offset)
    };
    match unit {
        Unit::Day => day,
        // Weeks start on Sunday, as in the en_US locale orgs default to.
        Unit::Week => day - Duration::days(i64::from(day.weekday().num_days_from_sunday())),
        Unit::Month => day.with_day(1).unwrap_or(day),
        Unit::Quarter => month_aligned(3, 1),
        Unit::Year => month_aligned(12, 1),
        Unit::FiscalQuarter => month_aligned(3, fiscal_start),
        Unit::FiscalYear => month_aligned(12, fiscal_start),
    }
}

/// `start` moved by `n` periods (may be negative).
fn shift(start: NaiveDate, unit: Unit, n: i64) -> NaiveDate {
    let months = |m: i64| {
        let abs = Months::new(u32::try_from(m.unsigned_abs()).unwrap_or(u32::MAX));
        let moved = if m >= 0 {
            start.checked_add_months(abs)
        } else {
            start.checked_sub_months(abs)
        };
        moved.unwrap_or(if m >= 0 {
            NaiveDate::MAX
        } else {
            NaiveDate::MIN
        })
    };
    let days = |d: i64| {
        start
            .checked_add_signed(Duration::days(d))
            .unwrap_or(if d >= 0 {
                NaiveDate::MAX
            } else {
                NaiveDate::MIN
            })
    };
    match unit {
        Unit::Day => days(n),
        Unit::Week => days(n.saturating_mul(7)),
        Unit::Month => months(n),
        Unit::Quarter | Unit::FiscalQuarter => months(n.saturating_mul(3)),
        Unit::Year | Unit::FiscalYear => months(n.saturating_mul(12)),
    }
}

/// The half-open range of local dates `[start, end)` a relative literal means.
pub(crate) fn range(rel: RelativeDate, ctx: &EvalContext) -> (NaiveDate, NaiveDate) {
    let today = ctx.today();
    let (unit, reach) = shape(rel);
    let start = period_start(today, unit, ctx.fiscal_start());
    let at = |n: i64| shift(start, unit, n);
    match reach {
        Reach::This => (start, at(1)),
        Reach::Last(n) => (at(-i64::from(n)), start),
        Reach::Next(n) => (at(1), at(1 + i64::from(n))),
        Reach::Ago(n) => (at(-i64::from(n)), at(1 - i64::from(n))),
        Reach::LastDaysWithToday(n) => (at(-i64::from(n)), at(1)),
    }
}

/// The value of a date function on a date (`day`) and, when the field is a
/// datetime, its time of day in the zone the caller chose.
pub(crate) fn date_function(
    function: Function,
    day: NaiveDate,
    time: Option<DateTime<chrono::FixedOffset>>,
    ctx: &EvalContext,
) -> Option<i64> {
    let fiscal_start = ctx.fiscal_start();
    let fiscal_month = (day.month() + 12 - fiscal_start) % 12 + 1;
    let v = match function {
        Function::CalendarMonth => day.month(),
        Function::CalendarQuarter => (day.month() - 1) / 3 + 1,
        Function::CalendarYear => return Some(i64::from(day.year())),
        Function::DayInMonth => day.day(),
        Function::DayInWeek => day.weekday().num_days_from_sunday() + 1,
        Function::DayInYear => day.ordinal(),
        Function::FiscalMonth => fiscal_month,
        Function::FiscalQuarter => (fiscal_month - 1) / 3 + 1,
        Function::FiscalYear => {
            // Fiscal years are named after the calendar year they end in.
            let start = period_start(day, Unit::FiscalYear, fiscal_start);
            let end_year = if fiscal_start == 1 {
                start.year()
            } else {
                start.year() + 1
            };
            return Some(i64::from(end_year));
        }
        Function::HourInDay => time?.hour(),
        Function::WeekInMonth => (day.day() - 1) / 7 + 1,
        Function::WeekInYear => (day.ordinal() - 1) / 7 + 1,
        _ => return None,
    };
    Some(i64::from(v))
}

impl EvalContext {
    pub(crate) fn fiscal_start(&self) -> u32 {
        self.fiscal_year_start_month.clamp(1, 12)
    }

    /// Today's date in the org's time zone.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.time_zone).date_naive()
    }

    /// The local date of an instant in the org's time zone.
    pub(crate) fn local_date(&self, instant: &DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.time_zone).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx(y: i32, m: u32, d: u32, fiscal: u32) -> EvalContext {
        let now = Utc
            .with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .unwrap_or_default();
        EvalContext {
            now,
            fiscal_year_start_month: fiscal,
            time_zone: chrono_tz::UTC,
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn day_and_week_ranges() {
        // 2024-05-15 is a Wednesday.
        let c = ctx(2024, 5, 15, 1);
        assert_eq!(
            range(RelativeDate::Today, &c),
            (d(2024, 5, 15), d(2024, 5, 16))
        );
        assert_eq!(
            range(RelativeDate::Yesterday, &c),
            (d(2024, 5, 14), d(2024, 5, 15))
        );
        assert_eq!(
            range(RelativeDate::LastNDays(7), &c),
            (d(2024, 5, 8), d(2024, 5, 16))
        );
        assert_eq!(
            range(RelativeDate::NextNDays(2), &c),
            (d(2024, 5, 16), d(2024, 5, 18))
        );
        assert_eq!(
            range(RelativeDate::ThisWeek, &c),
            (d(2024, 5, 12), d(2024, 5, 19))
        );
        assert_eq!(
            range(RelativeDate::NWeeksAgo(2), &c),
            (d(2024, 4, 28), d(2024, 5, 5))
        );
    }

    #[test]
    fn month_quarter_year_and_fiscal_ranges() {
        let c = ctx(2024, 5, 15, 2);
        assert_eq!(
            range(RelativeDate::LastMonth, &c),
            (d(2024, 4, 1), d(2024, 5, 1))
        );
        assert_eq!(
            range(RelativeDate::ThisQuarter, &c),
            (d(2024, 4, 1), d(2024, 7, 1))
        );
        assert_eq!(
            range(RelativeDate::LastNYears(2), &c),
            (d(2022, 1, 1), d(2024, 1, 1))
        );
        assert_eq!(
            range(RelativeDate::ThisFiscalQuarter, &c),
            (d(2024, 5, 1), d(2024, 8, 1))
        );
        assert_eq!(
            range(RelativeDate::ThisFiscalYear, &c),
            (d(2024, 2, 1), d(2025, 2, 1))
        );
        let jan = ctx(2024, 1, 10, 2);
        assert_eq!(
            range(RelativeDate::ThisFiscalYear, &jan),
            (d(2023, 2, 1), d(2024, 2, 1))
        );
        assert_eq!(
            date_function(Function::FiscalYear, d(2024, 1, 10), None, &jan),
            Some(2024)
        );
        assert_eq!(
            date_function(Function::FiscalQuarter, d(2024, 5, 10), None, &jan),
            Some(2)
        );
    }
}
