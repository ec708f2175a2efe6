//! SystemModstamp windows: more partitions than one cursor (or one Bulk job) can give.
//!
//! A REST or SOAP cursor is read page after page, and one Bulk job is one unit of work at
//! the org. To read in parallel, a plan splits its query into windows on `SystemModstamp`
//! (indexed on every object that has it): the first window is unbounded below, the others
//! half-open (`>= lo AND < hi`), and a last query reads from the span's `MAX` on, unbounded
//! above, so every row falls in exactly one of them. The boundaries come from one aggregate call,
//! `SELECT MIN(SystemModstamp), MAX(SystemModstamp), COUNT(Id) FROM X WHERE <filter>`, made
//! when the first partition is opened (never at plan time: `EXPLAIN` sends nothing); the
//! count keeps small objects from being split into windows that would only add calls
//! ([`PlanOptions::window_min_rows`]).
//!
//! **Rows changed while the scan runs.** Each window is a separate query that the org runs
//! at its own moment, and a change moves a row's `SystemModstamp` to "now": past the span's
//! `MAX` (or onto it, within the same second), out of its old window. So the last window
//! ends before the span's `MAX` (`>= lo AND < MAX`), and the first partition, after its own
//! window, reads the rows from `MAX` on (`SystemModstamp >= MAX`: the newest rows and those
//! changed since the aggregate call) once every other window's query was answered (see
//! [`Gate`]; at most [`CHANGED_ROWS_WAIT`]). A row changed mid-scan is then returned with
//! its new values by that last step, and also with its old values if its old window was
//! read before the change: it may come twice, but it is not lost (unless the wait ran out,
//! or a window is opened only after the first partition finished). Read with windows for analysis; for
//! an exact copy, de-duplicate by `Id` keeping the greatest `SystemModstamp`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::api::{ApiClient, rest, soap};
use crate::config::ApiType;
use crate::error::{Error, Result};
use crate::extract::{PlanOptions, SoqlQuery};
use crate::schema::ObjectSchema;

/// The field windows split on.
pub(crate) const WINDOW_FIELD: &str = "SystemModstamp";

/// How many windows a plan splits into, decided at plan time; 0 = no windows (one cursor or
/// one Bulk job). REST and SOAP split whenever more than one partition is wanted; `bulkv2`
/// only when [`PlanOptions::bulk_windows`] asks. Never with a `LIMIT` (windows would each
/// return up to the limit), nor on objects without a filterable datetime `SystemModstamp`.
pub(crate) fn planned_windows(
    object: &ObjectSchema,
    query: &SoqlQuery,
    api: ApiType,
    options: &PlanOptions,
) -> usize {
    let wanted = options.partitions.max(1);
    let splits = match api {
        ApiType::BulkV2 => options.bulk_windows,
        ApiType::Rest | ApiType::Soap => true,
    };
    let has_field = object
        .field(WINDOW_FIELD)
        .is_some_and(|f| f.filterable && f.sf_type.eq_ignore_ascii_case("datetime"));
    // A sorted query is one ordered cursor or job: windows would each sort their own rows.
    let whole = query.limit.is_none() && query.order_by.is_empty() && query.offset.is_none();
    if splits && wanted > 1 && whole && has_field {
        wanted
    } else {
        0
    }
}

