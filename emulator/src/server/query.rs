//! REST `query` / `queryAll` and their `nextRecordsUrl` pages.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value as Json, json};

use super::cursor::Cursor;
use super::engine::{self, Selection};
use super::render::{attributes, field_json};
use super::{App, Caller, LoggedSoql, deliver_page, sf_error};
use crate::model::{OrgData, Row, Table};

/// `Sforce-Query-Options: batchSize=N` (200–2000, default 2000).
pub(crate) fn batch_size(headers: &HeaderMap) -> usize {
    headers
        .get("sforce-query-options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("batchSize"))
                .and_then(|(_, n)| n.trim().parse::<usize>().ok())
        })
        .unwrap_or(2000)
        .clamp(200, 2000)
}

/// Puts one selected column into a REST record, nesting parent records under their
/// relationship names (`"Owner": {"attributes": …, "Name": …}`; `"Owner": null` when empty).
fn insert_column(
    map: &mut Map<String, Json>,
    data: &OrgData,
    column: &engine::Column,
    depth: usize,
    table: &Table,
    row: &Row,
    version: &str,
) {
    let (_, field) = column.steps[depth];
    let key = column.names[depth];
    if depth + 1 == column.steps.len() {
        map.insert(key.to_owned(), field_json(&table.def, row, field, version));
        return;
    }
    let parent = row[field].as_str().and_then(|id| data.row_by_id(id));
    let entry = map.entry(key.to_owned()).or_insert_with(|| match parent {
        Some((t, r)) => json!({"attributes": attributes(t.def.name, r[0].as_str(), version)}),
        None => Json::Null,
    });
    if let (Json::Object(sub), Some((t, r))) = (entry, parent) {
        insert_column(sub, data, column, depth + 1, t, r, version);
    }
}

/// The REST JSON of result row `index` of a selection.
pub(crate) fn record(
    data: &OrgData,
    selection: &Selection,
    index: usize,
    version: &str,
) -> Option<Json> {
    if let Some(groups) = &selection.groups {
        let mut map = Map::new();
        map.insert("attributes".into(), json!({"type": "AggregateResult"}));
        for (key, value) in groups.get(index)? {
            map.insert(key.clone(), value.to_json());
        }
        return Some(Json::Object(map));
    }
    let table = &data.tables[selection.table];
    let row = data.rows(table).get(index)?.as_ref()?;
    let mut map = Map::new();
    map.insert(
        "attributes".into(),
        attributes(table.def.name, row[0].as_str(), version),
    );
    for column in &selection.columns {
        insert_column(&mut map, data, column, 0, table, row, version);
    }
    for child in &selection.children {
        let kids = row[0].as_str().and_then(|id| child.by_parent.get(id));
        let value = match kids {
            None => Json::Null,
            Some(kids) => {
                let records: Vec<Json> = kids
                    .iter()
                    .filter_map(|&k| record(data, &child.selection, k, version))
                    .collect();
                json!({"totalSize": records.len(), "done": true, "records": records})
            }
        };
        map.insert(child.relationship.to_owned(), value);
    }
    Some(Json::Object(map))
}

/// The page of `cursor` starting at row `start`, with `nextRecordsUrl` when more remain.
fn page(
    data: &OrgData,
    cursor: Arc<Cursor>,
    locator: Option<&str>,
    start: usize,
    version: &str,
    kind: &str,
) -> Json {
    let sel = &cursor.selection;
    let total = sel.rows.len();
    if sel.count_only {
        return json!({"totalSize": total, "done": true, "records": []});
    }
    let end = (start + cursor.batch_size).min(total);
    let records: Vec<Json> = sel.rows[start.min(end)..end]
        .iter()
        .filter_map(|&i| record(data, sel, i, version))
        .collect();
    let mut body = json!({"totalSize": total, "done": end >= total, "records": records});
    if end < total
        && let Some(id) = locator
    {
        body["nextRecordsUrl"] = Json::from(format!("/services/data/{version}/{kind}/{id}-{end}"));
    }
    body
}

