//! REST resources: versions, resource list, limits, record CRUD, getUpdated/getDeleted.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value as Json, json};

use super::render::{record_json, value_from_json};
use super::{App, Caller, MAX_VERSION, MIN_VERSION, json_ok, json_with, sf_error, sf_field_error};
use crate::error::Error;
use crate::model::parse_datetime;
use crate::model::value::Value;

/// The release name of an API version: v20.0 was Winter '11, three releases a year since.
pub(crate) fn release_label(version: u32) -> String {
    let k = version.saturating_sub(20);
    let season = ["Winter", "Spring", "Summer"][(k % 3) as usize];
    format!("{season} '{:02}", 11 + k / 3)
}

/// `GET /services/data/`: not authenticated, not counted.
pub(crate) async fn versions() -> Response {
    let list: Vec<Json> = (MIN_VERSION..=MAX_VERSION)
        .map(|v| {
            json!({"label": release_label(v), "url": format!("/services/data/v{v}.0"), "version": format!("{v}.0")})
        })
        .collect();
    json_ok(&Json::Array(list))
}

/// `GET /services/data/vXX.X`.
pub(crate) async fn resources(_caller: Caller, Path(version): Path<String>) -> Response {
    let base = format!("/services/data/{version}");
    let names = [
        "tooling",
        "metadata",
        "eclair",
        "folders",
        "prechatForms",
        "contact-tracing",
        "jsonxform",
        "chatter",
        "tabs",
        "appMenu",
        "quickActions",
        "queryAll",
        "commerce",
        "wave",
        "iot",
        "analytics",
        "search",
        "identity",
        "composite",
        "parameterizedSearch",
        "fingerprint",
        "theme",
        "nouns",
        "event",
        "serviceTemplates",
        "recent",
        "connect",
        "licensing",
        "limits",
        "process",
        "async-queries",
        "query",
        "match",
        "emailConnect",
        "compactLayouts",
        "knowledgeManagement",
        "sobjects",
        "actions",
        "support",
        "jobs",
    ];
    let map: serde_json::Map<String, Json> = names
        .iter()
        .map(|n| ((*n).to_owned(), Json::from(format!("{base}/{n}"))))
        .collect();
    json_ok(&Json::Object(map))
}

/// `GET /services/data/vXX.X/limits`.
pub(crate) async fn limits(State(app): State<App>, _caller: Caller) -> Response {
    let state = &app.state;
    let used = state.api_used.load(Ordering::Relaxed);
    let jobs = state.bulk.jobs_created();
    let entry = |max: u64, remaining: u64| json!({"Max": max, "Remaining": remaining});
    json_ok(&json!({
        "ActiveScratchOrgs": entry(3, 3),
        "ConcurrentAsyncGetReportInstances": entry(200, 200),
        "ConcurrentSyncReportRuns": entry(20, 20),
        "DailyApiRequests": entry(state.daily_limit, state.daily_limit.saturating_sub(used)),
        "DailyAsyncApexExecutions": entry(250_000, 250_000),
        "DailyBulkApiBatches": entry(15_000, 15_000),
        "DailyBulkV2QueryFileStorageMB": entry(976_562, 976_562),
        "DailyBulkV2QueryJobs": entry(10_000, 10_000u64.saturating_sub(jobs)),
        "DailyStreamingApiEvents": entry(1_000_000, 1_000_000),
        "DataStorageMB": entry(1024, 1000),
        "FileStorageMB": entry(1024, 1024),
        "HourlyODataCallout": entry(10_000, 10_000),
        "HourlyTimeBasedWorkflow": entry(1000, 1000),
        "MassEmail": entry(5000, 5000),
        "SingleEmail": entry(5000, 5000),
    }))
}

/// The REST answer for a library error raised by a record change.
pub(crate) fn error_response(e: &Error) -> Response {
    match e {
        Error::UnknownObject(object) => sf_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!(
                "The requested resource does not exist: sObject type '{object}' is not supported."
            ),
        ),
        Error::UnknownField { object, field } => sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            format!("No such column '{field}' on sobject of type {object}"),
        ),
        Error::FieldNotWritable { field, .. } => sf_field_error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {field}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
            ),
            &[field],
        ),
        Error::BadFieldValue { field, value, .. } => sf_field_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            format!("Cannot deserialize instance of {field} from value {value}"),
            &[field],
        ),
        Error::RequiredFieldMissing { field, .. } => sf_field_error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{field}]"),
            &[field],
        ),
        Error::MalformedId { object, id } => sf_field_error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_ID",
            format!("{object} ID: id value of incorrect type: {id}"),
            &["Id"],
        ),
        Error::RecordNotFound { .. } => sf_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        ),
        Error::EntityIsDeleted { .. } => sf_field_error(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
            &[],
        ),
        Error::NotInRecycleBin { .. } => sf_error(
            StatusCode::BAD_REQUEST,
            "UNDELETE_FAILED",
            "Entity is not in the recycle bin",
        ),
        Error::NotDeletable { object } => sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_OPERATION",
            format!("{object} records cannot be deleted"),
        ),
        other => sf_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            other.to_string(),
        ),
    }
}

