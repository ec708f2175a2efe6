//! Request size limits (414/431), the SOQL statement limit, and long queries sent in a
//! Composite request's body instead.

use serde_json::{Value as Json, json};
use sfdf_emulator::EmulatedOrg;

use crate::common::{V, error_code, fixture_json, http, keys, org, query, token};

/// `SELECT Id FROM Account WHERE Name IN (…)` of about `chars` characters; the list holds
/// the org's first Account name, so exactly the rows named that match.
fn long_query(org: &EmulatedOrg, chars: usize) -> (String, String) {
    let live = org
        .records("Account")
        .unwrap()
        .into_iter()
        .find(|r| r.get("IsDeleted") != Some(&sfdf_emulator::Value::Bool(true)))
        .unwrap();
    let name = live
        .get("Name")
        .and_then(|v| match v {
            sfdf_emulator::Value::Text(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap();
    let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
    let mut soql = format!("SELECT Id FROM Account WHERE Name IN ('{escaped}'");
    let mut i = 0;
    while soql.len() < chars {
        soql.push_str(&format!(", 'no such account {i:06}'"));
        i += 1;
    }
    soql.push(')');
    (soql, escaped)
}

/// The URI a GET query of `soql` has (path and query string).
fn get_uri(soql: &str) -> String {
    let mut u = url::Url::parse("http://x/").unwrap();
    u.query_pairs_mut().append_pair("q", soql);
    format!("/services/data/{V}/query?{}", u.query().unwrap())
}

async fn composite(org: &EmulatedOrg, token: &str, version: &str, body: &Json) -> (u16, Json) {
    let resp = http()
        .post(format!(
            "{}/services/data/{version}/composite",
            org.base_url()
        ))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_uri_over_16384_bytes_answers_414_before_counting() {
    let org = org().await;
    let token = token(&org).await;
    let (soql, _) = long_query(&org, 14_000);
    let uri = get_uri(&soql);
    assert!(uri.len() > 16_384, "{}", uri.len());
    let used = org.api_requests_used();
    let resp = http()
        .get(format!("{}{uri}", org.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 414);
    assert!(resp.text().await.unwrap().contains("414 URI Too Long"));
    assert_eq!(
        org.api_requests_used(),
        used,
        "an edge refusal is not an API call"
    );
    let logged = org.requests().pop().unwrap();
    assert_eq!(logged.status, 414);
    assert_eq!(logged.soql.as_deref(), Some(soql.as_str()));
}

#[tokio::test]
async fn uri_and_headers_over_16384_bytes_answer_431() {
    let org = org().await;
    let token = token(&org).await;
    let (soql, _) = long_query(&org, 4_000);
    let uri = get_uri(&soql);
    assert!(uri.len() < 16_384);
    let pad = "x".repeat(16_384 - uri.len());
    let resp = http()
        .get(format!("{}{uri}", org.base_url()))
        .bearer_auth(&token)
        .header("X-Padding", &pad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 431);
    // The same URI with ordinary headers is fine.
    let (status, body) = query(&org, &token, &soql).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["totalSize"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn a_long_query_runs_in_a_composite_request_body() {
    let org = org().await;
    let token = token(&org).await;
    let (soql, name) = long_query(&org, 20_000);
    assert!(get_uri(&soql).len() > 16_384);
    let request = json!({
        "allOrNone": false,
        "compositeRequest": [
            {"method": "GET", "url": get_uri(&soql), "referenceId": "long"},
            {"method": "GET", "url": format!("/services/data/{V}/query?q=SELECT+Id+FROM+Nope"), "referenceId": "bad"},
        ]
    });
    let (status, body) = composite(&org, &token, V, &request).await;
    assert_eq!(status, 200, "{body}");
    let fixture = fixture_json("sobject/composite.count-queries-with-INVALID_TYPE.cumulusci.json");
    assert_eq!(keys(&body), keys(&fixture));
    let entries = body["compositeResponse"].as_array().unwrap();
    let fixture_entries = fixture["compositeResponse"].as_array().unwrap();
    assert_eq!(keys(&entries[0]), keys(&fixture_entries[0]));
    assert_eq!(entries[0]["referenceId"], "long");
    assert_eq!(entries[0]["httpStatusCode"], 200);
    let logged = org.requests().pop().unwrap();
    assert_eq!((logged.method.as_str(), logged.status), ("POST", 200));
    assert_eq!(logged.soql.as_deref(), Some(soql.as_str()));
    // The same rows as the short query naming only that Account.
    let (_, short) = query(
        &org,
        &token,
        &format!("SELECT Id FROM Account WHERE Name = '{name}'"),
    )
    .await;
    assert_eq!(entries[0]["body"]["totalSize"], short["totalSize"]);
    assert_eq!(entries[0]["body"]["records"], short["records"]);
    // A failing subrequest answers inside, as the fixture's second entry does.
    assert_eq!(entries[1]["httpStatusCode"], 400);
    assert_eq!(error_code(&entries[1]["body"]), "INVALID_TYPE");
    // allOrNone: the good subrequest is halted too.
    let mut all = request.clone();
    all["allOrNone"] = json!(true);
    let (_, body) = composite(&org, &token, V, &all).await;
    let first = &body["compositeResponse"][0];
    assert_eq!(first["httpStatusCode"], 400);
    assert_eq!(error_code(&first["body"]), "PROCESSING_HALTED");
}

#[tokio::test]
async fn composite_pages_continue_with_next_records_url() {
    let org = org().await;
    let token = token(&org).await;
    let request = json!({"compositeRequest": [{
        "method": "GET",
        "url": format!("/services/data/{V}/queryAll?q=SELECT+Id+FROM+Contact"),
        "referenceId": "q",
        "httpHeaders": {"Sforce-Query-Options": "batchSize=200"},
    }]});
    let (_, body) = composite(&org, &token, V, &request).await;
    let page = &body["compositeResponse"][0]["body"];
    assert_eq!(page["records"].as_array().unwrap().len(), 200);
    let next = page["nextRecordsUrl"].as_str().unwrap();
    let (status, rest) = crate::common::get_json(&org, &token, next).await;
    assert_eq!(status, 200, "{rest}");
    assert!(!rest["records"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn composite_needs_api_42() {
    let org = org().await;
    let token = token(&org).await;
    let request = json!({"compositeRequest": [{"method": "GET", "url": "/services/data/v41.0/query?q=SELECT+Id+FROM+Account", "referenceId": "q"}]});
    let (status, body) = composite(&org, &token, "v41.0", &request).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "NOT_FOUND");
    let (status, _) = composite(&org, &token, "v42.0", &request).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn statements_over_100000_characters_are_refused_by_every_api() {
    let org = org().await;
    let token = token(&org).await;
    let (soql, _) = long_query(&org, 100_001);
    let (ok_soql, _) = long_query(&org, 99_000);
    for (text, refused) in [(&soql, true), (&ok_soql, false)] {
        let request = json!({"compositeRequest": [{"method": "GET", "url": get_uri(text), "referenceId": "q"}]});
        let (_, body) = composite(&org, &token, V, &request).await;
        let entry = &body["compositeResponse"][0];
        if refused {
            assert_eq!(entry["httpStatusCode"], 400);
            assert_eq!(error_code(&entry["body"]), "MALFORMED_QUERY");
            let message = entry["body"][0]["message"].as_str().unwrap();
            assert!(message.contains("100000 characters"), "{message}");
        } else {
            assert_eq!(entry["httpStatusCode"], 200, "{entry}");
        }
    }
    let resp = http()
        .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
        .bearer_auth(&token)
        .json(&json!({"operation": "query", "query": soql}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "MALFORMED_QUERY");

    let envelope = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>{token}</urn:sessionId></urn:SessionHeader></soapenv:Header><soapenv:Body><urn:query><urn:queryString>{soql}</urn:queryString></urn:query></soapenv:Body></soapenv:Envelope>"#
    );
    let resp = http()
        .post(format!("{}/services/Soap/u/62.0", org.base_url()))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "query")
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let fault = resp.text().await.unwrap();
    assert!(
        fault.contains("MALFORMED_QUERY") && fault.contains("100000 characters"),
        "{fault}"
    );
}