/// A failed query: HTTP status, `errorCode`, message.
pub(crate) type Refusal = (StatusCode, &'static str, String);

/// The query text, or the org's answer to a missing one.
fn query_text(q: Option<&str>) -> Result<&str, Refusal> {
    q.filter(|q| !q.trim().is_empty()).ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "A query string has to be specified".into(),
        )
    })
}

/// The columns a query answers (`columns=true`), or why it was refused.
fn columns(app: &App, caller: &Caller, q: Option<&str>, all_rows: bool) -> Result<Json, Refusal> {
    let q = query_text(q)?;
    let data = app.state.data.read();
    let refused = |e: engine::QueryFailure| (StatusCode::BAD_REQUEST, e.code, e.message);
    let (query, selection) = engine::run(&data, &caller.profile, q, all_rows).map_err(refused)?;
    super::columns::metadata(&data, &query, &selection).map_err(refused)
}

/// The first page of a query, or why it was refused.
pub(crate) fn first_page(
    app: &App,
    caller: &Caller,
    version: &str,
    q: Option<&str>,
    batch: usize,
    all_rows: bool,
) -> Result<Json, Refusal> {
    let q = query_text(q)?;
    let kind = if all_rows { "queryAll" } else { "query" };
    let data = app.state.data.read();
    let (_, selection) = engine::run(&data, &caller.profile, q, all_rows)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.code, e.message))?;
    let total = selection.rows.len();
    let needs_cursor = !selection.count_only && total > batch;
    let cursor = Arc::new(Cursor {
        selection,
        batch_size: batch,
    });
    let locator = needs_cursor.then(|| {
        // The store keeps the cursor; the first page is read from the same Arc.
        app.state.cursors.open(Arc::clone(&cursor))
    });
    Ok(page(&data, cursor, locator.as_deref(), 0, version, kind))
}

/// The page at `locator` (`{id}-{offset}`) of an open cursor.
pub(crate) fn next_page(
    app: &App,
    version: &str,
    locator: &str,
    kind: &str,
) -> Result<Json, Refusal> {
    let Some((cursor, offset)) = app.state.cursors.resume(locator) else {
        return Err((
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator".into(),
        ));
    };
    let id = locator.rsplit_once('-').map(|(id, _)| id.to_owned());
    let data = app.state.data.read();
    Ok(page(&data, cursor, id.as_deref(), offset, version, kind))
}

async fn run(
    app: App,
    caller: Caller,
    version: String,
    params: HashMap<String, String>,
    headers: HeaderMap,
    all_rows: bool,
) -> Response {
    let q = params.get("q").cloned();
    let result = if params.get("columns").is_some_and(|c| c == "true") {
        columns(&app, &caller, q.as_deref(), all_rows)
    } else {
        let batch = batch_size(&headers);
        first_page(&app, &caller, &version, q.as_deref(), batch, all_rows)
    };
    let mut resp = match result {
        Ok(body) => deliver_page(&app.state, serde_json::to_vec(&body).unwrap_or_default()).await,
        Err((status, code, message)) => sf_error(status, code, message),
    };
    if let Some(q) = q {
        resp.extensions_mut().insert(LoggedSoql(q));
    }
    resp
}

/// `GET /services/data/vXX.X/query?q=` (`&columns=true`: the columns only).
pub(crate) async fn query(
    State(app): State<App>,
    caller: Caller,
    Path(version): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    run(app, caller, version, params, headers, false).await
}

/// `GET /services/data/vXX.X/queryAll?q=`: the recycle bin too.
pub(crate) async fn query_all(
    State(app): State<App>,
    caller: Caller,
    Path(version): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    run(app, caller, version, params, headers, true).await
}

/// `GET /services/data/vXX.X/query/{locator}-{offset}` (and `queryAll/…`).
pub(crate) async fn query_more(
    State(app): State<App>,
    _caller: Caller,
    Path((version, locator)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let kind = if uri.path().contains("/queryAll/") {
        "queryAll"
    } else {
        "query"
    };
    match next_page(&app, &version, &locator, kind) {
        Ok(body) => deliver_page(&app.state, serde_json::to_vec(&body).unwrap_or_default()).await,
        Err((status, code, message)) => sf_error(status, code, message),
    }
}