/// The boundaries that split `[min, max]` into at most `windows` windows of about equal
/// time span: strictly increasing, each `> min` and `<= max`, so no window is empty by
/// construction. Empty (no split) when the span is empty or unknown (no rows).
///
/// Boundaries are whole seconds when the span allows it (Salesforce datetimes are second
/// precision in most orgs and SOQL literals without fractions are the documented form),
/// else whole milliseconds, which the soql printer writes exactly (`.123Z`). Either way the
/// same literal bounds two neighbouring windows, `< b` and `>= b`, so a row stamped exactly
/// `b` lands in the upper one and no row is dropped or doubled.
pub(crate) fn boundaries(
    min: Option<DateTime<Utc>>,
    max: Option<DateTime<Utc>>,
    windows: usize,
) -> Vec<DateTime<Utc>> {
    let (Some(min), Some(max)) = (min, max) else {
        return Vec::new();
    };
    let (lo, hi) = (min.timestamp_millis(), max.timestamp_millis());
    if hi <= lo || windows < 2 {
        return Vec::new();
    }
    let span = i128::from(hi - lo);
    let n = windows as i128;
    let whole_seconds = span >= n * 1000;
    let mut out: Vec<i64> = Vec::with_capacity(windows - 1);
    for k in 1..n {
        // ceil(k * span / n): the boundary is never at `lo`, so the first window holds `min`.
        let offset = (k * span + n - 1) / n;
        let mut b = lo + offset as i64;
        if whole_seconds {
            b = b.div_euclid(1000) * 1000 + if b.rem_euclid(1000) > 0 { 1000 } else { 0 };
        }
        if b > lo && b <= hi && out.last().is_none_or(|last| b > *last) {
            out.push(b);
        }
    }
    out.into_iter()
        .filter_map(DateTime::<Utc>::from_timestamp_millis)
        .collect()
}

/// What the aggregate call found: the window boundaries and the span's `MAX`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Span {
    /// Boundaries between windows; empty = one window, the whole query.
    pub bounds: Vec<DateTime<Utc>>,
    /// `MAX(SystemModstamp)` when the boundaries were asked.
    pub max: Option<DateTime<Utc>>,
}

/// Window `index` of the windows `span` cuts: the query with its bounds ANDed on (through
/// the soql AST, so the data sync filter and pushed filters keep their meaning). The last
/// of several windows ends before the span's `MAX` (`<`): rows from `MAX` on are read by
/// [`changed_query`]. `None` when there is no such window.
pub(crate) fn window_query(
    query: &SoqlQuery,
    span: &Span,
    index: usize,
) -> Result<Option<SoqlQuery>> {
    let bounds = &span.bounds;
    if bounds.is_empty() {
        return Ok((index == 0).then(|| query.clone()));
    }
    if index > bounds.len() {
        return Ok(None);
    }
    let mut window = query.clone();
    if index > 0 {
        let lo = soql::Literal::datetime(bounds[index - 1]);
        window = window.and_filter(soql::Expr::ge(window_field(query)?, lo));
    }
    if index < bounds.len() {
        let hi = soql::Literal::datetime(bounds[index]);
        window = window.and_filter(soql::Expr::lt(window_field(query)?, hi));
    } else if let Some(max) = span.max {
        let max = soql::Literal::datetime(max);
        window = window.and_filter(soql::Expr::lt(window_field(query)?, max));
    }
    Ok(Some(window))
}

/// The rows stamped at or after the span's `MAX` (`SystemModstamp >= MAX`): the newest
/// rows, and those changed since the span was asked, even within the same second (a stamp
/// can equal `MAX`); read last. `None` without windows.
pub(crate) fn changed_query(query: &SoqlQuery, span: &Span) -> Result<Option<SoqlQuery>> {
    match span.max {
        Some(max) if !span.bounds.is_empty() => {
            let max = soql::Literal::datetime(max);
            Ok(Some(
                query
                    .clone()
                    .and_filter(soql::Expr::ge(window_field(query)?, max)),
            ))
        }
        _ => Ok(None),
    }
}

fn window_field(query: &SoqlQuery) -> Result<soql::FieldPath> {
    soql::field(WINDOW_FIELD).map_err(|e| Error::filter_from(&query.object, e))
}

/// How long the query of changed rows waits for the other windows' queries to be answered.
pub(crate) const CHANGED_ROWS_WAIT: Duration = Duration::from_secs(120);

/// Orders a windowed scan's queries so that a row changed mid-scan is not lost: the query
/// of the rows changed since the span was asked is sent only once no other opened window's
/// query is unanswered (a REST/SOAP first page, a Bulk job complete), so a change after an
/// old window's snapshot lands in it. Windows never opened are not waited for.
#[derive(Debug)]
pub(crate) struct Gate {
    /// Opened-but-unanswered windows per partition, shared by the plan; `None` once this
    /// partition counted itself answered (or for plans without windows).
    pending: Option<Arc<watch::Sender<Vec<usize>>>>,
    index: usize,
}