fn body_fields(body: &[u8]) -> Result<Vec<(String, Value)>, Response> {
    let parse_error = || {
        sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "The request body is not a JSON object of field names and values",
        )
    };
    let json: Json = serde_json::from_slice(body).map_err(|_| parse_error())?;
    let Json::Object(map) = json else {
        return Err(parse_error());
    };
    map.iter()
        .filter(|(k, _)| k.as_str() != "attributes")
        .map(|(k, v)| {
            value_from_json(v)
                .map(|v| (k.clone(), v))
                .ok_or_else(parse_error)
        })
        .collect()
}

fn check_visible(
    caller: &Caller,
    object: &str,
    fields: &[(String, Value)],
) -> Result<(), Response> {
    if !caller.profile.can_see_object(object) {
        return Err(error_response(&Error::UnknownObject(object.to_owned())));
    }
    match fields
        .iter()
        .find(|(f, _)| !caller.profile.can_see_field(object, f))
    {
        Some((field, _)) => Err(error_response(&Error::UnknownField {
            object: object.to_owned(),
            field: field.clone(),
        })),
        None => Ok(()),
    }
}

/// `POST /sobjects/{object}`.
pub(crate) async fn create(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let fields = match body_fields(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = check_visible(&caller, &object, &fields) {
        return r;
    }
    match app
        .state
        .data
        .write()
        .create(&object, &fields, &caller.user_id)
    {
        Ok(id) => json_with(
            StatusCode::CREATED,
            &json!({"id": id, "success": true, "errors": []}),
        ),
        Err(e) => error_response(&e),
    }
}

/// `GET /sobjects/{object}/{id}[?fields=A,B]`.
pub(crate) async fn retrieve(
    State(app): State<App>,
    caller: Caller,
    Path((version, object, id)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !caller.profile.can_see_object(&object) {
        return error_response(&Error::UnknownObject(object));
    }
    let data = app.state.data.read();
    let Some(table) = data.table(&object) else {
        return error_response(&Error::UnknownObject(object));
    };
    let Some((found, row)) = data.row_by_id(&id) else {
        return error_response(&Error::RecordNotFound { object, id });
    };
    if !std::ptr::eq(found, table) {
        return error_response(&Error::MalformedId { object, id });
    }
    let def = &table.def;
    let positions: Vec<usize> = match params.get("fields") {
        Some(list) => {
            let mut positions = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match def
                    .field_index(name)
                    .filter(|&i| caller.profile.can_see_field(def.name, def.fields[i].name))
                {
                    Some(i) => positions.push(i),
                    None => {
                        return error_response(&Error::UnknownField {
                            object: def.name.to_owned(),
                            field: name.to_owned(),
                        });
                    }
                }
            }
            positions.push(0);
            positions
        }
        None => (0..def.fields.len())
            .filter(|&i| caller.profile.can_see_field(def.name, def.fields[i].name))
            .collect(),
    };
    json_ok(&record_json(def, row, &positions, &version))
}

/// `GET /sobjects/{object}/{id}/{field}`: the content of a base64 field (the URL a query
/// answers for it), as raw bytes.
pub(crate) async fn blob(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object, id, field)): Path<(String, String, String, String)>,
) -> Response {
    if !caller.profile.can_see_object(&object) || !caller.profile.can_see_field(&object, &field) {
        return error_response(&Error::UnknownObject(object));
    }
    let data = app.state.data.read();
    let Some((table, row)) = data
        .row_by_id(&id)
        .filter(|(t, _)| t.def.name.eq_ignore_ascii_case(&object))
    else {
        return error_response(&Error::RecordNotFound { object, id });
    };
    let content = table
        .def
        .field_index(&field)
        .filter(|&i| table.def.fields[i].ty == crate::model::schema::FieldType::Base64)
        .and_then(|i| row[i].as_str())
        .and_then(|b64| {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).ok()
        });
    match content {
        // Salesforce labels blob bodies `application/octetstream` (sic).
        Some(bytes) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/octetstream")],
            bytes,
        )
            .into_response(),
        None => error_response(&Error::RecordNotFound { object, id }),
    }
}

/// `PATCH /sobjects/{object}/{id}` → 204.
pub(crate) async fn update(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let fields = match body_fields(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = check_visible(&caller, &object, &fields) {
        return r;
    }
    match app
        .state
        .data
        .write()
        .update(&object, &id, &fields, &caller.user_id)
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_response(&e),
    }
}

