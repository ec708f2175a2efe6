//! Fault injection, from the handle and over the admin endpoint; the request log.

use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use sfdf_emulator::{Api, Failure};

use crate::common::{V, error_code, get, get_json, http, org, query, token};

#[tokio::test]
async fn fail_next_answers_5xx_html_and_request_limit_then_recovers() {
    let org = org().await;
    let token = token(&org).await;
    let path = format!("/services/data/{V}/limits");
    org.faults().fail_next(1, Failure::ServerError);
    org.faults().fail_next(1, Failure::ServiceUnavailable);
    org.faults().fail_next(1, Failure::RequestLimitExceeded);
    let (status, body) = get_json(&org, &token, &path).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (500, "UNKNOWN_EXCEPTION")
    );
    let resp = get(&org, &token, &path).await;
    assert_eq!(resp.status(), 503);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let (status, body) = get_json(&org, &token, &path).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (403, "REQUEST_LIMIT_EXCEEDED")
    );
    let (status, _) = get_json(&org, &token, &path).await;
    assert_eq!(status, 200);
    org.faults()
        .fail_next(1, Failure::ConcurrentRequestLimitExceeded);
    org.faults().fail_next(1, Failure::BadGateway);
    org.faults().fail_next(1, Failure::EdgeMaintenance);
    let (status, body) = get_json(&org, &token, &path).await;
    assert_eq!(
        (status, body[0]["message"].as_str()),
        (403, Some("ConcurrentPerOrgLongTxn Limit exceeded."))
    );
    assert_eq!(get(&org, &token, &path).await.status(), 502);
    assert_eq!(get(&org, &token, &path).await.status(), 420);
}

#[tokio::test]
async fn expired_tokens_fail_mid_pagination_and_a_new_token_continues() {
    let org = org().await;
    let token1 = token(&org).await;
    let resp = http()
        .get(format!("{}/services/data/{V}/query", org.base_url()))
        .query(&[("q", "SELECT Id FROM Contact")])
        .header("Sforce-Query-Options", "batchSize=200")
        .bearer_auth(&token1)
        .send()
        .await
        .expect("request");
    let page: Json = resp.json().await.expect("json");
    let next = page["nextRecordsUrl"]
        .as_str()
        .expect("more pages")
        .to_owned();
    org.faults().expire_all_tokens();
    let (status, body) = get_json(&org, &token1, &next).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (401, "INVALID_SESSION_ID")
    );
    let token2 = token(&org).await;
    let (status, _) = get_json(&org, &token2, &next).await;
    assert_eq!(status, 200);
    org.faults().expire_query_cursors();
    let (status, body) = get_json(&org, &token2, &next).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "INVALID_QUERY_LOCATOR")
    );
}