impl Gate {
    /// No ordering: a plan without windows.
    pub(crate) fn none() -> Gate {
        Gate {
            pending: None,
            index: 0,
        }
    }

    /// Partition `index` of a windowed plan was opened: it counts as pending until its
    /// query is answered or it stops.
    pub(crate) fn opened(pending: &Arc<watch::Sender<Vec<usize>>>, index: usize) -> Gate {
        pending.send_modify(|p| {
            if let Some(n) = p.get_mut(index) {
                *n += 1;
            }
        });
        Gate {
            pending: Some(Arc::clone(pending)),
            index,
        }
    }

    /// Waits until no other opened window's query is unanswered (at most
    /// [`CHANGED_ROWS_WAIT`]); called before reading the changed rows.
    pub(crate) async fn wait_for_others(&self) {
        let Some(pending) = &self.pending else {
            return;
        };
        let index = self.index;
        let mut others = pending.subscribe();
        let wait = others.wait_for(|p| p.iter().enumerate().all(|(i, n)| i == index || *n == 0));
        if tokio::time::timeout(CHANGED_ROWS_WAIT, wait).await.is_err() {
            tracing::warn!(
                "the last SystemModstamp window waited {CHANGED_ROWS_WAIT:?} for the others; \
                 reading the changed rows now (a row changed meanwhile may be missed)"
            );
        }
    }

