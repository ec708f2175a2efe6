//! SOAP partner API: `login` (legacy, retired from v65.0), `query`, `queryMore`, `queryAll`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;
use quick_xml::events::Event;

use super::cursor::Cursor;
use super::engine::{self, Column, Selection};
use super::{App, Caller, LoggedSoql, deliver, spend_api_call};
use crate::model::schema::FieldType;
use crate::model::{OrgData, Row, Table, ids};
use crate::org::ORG_ID;

const ENVELOPE_OPEN: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="urn:sobject.partner.soap.sforce.com">"#;

/// The operation of a request and the text of every element in it, by local name.
struct SoapRequest {
    operation: String,
    fields: HashMap<String, String>,
}

fn parse(body: &[u8]) -> Option<SoapRequest> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut in_body = false;
    let mut operation = None;
    let mut current = String::new();
    let mut fields: HashMap<String, String> = HashMap::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if in_body && operation.is_none() {
                    operation = Some(name.clone());
                }
                if name == "Body" {
                    in_body = true;
                }
                current = name;
            }
            Event::Text(t) => {
                let text = t.xml_content().ok()?;
                fields.entry(current.clone()).or_default().push_str(&text);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().ok()? {
                    Some(c) => c.to_string(),
                    None => match r.decode().ok()?.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        _ => return None,
                    },
                };
                fields
                    .entry(current.clone())
                    .or_default()
                    .push_str(&resolved);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t).into_owned();
                fields.entry(current.clone()).or_default().push_str(&text);
            }
            Event::End(_) => current.clear(),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Some(SoapRequest {
        operation: operation?,
        fields,
    })
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// A SOAP fault as the partner API sends it: HTTP 500, `sf:` code, typed detail.
fn fault(code: &str, message: &str, detail_type: &str) -> Response {
    let message = escape(message);
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail><sf:{detail_type} xsi:type="sf:{detail_type}"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:{detail_type}></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#
        ),
    )
}

/// A `soapenv:Client` fault: the request itself is at fault.
pub(super) fn client_fault(message: &str) -> Response {
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>{}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
            escape(message)
        ),
    )
}

fn detail_type(code: &str) -> &'static str {
    match code {
        "MALFORMED_QUERY" => "MalformedQueryFault",
        "INVALID_FIELD" => "InvalidFieldFault",
        "INVALID_TYPE" => "InvalidSObjectFault",
        "INVALID_QUERY_LOCATOR" => "InvalidQueryLocatorFault",
        _ => "UnexpectedErrorFault",
    }
}

/// `POST /services/Soap/u/{version}[/{orgId}]`.
pub(crate) async fn handle(
    State(app): State<App>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let version_text = params.get("version").cloned().unwrap_or_default();
    let version = version_text
        .split('.')
        .next()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let Some(request) = parse(&body) else {
        return client_fault(
            "Unable to parse the SOAP request: expected a SOAP envelope with a Body",
        );
    };
    if version < super::MIN_VERSION {
        return fault(
            "UNSUPPORTED_API_VERSION",
            &format!("Invalid Api version specified on URL: {version_text}"),
            "UnexpectedErrorFault",
        );
    }
    match request.operation.as_str() {
        "login" => login(&app, version, &version_text, &request),
        "query" | "queryAll" | "queryMore" => query(&app, &request).await,
        other => client_fault(&format!(
            "No operation available for request {{urn:partner.soap.sforce.com}}{other}, please check the WSDL for the service."
        )),
    }
}

fn login(app: &App, version: u32, version_text: &str, request: &SoapRequest) -> Response {
    // Salesforce removed login() from the partner WSDL of v65.0 and later.
    if version >= 65 {
        return client_fault(
            "No operation available for request {urn:partner.soap.sforce.com}login, please check the WSDL for the service.",
        );
    }
    let get = |k: &str| {
        request
            .fields
            .get(k)
            .map(String::as_str)
            .unwrap_or_default()
    };
    let mut auth = app.state.auth.lock();
    if !auth.soap_login_enabled {
        return fault(
            "INVALID_OPERATION",
            "SOAP API login() is disabled by default in this org. Use OAuth to authenticate instead.",
            "UnexpectedErrorFault",
        );
    }
    let Some(user) = auth.user_by_login(get("username"), get("password")) else {
        return fault(
            "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
            "LoginFault",
        );
    };
    if auth.users[user].profile.is_ip_restricted() {
        return fault(
            "LOGIN_MUST_USE_SECURITY_TOKEN",
            "Invalid username, password, security token; or user locked out. Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company's trusted networks, you must add a security token to your password to log in.",
            "LoginFault",
        );
    }
    if !auth.users[user].profile.api_enabled() {
        return fault(
            "API_CURRENTLY_DISABLED",
            "API is disabled for this User",
            "LoginFault",
        );
    }
    let token = auth.open_session(user);
    let username = escape(auth.users[user].username.as_str()).into_owned();
    let seconds = auth.ttl.as_secs();
    drop(auth);
    let base = &*app.base_url;
    let org15 = &ORG_ID[..15];
    let user_id = ids::make("005", user);
    xml(
        StatusCode::OK,
        format!(
            "{ENVELOPE_OPEN}<soapenv:Body><loginResponse><result>\
<metadataServerUrl>{base}/services/Soap/m/{version_text}/{org15}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
<serverUrl>{base}/services/Soap/u/{version_text}/{org15}</serverUrl>\
<sessionId>{token}</sessionId><userId>{user_id}</userId><userInfo>\
<accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol>\
<orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>\
<orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts>\
<organizationId>{ORG_ID}</organizationId><organizationMultiCurrency>true</organizationMultiCurrency>\
<organizationName>Acme Solar (emulated)</organizationName><profileId>00e5g000000EmUlAAK</profileId><roleId xsi:nil=\"true\"/>\
<sessionSecondsValid>{seconds}</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil=\"true\"/>\
<userEmail>{username}</userEmail><userFullName>Integration User</userFullName><userId>{user_id}</userId>\
<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>{username}</userName>\
<userTimeZone>America/Los_Angeles</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin>\
</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
        ),
    )
}

