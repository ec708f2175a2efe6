//! Helpers shared by the test modules.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use sfdf_emulator::EmulatedOrg;

pub(crate) const V: &str = "v62.0";

/// A small org: quick in debug builds.
pub(crate) async fn org() -> EmulatedOrg {
    EmulatedOrg::builder()
        .rows(150)
        .seed(7)
        .bulk_polls_in_progress(0)
        .start()
        .await
        .expect("the org starts")
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client")
}

/// An access token via the client credentials flow.
pub(crate) async fn token(org: &EmulatedOrg) -> String {
    let resp = http()
        .post(format!("{}/services/oauth2/token", org.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", org.client_id()),
            ("client_secret", org.client_secret()),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let body: Json = resp.json().await.expect("json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub(crate) async fn get(org: &EmulatedOrg, token: &str, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", org.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

pub(crate) async fn get_json(org: &EmulatedOrg, token: &str, path: &str) -> (u16, Json) {
    let resp = get(org, token, path).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

pub(crate) async fn query(org: &EmulatedOrg, token: &str, soql: &str) -> (u16, Json) {
    let resp = http()
        .get(format!("{}/services/data/{V}/query", org.base_url()))
        .query(&[("q", soql)])
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

pub(crate) fn fixture(path: &str) -> String {
    sfdf_fixtures::text(path)
}

pub(crate) fn fixture_json(path: &str) -> Json {
    serde_json::from_str(&fixture(path)).expect("fixture is JSON")
}

pub(crate) fn keys(v: &Json) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The JSON type name of a value, for shape comparisons.
pub(crate) fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// The body of a REST error: `[{"message", "errorCode"}]`; returns the code.
pub(crate) fn error_code(body: &Json) -> String {
    let first = &body.as_array().expect("error bodies are arrays")[0];
    assert!(first["message"].is_string(), "error has a message: {body}");
    first["errorCode"].as_str().expect("errorCode").to_owned()
}