    /// Call once the org answered the window's query.
    pub(crate) fn after_query(&mut self) {
        if let Some(pending) = self.pending.take() {
            let index = self.index;
            pending.send_modify(|p| {
                if let Some(n) = p.get_mut(index) {
                    *n = n.saturating_sub(1);
                }
            });
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        // A window that stops (error, stream dropped, no window at all) must not hold the
        // last one back.
        self.after_query();
    }
}

/// The aggregate query that finds the span of the rows the query reads, and how many
/// rows there are (so small objects are not split into windows that only add calls).
pub(crate) fn span_soql(query: &SoqlQuery) -> Result<String> {
    let mut span = query.clone().limit(None).to_query()?;
    let stamp = window_field(query)?;
    let id = soql::field("Id").map_err(|e| Error::filter_from(&query.object, e))?;
    span.select = vec![
        aggregate(soql::Function::Min, stamp.clone()),
        aggregate(soql::Function::Max, stamp),
        aggregate(soql::Function::Count, id),
    ];
    Ok(span.to_string())
}

/// `FUNCTION(path)` as a select item.
fn aggregate(function: soql::Function, path: soql::FieldPath) -> soql::SelectItem {
    soql::SelectItem::Field(soql::SelectField {
        expr: soql::FieldExpr::Call(soql::FunctionCall {
            function,
            args: vec![soql::FunctionArg::Field(soql::FieldExpr::Path(path))],
            span: soql::Span::NONE,
        }),
        alias: None,
    })
}

/// How many windows `rows` rows fill when each should hold at least `min_rows`: at most
/// `wanted`, at least 1. A window costs a query (a job with `bulkv2`) of its own, so one
/// that would hold less than a page only adds calls.
pub(crate) fn windows_for_rows(wanted: usize, rows: Option<u64>, min_rows: u64) -> usize {
    match rows {
        Some(rows) => {
            let fill = rows.div_ceil(min_rows.max(1)).max(1);
            wanted.min(usize::try_from(fill).unwrap_or(usize::MAX))
        }
        None => wanted,
    }
}

/// Asks the org for the span (one aggregate call; SOAP for `soap` connections, else REST,
/// as Bulk refuses aggregates) and cuts it into at most `windows` windows, fewer when the
/// rows would not fill them ([`windows_for_rows`]).
pub(crate) async fn fetch_span(
    client: &ApiClient,
    query: &SoqlQuery,
    api: ApiType,
    windows: usize,
    min_rows: u64,
) -> Result<Span> {
    let soql = span_soql(query)?;
    let context = format!("{WINDOW_FIELD} span of {}", query.object);
    // MIN, MAX and COUNT as text: SOAP gives text, REST JSON strings and a number.
    const CELLS: [&str; 3] = ["expr0", "expr1", "expr2"];
    let [min, max, rows] = match api {
        ApiType::Soap => {
            let page = soap::query(client, &soql, query.include_deleted, None).await?;
            let record = page.records.first();
            CELLS.map(|name| {
                record
                    .and_then(|r| soap::record_value(r, name))
                    .map(str::to_owned)
            })
        }
        ApiType::Rest | ApiType::BulkV2 => {
            let page = rest::query_page(client, &soql, query.include_deleted, None).await?;
            let record = page.records.first();
            CELLS.map(|name| match record.and_then(|r| r.get(name))? {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        }
    };
    let min = parse_stamp(&context, min.as_deref())?;
    let max = parse_stamp(&context, max.as_deref())?;
    let rows = rows.and_then(|n| n.trim().parse::<u64>().ok());
    let windows = windows_for_rows(windows, rows, min_rows);
    let bounds = boundaries(min, max, windows);
    tracing::debug!(object = %query.object, ?min, ?max, ?rows, windows = bounds.len() + 1, "SystemModstamp windows");
    Ok(Span { bounds, max })
}

fn parse_stamp(context: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let normalized = super::text::normalize_datetime(text);
    DateTime::parse_from_rfc3339(&normalized)
        .map(|d| Some(d.with_timezone(&Utc)))
        .map_err(|e| Error::protocol_from(context, &format!("`{text}` is not a datetime"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }

    fn describe(file: &str) -> ObjectSchema {
        let body = sfdf_fixtures::bytes(&format!("describe/{file}"));
        ObjectSchema::from_describe_json(&body).unwrap()
    }

    fn options(partitions: usize, bulk_windows: bool) -> PlanOptions {
        PlanOptions {
            partitions,
            bulk_windows,
            ..PlanOptions::default()
        }
    }

    #[test]
    fn a_bad_modstamp_is_a_protocol_error_that_keeps_chrono_s_error() {
        let e = parse_stamp("SystemModstamp span of Account", Some("yesterday")).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("SystemModstamp span of Account"), "{text}");
        assert!(text.contains("`yesterday` is not a datetime"), "{text}");
        // Kept as the error's `cause` (its text is in the message, so not its `source()`).
        let Error::Protocol {
            cause: Some(cause), ..
        } = &e
        else {
            panic!("chrono's error is kept: {e:?}")
        };
        assert!(
            cause.downcast_ref::<chrono::ParseError>().is_some(),
            "{cause:?}"
        );
        assert_eq!(parse_stamp("x", Some("")).ok(), Some(None));
        assert_eq!(
            parse_stamp("x", Some("2024-05-01T10:00:00.000+0000")).ok(),
            Some(Some(at(1_714_557_600_000)))
        );
    }

    #[test]
    fn windows_are_planned_only_when_they_can_split_the_rows() {
        let account = describe("Account.cumulusci-v48.json");
        let no_stamp = describe("DateTestObject__c.nifi-v62.json");
        assert!(no_stamp.field(WINDOW_FIELD).is_none());
        let q = SoqlQuery::new("Account").columns(["Id"]);
        for api in [ApiType::Rest, ApiType::Soap] {
            assert_eq!(planned_windows(&account, &q, api, &options(4, false)), 4);
            assert_eq!(planned_windows(&account, &q, api, &options(1, false)), 0);
            let limited = q.clone().limit(Some(10));
            assert_eq!(
                planned_windows(&account, &limited, api, &options(4, false)),
                0
            );
            assert_eq!(planned_windows(&no_stamp, &q, api, &options(4, false)), 0);
        }
        assert_eq!(
            planned_windows(&account, &q, ApiType::BulkV2, &options(4, false)),
            0
        );
        assert_eq!(
            planned_windows(&account, &q, ApiType::BulkV2, &options(4, true)),
            4
        );
        assert_eq!(
            planned_windows(&no_stamp, &q, ApiType::BulkV2, &options(4, true)),
            0
        );
    }

    #[test]
    fn boundaries_are_whole_seconds_inside_the_span() {
        let min = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let max = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 10).unwrap();
        let b = boundaries(Some(min), Some(max), 4);
        let secs: Vec<_> = b.iter().map(|d| d.timestamp() - min.timestamp()).collect();
        assert_eq!(secs, [3, 5, 8]);
        assert!(b.iter().all(|d| d.timestamp_subsec_millis() == 0));
    }

    #[test]
    fn a_span_narrower_than_the_windows_gives_fewer_millisecond_windows() {
        assert_eq!(
            boundaries(Some(at(1000)), Some(at(1002)), 8),
            [at(1001), at(1002)]
        );
        assert_eq!(boundaries(Some(at(1000)), Some(at(1001)), 8), [at(1001)]);
        assert!(boundaries(Some(at(1000)), Some(at(1000)), 8).is_empty());
        assert!(boundaries(None, None, 8).is_empty());
        assert!(boundaries(Some(at(1000)), Some(at(5000)), 1).is_empty());
    }

    #[test]
    fn window_queries_cover_the_line_once_and_keep_the_filter() {
        let filter = soql::parse_where("Industry = 'Energy' OR Rating = 'Hot'").unwrap();
        let q = SoqlQuery::new("Account").columns(["Id"]).and_filter(filter);
        let span = Span {
            bounds: vec![at(1_700_000_000_000), at(1_700_000_000_500)],
            max: Some(at(1_700_000_001_000)),
        };
        let mut texts: Vec<String> = (0..4)
            .filter_map(|i| window_query(&q, &span, i).unwrap())
            .map(|w| w.to_soql().unwrap())
            .collect();
        texts.extend(
            changed_query(&q, &span)
                .unwrap()
                .map(|w| w.to_soql().unwrap()),
        );
        let f = "SELECT Id FROM Account WHERE (Industry = 'Energy' OR Rating = 'Hot') AND";
        assert_eq!(
            texts,
            [
                format!("{f} SystemModstamp < 2023-11-14T22:13:20Z"),
                format!(
                    "{f} SystemModstamp >= 2023-11-14T22:13:20Z AND SystemModstamp < 2023-11-14T22:13:20.500Z"
                ),
                format!(
                    "{f} SystemModstamp >= 2023-11-14T22:13:20.500Z AND SystemModstamp < 2023-11-14T22:13:21Z"
                ),
                format!("{f} SystemModstamp >= 2023-11-14T22:13:21Z"),
            ]
        );
        // Every printed window parses back: the literals are valid SOQL.
        for text in &texts {
            soql::parse(text).unwrap();
        }
        let whole = Span {
            bounds: vec![],
            max: Some(at(5)),
        };
        assert_eq!(
            window_query(&q, &whole, 0)
                .unwrap()
                .map(|w| w.to_soql().unwrap()),
            Some(q.to_soql().unwrap())
        );
        assert_eq!(window_query(&q, &whole, 1).unwrap(), None);
        assert_eq!(changed_query(&q, &whole).unwrap(), None);
    }

    #[test]
    fn the_span_query_carries_the_filter() {
        let q = SoqlQuery::new("Account")
            .columns(["Id", "Name"])
            .and_filter(soql::parse_where("NumberOfEmployees > 5").unwrap());
        assert_eq!(
            span_soql(&q).unwrap(),
            "SELECT MIN(SystemModstamp), MAX(SystemModstamp), COUNT(Id) FROM Account WHERE NumberOfEmployees > 5"
        );
    }

    #[test]
    fn small_objects_get_fewer_windows() {
        assert_eq!(windows_for_rows(4, Some(0), 2000), 1);
        assert_eq!(windows_for_rows(4, Some(1999), 2000), 1);
        assert_eq!(windows_for_rows(4, Some(4001), 2000), 3);
        assert_eq!(windows_for_rows(4, Some(1_000_000), 2000), 4);
        assert_eq!(windows_for_rows(4, None, 2000), 4, "no count: as planned");
        assert_eq!(windows_for_rows(4, Some(3), 0), 3, "0 is read as 1 row");
    }
}