fn value_text(table: &Table, row: &Row, field: usize) -> Option<String> {
    match table.def.fields[field].ty {
        FieldType::Address | FieldType::Location => {
            // Compound values are complex elements built from their parts.
            let json = super::render::field_json(&table.def, row, field, "");
            let map = json.as_object()?;
            let mut out = String::new();
            for (key, value) in map {
                match value {
                    serde_json::Value::Null => {
                        let _ = write!(out, "<{key} xsi:nil=\"true\"/>");
                    }
                    serde_json::Value::String(s) => {
                        let _ = write!(out, "<{key}>{}</{key}>", escape(s.as_str()));
                    }
                    other => {
                        let _ = write!(out, "<{key}>{other}</{key}>");
                    }
                }
            }
            Some(out)
        }
        _ => row[field]
            .to_text()
            .map(|v| escape(v.as_str()).into_owned()),
    }
}

/// Writes one selected column, nesting parents as `sf:sObject` elements.
fn write_column(
    out: &mut String,
    data: &OrgData,
    column: &Column,
    depth: usize,
    table: &Table,
    row: &Row,
) {
    let (_, field) = column.steps[depth];
    let name = column.names[depth];
    if depth + 1 == column.steps.len() {
        let compound = match table.def.fields[field].ty {
            FieldType::Address => " xsi:type=\"address\"",
            FieldType::Location => " xsi:type=\"location\"",
            _ => "",
        };
        match value_text(table, row, field) {
            Some(v) => {
                let _ = write!(out, "<sf:{name}{compound}>{v}</sf:{name}>");
            }
            None => {
                let _ = write!(out, "<sf:{name} xsi:nil=\"true\"/>");
            }
        }
        return;
    }
    match row[field].as_str().and_then(|id| data.row_by_id(id)) {
        None => {
            let _ = write!(out, "<sf:{name} xsi:nil=\"true\"/>");
        }
        Some((t, r)) => {
            let _ = write!(
                out,
                "<sf:{name} xsi:type=\"sf:sObject\"><sf:type>{}</sf:type><sf:Id xsi:nil=\"true\"/>",
                t.def.name
            );
            write_column(out, data, column, depth + 1, t, r);
            let _ = write!(out, "</sf:{name}>");
        }
    }
}

fn write_record(out: &mut String, data: &OrgData, sel: &Selection, index: usize) {
    if let Some(groups) = &sel.groups {
        out.push_str("<records xsi:type=\"sf:sObject\"><sf:type>AggregateResult</sf:type><sf:Id xsi:nil=\"true\"/>");
        for (key, value) in groups.get(index).into_iter().flatten() {
            match value.to_text() {
                Some(v) => {
                    let _ = write!(out, "<sf:{key}>{}</sf:{key}>", escape(v.as_str()));
                }
                None => {
                    let _ = write!(out, "<sf:{key} xsi:nil=\"true\"/>");
                }
            }
        }
        out.push_str("</records>");
        return;
    }
    let table = &data.tables[sel.table];
    let Some(Some(row)) = data.rows(table).get(index) else {
        return;
    };
    let _ = write!(
        out,
        "<records xsi:type=\"sf:sObject\"><sf:type>{}</sf:type>",
        table.def.name
    );
    // The partner API always leads with the record's Id, then lists the selected fields, so a
    // selected Id appears twice.
    let id_selected = sel
        .columns
        .iter()
        .any(|c| c.steps.len() == 1 && c.names[0] == "Id");
    match (id_selected, row[0].as_str()) {
        (true, Some(id)) => {
            let _ = write!(out, "<sf:Id>{id}</sf:Id>");
        }
        _ => out.push_str("<sf:Id xsi:nil=\"true\"/>"),
    }
    for column in &sel.columns {
        write_column(out, data, column, 0, table, row);
    }
    for child in &sel.children {
        let name = child.relationship;
        match row[0].as_str().and_then(|id| child.by_parent.get(id)) {
            None => {
                let _ = write!(out, "<sf:{name} xsi:nil=\"true\"/>");
            }
            Some(kids) => {
                let _ = write!(
                    out,
                    "<sf:{name} xsi:type=\"QueryResult\"><done>true</done><queryLocator xsi:nil=\"true\"/>"
                );
                for &k in kids {
                    write_record(out, data, &child.selection, k);
                }
                let _ = write!(out, "<size>{}</size></sf:{name}>", kids.len());
            }
        }
    }
    out.push_str("</records>");
}

