//! REST API calls: versions, identity, query pages, getDeleted; and the URI limit a
//! query's first page is routed around.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

use super::{ApiClient, Body, Call};
use crate::error::{Error, Result, thousands};

/// Salesforce's limit on a REST request's URI and headers together, in bytes (414 when the
/// URI alone is longer, 431 when URI and headers are).
pub(crate) const MAX_URI_AND_HEADERS: usize = 16_384;
/// Room kept for the headers sent with a query (the bearer token, `Accept`, `User-Agent`,
/// `Accept-Encoding`, `Host`), which count against [`MAX_URI_AND_HEADERS`] too.
const HEADER_ROOM: usize = 1_024;
/// The Composite resource, which carries a long query in its body, exists from 42.0 on.
const COMPOSITE_SINCE: u16 = 42;

/// One entry of `GET /services/data/`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VersionEntry {
    pub version: String,
}

pub(crate) async fn versions(client: &ApiClient) -> Result<Vec<VersionEntry>> {
    client
        .get_json("/services/data/", "list API versions")
        .await
}

/// The identity of the connecting user (`GET` the token's identity URL).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct IdentityInfo {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

pub(crate) async fn identity(client: &ApiClient, url: &str) -> Result<IdentityInfo> {
    client.get_json(url, "identity").await
}

/// One REST query page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryPage {
    #[serde(default = "yes")]
    pub done: bool,
    #[serde(default)]
    pub next_records_url: Option<String>,
    #[serde(default)]
    pub records: Vec<serde_json::Value>,
    /// Rows the whole query matches; the answer of `SELECT COUNT() ..`.
    #[serde(default)]
    pub total_size: Option<u64>,
}

fn yes() -> bool {
    true
}

/// The answer of `getDeleted` (`GET …/sobjects/{object}/deleted/?start=&end=`): the records
/// deleted in a window, from the org's delete log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedRecords {
    /// Each record deleted in the window: its Id and when it was deleted.
    pub records: Vec<DeletedRecord>,
    /// From when on the delete log is complete: deletes before it were purged from the log
    /// (after about 15 days, or earlier when the recycle bin is emptied or the log is
    /// large). A window starting before it may miss deletes.
    pub earliest_date_available: DateTime<Utc>,
    /// Up to when the answer covers deletes (to the minute); the next window starts here.
    pub latest_date_covered: DateTime<Utc>,
}

/// One entry of [`DeletedRecords`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedRecord {
    /// The deleted record's Id.
    pub id: String,
    /// When it was deleted.
    pub deleted_date: DateTime<Utc>,
}

/// getDeleted as it is on the wire: datetimes in Salesforce's `2013-05-07T22:07:19.000+0000`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeletedPage {
    #[serde(default)]
    deleted_records: Vec<DeletedEntry>,
    earliest_date_available: Option<String>,
    latest_date_covered: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeletedEntry {
    id: String,
    deleted_date: String,
}