#[tokio::test]
async fn a_forced_bulk_failure_shows_with_or_without_error_message() {
    let org = org().await;
    let token = token(&org).await;
    for message in [Some("InternalServerError: retried 15 times"), None] {
        org.faults().fail_next_bulk_job(message);
        let resp = http()
            .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
            .bearer_auth(&token)
            .json(&json!({"operation": "query", "query": "SELECT Id FROM Account"}))
            .send()
            .await
            .expect("request");
        let job: Json = resp.json().await.expect("json");
        let id = job["id"].as_str().expect("id");
        let mut info = Json::Null;
        for _ in 0..100 {
            info = get_json(&org, &token, &format!("/services/data/{V}/jobs/query/{id}"))
                .await
                .1;
            if info["state"] == "Failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(info["state"], "Failed");
        assert_eq!(info.get("errorMessage").and_then(Json::as_str), message);
    }
}

#[tokio::test]
async fn slow_pages_and_cut_bodies() {
    let org = org().await;
    let token = token(&org).await;
    org.faults().slow_pages(Duration::from_millis(300));
    let t = Instant::now();
    let (status, _) = query(&org, &token, "SELECT Id FROM Account").await;
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    org.faults().clear();
    org.faults().cut_next_body(40);
    let resp = http()
        .get(format!("{}/services/data/{V}/query", org.base_url()))
        .query(&[("q", "SELECT Id, Name FROM Account")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "the body stops midway");
    let (status, _) = query(&org, &token, "SELECT Id FROM Account").await;
    assert_eq!(status, 200, "only the next body is cut");
}

#[tokio::test]
async fn the_admin_endpoint_drives_faults_and_shows_the_log() {
    let org = org().await;
    let token = token(&org).await;
    let admin = format!("{}/__emulator", org.base_url());
    let resp = http()
        .post(format!("{admin}/faults/fail-next"))
        .json(&json!({"count": 1, "failure": "request_limit_exceeded"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
    let (status, _) = query(&org, &token, "SELECT Id FROM Account").await;
    assert_eq!(status, 403);
    let resp = http()
        .post(format!("{admin}/faults/fail-next"))
        .json(&json!({"count": "x"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    http()
        .post(format!("{admin}/faults/expire-tokens"))
        .send()
        .await
        .expect("request");
    let (status, _) = query(&org, &token, "SELECT Id FROM Account").await;
    assert_eq!(status, 401);
    let resp = http()
        .get(format!("{admin}/requests"))
        .send()
        .await
        .expect("request");
    let log: Json = resp.json().await.expect("json");
    let soql: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|r| r["soql"].as_str())
        .collect();
    assert!(soql.contains(&"SELECT Id FROM Account"));

    let requests = org.requests();
    let last_query = requests
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/query"))
        .expect("logged");
    assert_eq!(last_query.api, Api::Rest);
    assert_eq!(last_query.status, 401);
    assert_eq!(last_query.soql.as_deref(), Some("SELECT Id FROM Account"));
    assert!(
        requests
            .iter()
            .any(|r| r.api == Api::OAuth && r.status == 200)
    );
    org.clear_requests();
    assert!(org.requests().is_empty());
}

#[tokio::test]
async fn nul_bytes_in_the_next_bulk_page_strip_to_the_clean_csv() {
    let org = org().await;
    let token = token(&org).await;
    let resp = http()
        .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
        .bearer_auth(&token)
        .json(&json!({"operation": "query", "query": "SELECT Id, Name FROM Account"}))
        .send()
        .await
        .expect("request");
    let job: Json = resp.json().await.expect("json");
    let id = job["id"].as_str().expect("id").to_owned();
    let url = format!("/services/data/{V}/jobs/query/{id}/results");
    for _ in 0..100 {
        let (_, info) =
            get_json(&org, &token, &format!("/services/data/{V}/jobs/query/{id}")).await;
        if info["state"] == "JobComplete" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let clean = get(&org, &token, &url).await.bytes().await.expect("body");
    assert!(!clean.contains(&0));
    org.faults().nul_bytes_in_next_page();
    let dirty = get(&org, &token, &url).await.bytes().await.expect("body");
    assert!(dirty.contains(&0));
    let stripped: Vec<u8> = dirty.iter().copied().filter(|&b| b != 0).collect();
    assert_eq!(stripped, clean.to_vec());
    let again = get(&org, &token, &url).await.bytes().await.expect("body");
    assert_eq!(again, clean, "only the next page");
}

#[tokio::test]
async fn every_admin_endpoint_takes_effect() {
    let org = org().await;
    let token = token(&org).await;
    let admin = format!("{}/__emulator", org.base_url());
    let post = |path: &str, body: Json| {
        let url = format!("{admin}{path}");
        async move {
            http()
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        }
    };

    assert_eq!(
        post("/faults/slow-pages", json!({"delay_ms": 250})).await,
        204
    );
    let t = Instant::now();
    query(&org, &token, "SELECT Id FROM Account LIMIT 1").await;
    assert!(t.elapsed() >= Duration::from_millis(250));
    let resp = http()
        .delete(format!("{admin}/faults"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
    let t = Instant::now();
    query(&org, &token, "SELECT Id FROM Account LIMIT 1").await;
    assert!(
        t.elapsed() < Duration::from_millis(250),
        "DELETE /faults cleared the delay"
    );

    assert_eq!(
        post("/faults/cut-next-body", json!({"after_bytes": 10})).await,
        204
    );
    let resp = http()
        .get(format!("{}/services/data/{V}/query", org.base_url()))
        .query(&[("q", "SELECT Id, Name FROM Account")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("headers");
    assert!(resp.bytes().await.is_err());

    // Two jobs in a row fail (`count`), as a query the org keeps failing.
    assert_eq!(
        post("/faults/fail-next-bulk-job", json!({"count": 2})).await,
        204
    );
    for _ in 0..2 {
        let job: Json = http()
            .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
            .bearer_auth(&token)
            .json(&json!({"operation": "query", "query": "SELECT Id FROM Account"}))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let id = job["id"].as_str().expect("id").to_owned();
        let mut state = Json::Null;
        for _ in 0..100 {
            state = get_json(&org, &token, &format!("/services/data/{V}/jobs/query/{id}"))
                .await
                .1["state"]
                .clone();
            if state == "Failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(state, "Failed");
    }

    let resp = http()
        .post(format!("{}/services/data/{V}/query", org.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 405, "query is GET only");
    let body: Json = resp.json().await.expect("json");
    assert_eq!(error_code(&body), "METHOD_NOT_ALLOWED");

    let q = "SELECT Id, Name FROM Contact";
    let resp = http()
        .get(format!("{}/services/data/{V}/query", org.base_url()))
        .query(&[("q", q)])
        .header("Sforce-Query-Options", "batchSize=200")
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let page: Json = resp.json().await.expect("json");
    let next = page["nextRecordsUrl"].as_str().expect("more").to_owned();
    assert_eq!(post("/faults/expire-query-cursors", json!({})).await, 204);
    let (status, _) = get_json(&org, &token, &next).await;
    assert_eq!(status, 400);

    assert_eq!(post("/soap-login", json!({"enabled": false})).await, 204);
    let login = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login><urn:username>{}</urn:username><urn:password>{}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>"#,
        org.username(),
        org.password()
    );
    let resp = http()
        .post(format!("{}/services/Soap/u/59.0", org.base_url()))
        .body(login)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 500);

    let deleted = org
        .records("Account")
        .expect("records")
        .iter()
        .filter(|a| a.get("IsDeleted") == Some(&sfdf_emulator::Value::Bool(true)))
        .count();
    let resp = http()
        .post(format!("{admin}/recycle-bin/empty"))
        .send()
        .await
        .expect("request");
    let body: Json = resp.json().await.expect("json");
    assert!(body["purged"].as_u64().expect("purged") >= deleted as u64);
    assert!(
        org.records("Account")
            .expect("records")
            .iter()
            .all(|a| a.get("IsDeleted") != Some(&sfdf_emulator::Value::Bool(true)))
    );

    let resp = http()
        .delete(format!("{admin}/requests"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
    assert!(
        org.requests().len() <= 1,
        "only the DELETE itself may be logged"
    );
}