/// `DELETE /sobjects/{object}/{id}` → 204; the record goes to the recycle bin.
pub(crate) async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object, id)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = check_visible(&caller, &object, &[]) {
        return r;
    }
    match app.state.data.write().delete(&object, &id, &caller.user_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_response(&e),
    }
}

/// `POST /sobjects/{object}/{id}/undelete` (an emulator convenience; real orgs undelete via
/// SOAP/Apex) → 200 `{"id","success","errors"}`.
pub(crate) async fn undelete(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object, id)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = check_visible(&caller, &object, &[]) {
        return r;
    }
    match app
        .state
        .data
        .write()
        .undelete(&object, &id, &caller.user_id)
    {
        Ok(()) => json_ok(&json!({"id": id, "success": true, "errors": []})),
        Err(e) => error_response(&e),
    }
}

fn rest_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(1)).unwrap_or(t)
}

/// Parses and checks `start`/`end` of getUpdated/getDeleted (`max_days` back at most).
fn window(
    params: &HashMap<String, String>,
    max_days: i64,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Response> {
    let bad =
        |message: String| sf_error(StatusCode::BAD_REQUEST, "INVALID_REPLICATION_DATE", message);
    let get = |name: &str| -> Result<DateTime<Utc>, Response> {
        let raw = params.get(name).ok_or_else(|| {
            sf_error(
                StatusCode::BAD_REQUEST,
                "MISSING_ARGUMENT",
                format!("{name} not specified"),
            )
        })?;
        parse_datetime(raw).ok_or_else(|| bad(format!("{name}: unable to parse date '{raw}'")))
    };
    let (start, end) = (minute(get("start")?), minute(get("end")?));
    let now = Utc::now();
    if start >= end {
        return Err(bad("start date must be before end date".into()));
    }
    if start < now - Duration::days(max_days) {
        return Err(bad(format!(
            "startDate cannot be more than {max_days} days ago"
        )));
    }
    // Changes up to this instant are reported; latestDateCovered shows it to the minute.
    Ok((start, end.min(now)))
}

/// `GET /sobjects/{object}/updated/?start=&end=`.
pub(crate) async fn updated(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !caller.profile.can_see_object(&object) {
        return error_response(&Error::UnknownObject(object));
    }
    let (start, end) = match window(&params, 30) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let data = app.state.data.read();
    let Some(table) = data.table(&object) else {
        return error_response(&Error::UnknownObject(object));
    };
    let stamp = table.def.field_index("SystemModstamp");
    let deleted = table.def.field_index("IsDeleted");
    let ids: Vec<Json> = data
        .rows(table)
        .iter()
        .flatten()
        .filter(|row| deleted.is_none_or(|d| row[d] != Value::Bool(true)))
        .filter(|row| {
            stamp
                .and_then(|s| row[s].as_datetime())
                .is_some_and(|t| t >= start && t < end)
        })
        .filter_map(|row| row[0].as_str().map(Json::from))
        .collect();
    json_ok(&json!({"ids": ids, "latestDateCovered": rest_datetime(minute(end))}))
}

/// `GET /sobjects/{object}/deleted/?start=&end=`.
pub(crate) async fn deleted(
    State(app): State<App>,
    caller: Caller,
    Path((_version, object)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !caller.profile.can_see_object(&object) {
        return error_response(&Error::UnknownObject(object));
    }
    let (start, end) = match window(&params, 15) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let data = app.state.data.read();
    let Some(table) = data.table(&object) else {
        return error_response(&Error::UnknownObject(object));
    };
    let records: Vec<Json> = table
        .deleted_log
        .iter()
        .filter(|(_, t)| *t >= start && *t < end)
        .map(|(id, t)| json!({"id": id, "deletedDate": rest_datetime(*t)}))
        .collect();
    // The log is complete from its last purge on, at most the 15 days Salesforce keeps.
    let horizon = minute(Utc::now() - Duration::days(15));
    let earliest = table
        .log_purged_at
        .map(minute)
        .map_or(horizon, |p| p.max(horizon));
    json_ok(&json!({
        "deletedRecords": records,
        "earliestDateAvailable": rest_datetime(earliest),
        "latestDateCovered": rest_datetime(minute(end)),
    }))
}

#[cfg(test)]
mod tests {
    use super::release_label;

    #[test]
    fn release_labels_follow_salesforce_naming() {
        assert_eq!(release_label(62), "Winter '25");
        assert_eq!(release_label(20), "Winter '11");
        assert_eq!(release_label(59), "Winter '24");
        assert_eq!(release_label(64), "Summer '25");
    }
}
