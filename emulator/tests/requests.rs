//! How requests reach the org: repeated slashes in paths, compressed request bodies
//! (gzip, deflate) on SOAP and REST, and the answer to an encoding the org does not read.

use std::io::Write;

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use serde_json::Value as Json;

use crate::common::{V, error_code, http, org, query, token};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("zlib");
    enc.finish().expect("zlib")
}

fn raw_deflate(bytes: &[u8]) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("deflate");
    enc.finish().expect("deflate")
}

fn login_envelope(user: &str, password: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header/><soapenv:Body><urn:login><urn:username>{user}</urn:username><urn:password>{password}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>"#
    )
}

#[tokio::test]
async fn repeated_slashes_in_a_path_count_as_one() {
    let org = org().await;
    let token = token(&org).await;
    let (_, plain) = query(&org, &token, "SELECT Id, Name FROM Account").await;
    // The Salesforce CLI keeps the instance URL with a trailing slash.
    for path in [
        format!("//services/data/{V}/query"),
        format!("/services//data/{V}//query"),
        format!("///services/data///{V}/query/"),
    ] {
        let resp = http()
            .get(format!("{}{path}", org.base_url()))
            .query(&[("q", "SELECT Id, Name FROM Account")])
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200, "{path}");
        let body: Json = resp.json().await.expect("json");
        assert_eq!(body["totalSize"], plain["totalSize"], "{path}");
        assert_eq!(body["records"], plain["records"], "{path}");
    }
    let versions = http()
        .get(format!("{}//services/data", org.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(versions.status(), 200);
    let token_resp = http()
        .post(format!("{}//services/oauth2/token", org.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", org.client_id()),
            ("client_secret", org.client_secret()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(token_resp.status(), 200);
    // Only slashes collapse: a path that does not exist is still missing.
    let missing = http()
        .get(format!("{}//services/data/{V}/nothing", org.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn soap_login_reads_gzip_and_deflate_bodies() {
    let org = org().await;
    let envelope = login_envelope(org.username(), org.password());
    for (encoding, body) in [
        ("gzip", gzip(envelope.as_bytes())),
        ("GZIP", gzip(envelope.as_bytes())),
        ("deflate", zlib(envelope.as_bytes())),
        ("deflate", raw_deflate(envelope.as_bytes())),
        ("identity", envelope.clone().into_bytes()),
    ] {
        let resp = http()
            .post(format!("{}/services/Soap/u/62.0", org.base_url()))
            .header("Content-Type", "text/xml; charset=UTF-8")
            .header("SOAPAction", "login")
            .header("Content-Encoding", encoding)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, 200, "{encoding}: {text}");
        assert!(text.contains("<sessionId>"), "{encoding}: {text}");
    }
}

#[tokio::test]
async fn rest_reads_compressed_bodies() {
    let org = org().await;
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        org.client_id(),
        org.client_secret()
    );
    let resp = http()
        .post(format!("{}/services/oauth2/token", org.base_url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Content-Encoding", "gzip")
        .body(gzip(form.as_bytes()))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let token = resp.json::<Json>().await.expect("json")["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let job = serde_json::json!({"operation": "query", "query": "SELECT Id FROM Account"});
    let resp = http()
        .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "deflate")
        .body(zlib(job.to_string().as_bytes()))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(body["operation"], "query");
    assert_eq!(body["object"], "Account");
}

#[tokio::test]
async fn unsupported_or_broken_encodings_are_refused() {
    let org = org().await;
    let token = token(&org).await;
    let job = serde_json::json!({"operation": "query", "query": "SELECT Id FROM Account"});
    let bulk = |encoding: &'static str, body: Vec<u8>| {
        http()
            .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", encoding)
            .body(body)
            .send()
    };
    let resp = bulk("br", job.to_string().into_bytes())
        .await
        .expect("request");
    assert_eq!(resp.status(), 415);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(error_code(&body), "UNSUPPORTED_MEDIA_TYPE");
    assert!(
        body[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'br'"),
        "{body}"
    );

    let resp = bulk("gzip", b"not gzip at all".to_vec())
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.expect("json");
    assert!(
        body[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("gzip"),
        "{body}"
    );

    // No job was made by the refused requests.
    let (status, jobs) =
        crate::common::get_json(&org, &token, &format!("/services/data/{V}/jobs/query")).await;
    assert_eq!(status, 200);
    assert_eq!(jobs["records"].as_array().map(Vec::len), Some(0), "{jobs}");

    let resp = http()
        .post(format!("{}/services/Soap/u/62.0", org.base_url()))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "login")
        .header("Content-Encoding", "zstd")
        .body(login_envelope(org.username(), org.password()))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 500);
    let text = resp.text().await.expect("body");
    assert!(
        text.contains("<faultcode>soapenv:Client</faultcode>"),
        "{text}"
    );
    assert!(
        text.contains("Content-Encoding of &apos;zstd&apos;"),
        "{text}"
    );
}

#[tokio::test]
async fn a_body_that_inflates_past_the_limit_is_refused() {
    let org = org().await;
    let token = token(&org).await;
    // One byte over the 2 MiB cap on a decompressed body (docs/emulator.md).
    let huge = vec![b' '; 2 * 1024 * 1024 + 1];
    let resp = http()
        .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(gzip(&huge))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.expect("json");
    assert!(
        body[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("more than"),
        "{body}"
    );
}
