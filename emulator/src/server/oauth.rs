//! The OAuth 2.0 token endpoint (client_credentials, password, refresh_token) and identity URLs.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::json;

use super::{App, Caller, json_ok, json_with};
use crate::model::ids;
use crate::org::ORG_ID;

fn oauth_error(error: &str, description: &str) -> Response {
    json_with(
        StatusCode::BAD_REQUEST,
        &json!({"error": error, "error_description": description}),
    )
}

/// Form fields from the body, then the query string (some clients put them there).
fn params(uri: &Uri, body: &[u8]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    map.extend(url::form_urlencoded::parse(body).into_owned());
    map
}

/// `Authorization: Basic base64(id:secret)`, as simple-salesforce sends client credentials.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    // RFC 6749 asks clients to form-encode id and secret first; Salesforce ids and secrets
    // never need it, and clients (python requests) do not do it, so take them as they are.
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Whether the request was sent to the generic login hosts rather than the org's My Domain.
fn generic_login_host(headers: &HeaderMap) -> bool {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or_default().to_ascii_lowercase())
        .is_some_and(|h| h == "login.salesforce.com" || h == "test.salesforce.com")
}

pub(crate) fn token_body(app: &App, token: &str, user: usize) -> serde_json::Value {
    let issued_at = chrono::Utc::now().timestamp_millis().to_string();
    let id = format!("{}/id/{ORG_ID}/{}", app.base_url, ids::make("005", user));
    // Salesforce signs id + issued_at with HMAC-SHA256; clients rarely check it, so an opaque
    // base64 string of the right shape is enough here.
    let signature =
        base64::engine::general_purpose::STANDARD.encode(format!("{id}{issued_at}").as_bytes());
    json!({
        "access_token": token,
        "signature": signature,
        "scope": "api",
        "instance_url": &*app.base_url,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    })
}

/// `POST /services/oauth2/token`.
pub(crate) async fn token(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = params(&uri, &body);
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (p.get("client_id").cloned(), p.get("client_secret").cloned()),
    };
    let grant = p.get("grant_type").map(String::as_str).unwrap_or_default();
    let mut auth = app.state.auth.lock();
    let app_index = client_id
        .as_deref()
        .and_then(|id| auth.apps.iter().position(|a| a.client_id == id));
    let secret_ok = |auth: &crate::auth::AuthState, i: usize| {
        client_secret.as_deref() == Some(auth.apps[i].client_secret.as_str())
    };
    let user = match grant {
        "client_credentials" => {
            if generic_login_host(&headers) || auth.login_host {
                return oauth_error("invalid_grant", "request not supported on this domain");
            }
            let Some(i) = app_index else {
                return oauth_error("invalid_client_id", "client identifier invalid");
            };
            if !secret_ok(&auth, i) {
                return oauth_error("invalid_client", "invalid client credentials");
            }
            match auth.apps[i].run_as {
                Some(user) => user,
                None => {
                    return oauth_error("invalid_grant", "no client credentials user enabled");
                }
            }
        }
        "password" => {
            let Some(i) = app_index else {
                return oauth_error("invalid_client_id", "client identifier invalid");
            };
            if !secret_ok(&auth, i) {
                return oauth_error("invalid_client", "invalid client credentials");
            }
            let username = p.get("username").map(String::as_str).unwrap_or_default();
            let password = p.get("password").map(String::as_str).unwrap_or_default();
            match auth.user_by_login(username, password) {
                Some(u) => u,
                None => return oauth_error("invalid_grant", "authentication failure"),
            }
        }
        "refresh_token" => {
            if app_index.is_none() {
                return oauth_error("invalid_client_id", "client identifier invalid");
            }
            let token = p
                .get("refresh_token")
                .map(String::as_str)
                .unwrap_or_default();
            match auth.refresh_tokens.get(token) {
                Some(&u) => u,
                None => return oauth_error("invalid_grant", "expired access/refresh token"),
            }
        }
        _ => return oauth_error("unsupported_grant_type", "grant type not supported"),
    };
    if auth.users[user].profile.is_ip_restricted() {
        return oauth_error("invalid_grant", "ip restricted");
    }
    let token = auth.open_session(user);
    drop(auth);
    json_ok(&token_body(&app, &token, user))
}

fn identity_body(app: &App, user: usize, username: &str) -> serde_json::Value {
    let user_id = ids::make("005", user);
    let base = &*app.base_url;
    // Names come from the user's own User record, so identity and queries agree.
    let (first, last, email) = {
        let data = app.state.data.read();
        let text = |field: &str| -> String {
            data.row_by_id(&user_id)
                .and_then(|(t, row)| t.def.field_index(field).and_then(|i| row[i].to_text()))
                .unwrap_or_default()
        };
        (text("FirstName"), text("LastName"), text("Email"))
    };
    json!({
        "id": format!("{base}/id/{ORG_ID}/{user_id}"),
        "asserted_user": true,
        "user_id": user_id,
        "organization_id": ORG_ID,
        "username": username,
        "nick_name": username.split('@').next().unwrap_or(username),
        "display_name": format!("{first} {last}"),
        "email": email,
        "email_verified": true,
        "first_name": first,
        "last_name": last,
        "timezone": "America/Los_Angeles",
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "urls": {
            "partner": format!("{base}/services/Soap/u/{{version}}/{}", &ORG_ID[..15]),
            "rest": format!("{base}/services/data/v{{version}}/"),
            "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
            "query": format!("{base}/services/data/v{{version}}/query/"),
        },
        "is_app_installed": true
    })
}

fn user_of(app: &App, caller: &Caller) -> (usize, String) {
    let index = ids::parse(&caller.user_id).map(|(_, i)| i).unwrap_or(0);
    let username = app
        .state
        .auth
        .lock()
        .users
        .get(index)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    (index, username)
}

/// `GET /id/{org}/{user}`: the identity URL of the token's user.
pub(crate) async fn identity(
    State(app): State<App>,
    caller: Caller,
    Path((_org, _user)): Path<(String, String)>,
) -> Response {
    let (index, username) = user_of(&app, &caller);
    json_ok(&identity_body(&app, index, &username))
}

/// `GET /services/oauth2/userinfo` (OpenID Connect shape).
pub(crate) async fn userinfo(State(app): State<App>, caller: Caller) -> Response {
    let (index, username) = user_of(&app, &caller);
    let ident = identity_body(&app, index, &username);
    json_ok(&json!({
        "sub": ident["id"],
        "user_id": ident["user_id"],
        "organization_id": ORG_ID,
        "preferred_username": username,
        "nickname": ident["nick_name"],
        "name": ident["display_name"],
        "email": ident["email"],
        "email_verified": true,
        "given_name": ident["first_name"],
        "family_name": ident["last_name"],
        "zoneinfo": "America/Los_Angeles",
        "urls": ident["urls"],
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
    }))
}