/// Salesforce's datetime forms: `2013-05-07T22:07:19.000+0000` (REST) or RFC 3339.
fn parse_sf_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `getDeleted`: the records of `object` deleted between `start` and `end` (Salesforce
/// truncates both to the minute and answers `INVALID_REPLICATION_DATE` for a start more
/// than 15 days back). One call, retried by the client's policy like every call.
pub(crate) async fn deleted(
    client: &ApiClient,
    object: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<DeletedRecords> {
    let context = format!("getDeleted of {object}");
    let format = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let mut target =
        url::Url::parse("http://x/").map_err(|e| Error::protocol_from(&context, "", e))?;
    target
        .query_pairs_mut()
        .append_pair("start", &format(start))
        .append_pair("end", &format(end));
    let path = client.data_path(&format!("sobjects/{object}/deleted/"));
    let page: DeletedPage = client
        .get_json(
            &format!("{path}?{}", target.query().unwrap_or_default()),
            &context,
        )
        .await?;
    let time = |field: &str, text: &str| {
        parse_sf_datetime(text).ok_or_else(|| {
            Error::protocol(&context, format!("{field} is not a datetime: `{text}`"))
        })
    };
    let records = page
        .deleted_records
        .into_iter()
        .map(|e| {
            Ok(DeletedRecord {
                deleted_date: time("deletedDate", &e.deleted_date)?,
                id: e.id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let latest_date_covered = time("latestDateCovered", &page.latest_date_covered)?;
    // Absent when the log holds nothing to date it by: complete over the window asked.
    let earliest_date_available = match &page.earliest_date_available {
        Some(text) => time("earliestDateAvailable", text)?,
        None => start,
    };
    Ok(DeletedRecords {
        records,
        earliest_date_available,
        latest_date_covered,
    })
}

/// How the first page of a REST query is requested.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `GET …/query?q=…`: the URI is short enough.
    Get(String),
    /// `POST …/composite` with the `GET` as a subrequest in the body: the URI would pass
    /// Salesforce's limit, which is the way Salesforce documents for long queries.
    Composite(String),
}

/// Picks the request for a query's first page, or explains why none fits.
fn route(client_version: u16, data_path: &str, soql: &str) -> Result<Route> {
    soql::check_length(soql)?;
    let mut u = url::Url::parse("http://x/").map_err(|e| Error::protocol_from("query", "", e))?;
    u.query_pairs_mut().append_pair("q", soql);
    let target = format!("{data_path}?{}", u.query().unwrap_or_default());
    if target.len() + HEADER_ROOM <= MAX_URI_AND_HEADERS {
        return Ok(Route::Get(target));
    }
    if client_version >= COMPOSITE_SINCE {
        return Ok(Route::Composite(target));
    }
    let object = object_of(soql);
    Err(Error::Object {
        reason: format!(
            "its REST query URI would be {} bytes; Salesforce accepts at most {} bytes of URI and headers per request (it answers 414 URI Too Long), and the Composite resource that carries long queries in the request body needs api_version 42.0 or later (this connection uses {client_version}.0). Fix: set api_version to 42.0 or later, or api_type: bulkv2 or soap (the query goes in the request body), or list fewer fields under objects.{object}.fields, or shorten objects.{object}.filter",
            thousands(target.len()),
            thousands(MAX_URI_AND_HEADERS)
        ),
        object,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompositeResponse {
    composite_response: Vec<SubResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubResult {
    body: serde_json::Value,
    http_status_code: u16,
}

/// First page (`query`/`queryAll`) or the next (`nextRecordsUrl`, followed verbatim).
/// A first page whose URI would be too long goes through the Composite resource; its
/// `nextRecordsUrl`s are short and are fetched directly.
pub(crate) async fn query_page(
    client: &ApiClient,
    soql: &str,
    all: bool,
    next: Option<&str>,
) -> Result<QueryPage> {
    if let Some(url) = next {
        return client.get_json(url, "REST query").await;
    }
    let endpoint = if all { "queryAll" } else { "query" };
    match route(client.version().major(), &client.data_path(endpoint), soql)? {
        Route::Get(target) => client.get_json(&target, "REST query").await,
        Route::Composite(target) => composite_page(client, &target).await,
    }
}

/// Runs one `GET` as the only subrequest of a `POST …/composite`.
async fn composite_page(client: &ApiClient, target: &str) -> Result<QueryPage> {
    let context = "REST query (composite, the query is too long for a URI)";
    let body = serde_json::json!({
        "allOrNone": false,
        "compositeRequest": [{"method": "GET", "url": target, "referenceId": "query"}],
    });
    let call = Call {
        method: Method::POST,
        target: client.data_path("composite"),
        body: Body::Json(body.to_string().into_bytes()),
        accept: "application/json",
        context: context.into(),
    };
    let (_, bytes) = client.send_bytes(&call).await?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let response: CompositeResponse = serde_json::from_slice(bytes)
        .map_err(|e| Error::protocol_from(context, "not a composite response", e))?;
    let Some(result) = response.composite_response.into_iter().next() else {
        return Err(Error::protocol(context, "empty compositeResponse"));
    };
    if !(200..300).contains(&result.http_status_code) {
        let body = serde_json::to_vec(&result.body).unwrap_or_default();
        return Err(super::errors::parse_error(
            context,
            result.http_status_code,
            &body,
        ));
    }
    serde_json::from_value(result.body)
        .map_err(|e| Error::protocol_from(context, "unexpected JSON", e))
}

/// The `FROM` object of a statement, for messages (`?` if it does not parse).
fn object_of(soql: &str) -> String {
    soql::parse(soql)
        .map(|q| q.from.object.name().to_string())
        .unwrap_or_else(|_| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_list(n: usize) -> String {
        let ids: Vec<String> = (0..n).map(|i| format!("'001000000000{i:06}AAA'")).collect();
        format!("SELECT Id FROM Account WHERE Id IN ({})", ids.join(", "))
    }

    #[test]
    fn short_queries_are_sent_as_get() {
        let route = route(62, "/services/data/v62.0/query", "SELECT Id FROM Account").unwrap();
        assert_eq!(
            route,
            Route::Get("/services/data/v62.0/query?q=SELECT+Id+FROM+Account".into())
        );
    }

    #[test]
    fn uris_past_the_limit_go_through_composite_from_42_on() {
        let soql = in_list(550);
        assert!(soql.len() < MAX_URI_AND_HEADERS, "long only once encoded");
        match route(42, "/services/data/v42.0/query", &soql).unwrap() {
            Route::Composite(target) => assert!(target.len() > MAX_URI_AND_HEADERS - HEADER_ROOM),
            other => panic!("{other:?}"),
        }
        let e = route(41, "/services/data/v41.0/query", &soql)
            .unwrap_err()
            .to_string();
        for part in [
            "object `Account`",
            "bytes; Salesforce accepts at most 16,384 bytes",
            "414 URI Too Long",
            "api_version to 42.0 or later",
            "api_type: bulkv2 or soap",
            "objects.Account.fields",
            "objects.Account.filter",
            "(this connection uses 41.0)",
        ] {
            assert!(e.contains(part), "`{part}` missing: {e}");
        }
    }

    #[test]
    fn statements_past_100000_characters_are_refused_before_sending() {
        let soql = in_list(4_000);
        let n = soql.chars().count();
        assert!(n > soql::MAX_STATEMENT_CHARS);
        let e = route(62, "/services/data/v62.0/query", &soql)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("{} characters long", thousands(n))),
            "{e}"
        );
        assert!(e.contains("at most 100,000 characters"), "{e}");
        assert!(e.contains("objects.Account.fields"), "{e}");
    }

    #[test]
    fn get_deleted_wire_format() {
        let bytes = sfdf_fixtures::bytes("sobject/getDeleted.restforce.json");
        let page: DeletedPage = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(page.deleted_records[0].id, "a00D0000008pQRAIA2");
        let t = parse_sf_datetime(&page.deleted_records[0].deleted_date).unwrap();
        assert_eq!(t.to_rfc3339(), "2013-05-07T22:07:19+00:00");
        assert_eq!(
            parse_sf_datetime(page.earliest_date_available.as_deref().unwrap())
                .unwrap()
                .to_rfc3339(),
            "2013-05-03T15:57:00+00:00"
        );
    }
}