fn query_response(
    data: &OrgData,
    cursor: &Cursor,
    locator: Option<&str>,
    start: usize,
    operation: &str,
    used: u64,
    limit: u64,
) -> String {
    let sel = &cursor.selection;
    let total = sel.rows.len();
    let end = if sel.count_only {
        total
    } else {
        (start + cursor.batch_size).min(total)
    };
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "{ENVELOPE_OPEN}<soapenv:Header><LimitInfoHeader><limitInfo><current>{used}</current><limit>{limit}</limit><type>API REQUESTS</type></limitInfo></LimitInfoHeader></soapenv:Header><soapenv:Body><{operation}Response><result xsi:type=\"QueryResult\"><done>{}</done>",
        end >= total
    );
    match locator.filter(|_| end < total) {
        Some(id) => {
            let _ = write!(out, "<queryLocator>{id}-{end}</queryLocator>");
        }
        None => out.push_str("<queryLocator xsi:nil=\"true\"/>"),
    }
    if !sel.count_only {
        for &i in &sel.rows[start.min(end)..end] {
            write_record(&mut out, data, sel, i);
        }
    }
    let _ = write!(
        out,
        "<size>{total}</size></result></{operation}Response></soapenv:Body></soapenv:Envelope>"
    );
    out
}

async fn query(app: &App, request: &SoapRequest) -> Response {
    let caller = match Caller::from_token(
        &app.state,
        request.fields.get("sessionId").map(String::as_str),
    ) {
        Ok(c) => c,
        Err(resp) if resp.status() == StatusCode::UNAUTHORIZED => {
            return fault(
                "INVALID_SESSION_ID",
                "Invalid Session ID found in SessionHeader: Illegal Session",
                "UnexpectedErrorFault",
            );
        }
        Err(_) => {
            return fault(
                "API_CURRENTLY_DISABLED",
                "API is disabled for this User",
                "UnexpectedErrorFault",
            );
        }
    };
    if !spend_api_call(&app.state) {
        return fault(
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
            "UnexpectedErrorFault",
        );
    }
    let batch = request
        .fields
        .get("batchSize")
        .and_then(|b| b.trim().parse::<usize>().ok())
        .unwrap_or(2000)
        .clamp(200, 2000);
    let operation = request.operation.as_str();
    let used = app
        .state
        .api_used
        .load(std::sync::atomic::Ordering::Relaxed);
    let limit = app.state.daily_limit;
    let mut soql = None;
    let body = {
        let data = app.state.data.read();
        if operation == "queryMore" {
            let locator = request
                .fields
                .get("queryLocator")
                .map(|l| l.trim().to_owned())
                .unwrap_or_default();
            let Some((cursor, offset)) = app.state.cursors.resume(&locator) else {
                return fault(
                    "INVALID_QUERY_LOCATOR",
                    "invalid query locator",
                    "InvalidQueryLocatorFault",
                );
            };
            let id = locator.rsplit_once('-').map(|(id, _)| id.to_owned());
            query_response(
                &data,
                &cursor,
                id.as_deref(),
                offset,
                operation,
                used,
                limit,
            )
        } else {
            let text = request
                .fields
                .get("queryString")
                .cloned()
                .unwrap_or_default();
            soql = Some(text.clone());
            match engine::run(&data, &caller.profile, &text, operation == "queryAll") {
                Err(e) => {
                    let mut resp = fault(e.code, &e.message, detail_type(e.code));
                    resp.extensions_mut().insert(LoggedSoql(text));
                    return resp;
                }
                Ok((_, selection)) => {
                    let needs_cursor = !selection.count_only && selection.rows.len() > batch;
                    let cursor = Arc::new(Cursor {
                        selection,
                        batch_size: batch,
                    });
                    let locator = needs_cursor.then(|| app.state.cursors.open(Arc::clone(&cursor)));
                    query_response(
                        &data,
                        &cursor,
                        locator.as_deref(),
                        0,
                        operation,
                        used,
                        limit,
                    )
                }
            }
        }
    };
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=UTF-8"),
    );
    let mut resp = deliver(&app.state, StatusCode::OK, headers, vec![Bytes::from(body)]).await;
    if let Some(q) = soql {
        resp.extensions_mut().insert(LoggedSoql(q));
    }
    resp
}
