//! Bulk API 2.0 query jobs.

use std::io::Read as _;

use serde_json::{Value as Json, json};
use sfdf_emulator::EmulatedOrg;

use crate::common::{V, error_code, fixture, fixture_json, get, get_json, http, keys, org, token};

async fn create(org: &EmulatedOrg, token: &str, body: Json) -> (u16, Json) {
    let resp = http()
        .post(format!("{}/services/data/{V}/jobs/query", org.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    (resp.status().as_u16(), resp.json().await.expect("json"))
}

/// Polls until the job is terminal; returns the final job info.
async fn wait(org: &EmulatedOrg, token: &str, id: &str) -> Json {
    for _ in 0..200 {
        let (_, info) = get_json(org, token, &format!("/services/data/{V}/jobs/query/{id}")).await;
        if ["JobComplete", "Failed", "Aborted"]
            .contains(&info["state"].as_str().unwrap_or_default())
        {
            return info;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job {id} never finished");
}

fn parse_csv(text: &str, delimiter: char) -> Vec<Vec<String>> {
    // A small RFC 4180 reader: enough to check quoting, embedded delimiters and line breaks.
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, c) if c == delimiter => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn a_job_progresses_and_its_pages_cover_every_row_once() {
    let org = EmulatedOrg::builder()
        .rows(60)
        .bulk_polls_in_progress(1)
        .start()
        .await
        .expect("org");
    let token = token(&org).await;
    let (status, job) = create(&org, &token, json!({"operation": "query", "query": "SELECT Id, Name, Owner.Name, Description FROM Account"})).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["state"], "UploadComplete");
    assert_eq!(job["apiVersion"], 62.0);
    let id = job["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("750"));
    let (_, first) = get_json(&org, &token, &format!("/services/data/{V}/jobs/query/{id}")).await;
    assert_eq!(first["state"], "InProgress");
    let info = wait(&org, &token, &id).await;
    assert_eq!(info["state"], "JobComplete");
    let fixture = fixture_json("bulk2/query-job-info.JobComplete.applink.json");
    for key in keys(&fixture) {
        assert!(info.get(&key).is_some(), "job info lacks {key}");
    }
    let live = org
        .records("Account")
        .expect("records")
        .iter()
        .filter(|a| a.get("IsDeleted") == Some(&sfdf_emulator::Value::Bool(false)))
        .count();
    assert_eq!(info["numberRecordsProcessed"], live);

    let mut locator: Option<String> = None;
    let mut ids = Vec::new();
    loop {
        let mut url = format!("/services/data/{V}/jobs/query/{id}/results?maxRecords=25");
        if let Some(l) = &locator {
            url.push_str(&format!("&locator={l}"));
        }
        let resp = get(&org, &token, &url).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/csv");
        let n: usize = resp.headers()["sforce-numberofrecords"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("number");
        let next = resp.headers()["sforce-locator"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let rows = parse_csv(&resp.text().await.expect("body"), ',');
        assert_eq!(rows[0], ["Id", "Name", "Owner.Name", "Description"]);
        assert_eq!(rows.len() - 1, n);
        ids.extend(rows[1..].iter().map(|r| r[0].clone()));
        if next == "null" {
            break;
        }
        locator = Some(next);
    }
    assert_eq!(ids.len(), live);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), live, "no row twice");
}

#[tokio::test]
async fn csv_quotes_everything_and_keeps_awkward_text_intact() {
    let org = org().await;
    let token = token(&org).await;
    let (_, job) = create(&org, &token, json!({"operation": "query", "query": "SELECT Id, Description, BillingStreet, AnnualRevenue, CreatedDate, Is_Partner__c FROM Account", "columnDelimiter": "PIPE", "lineEnding": "CRLF"})).await;
    let id = job["id"].as_str().expect("id").to_owned();
    assert_eq!(job["columnDelimiter"], "PIPE");
    assert_eq!(job["lineEnding"], "CRLF");
    wait(&org, &token, &id).await;
    let resp = get(
        &org,
        &token,
        &format!("/services/data/{V}/jobs/query/{id}/results"),
    )
    .await;
    let text = resp.text().await.expect("body");
    assert!(text.starts_with("\"Id\"|\"Description\"|\"BillingStreet\""));
    assert!(text.contains("\r\n"));
    let rows = parse_csv(&text, '|');
    let records = org.records("Account").expect("records");
    for row in &rows[1..] {
        let record = records
            .iter()
            .find(|r| r.id() == row[0])
            .expect("row is an account");
        let description = record
            .get("Description")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        assert_eq!(row[1], description);
        let created = record
            .get("CreatedDate")
            .and_then(|v| v.to_text())
            .expect("created");
        assert_eq!(row[4], created);
        assert!(row[4].ends_with('Z'));
        assert!(row[5] == "true" || row[5] == "false");
    }
    assert!(
        rows.iter()
            .any(|r| r[1].contains('"') || r[1].contains('\n')),
        "data has awkward text"
    );
    // The fixture stub is unquoted; real output (and ours) quotes, but both parse to the same cells.
    let stub = fixture("bulk2/query-results.page1.applink.csv");
    assert_eq!(parse_csv(&stub, ',')[0], ["Id"]);
}

#[tokio::test]
async fn gzip_is_used_when_asked() {
    let org = org().await;
    let token = token(&org).await;
    let (_, job) = create(
        &org,
        &token,
        json!({"operation": "queryAll", "query": "SELECT Id, Name FROM Contact"}),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_owned();
    wait(&org, &token, &id).await;
    let resp = http()
        .get(format!(
            "{}/services/data/{V}/jobs/query/{id}/results",
            org.base_url()
        ))
        .bearer_auth(&token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let bytes = resp.bytes().await.expect("body");
    let mut text = String::new();
    flate2_read(&bytes, &mut text);
    assert!(text.starts_with("\"Id\",\"Name\"\n"));
}

#[tokio::test]
async fn bytes_sent_counts_what_went_on_the_wire() {
    let org = org().await;
    let token = token(&org).await;
    let (_, job) = create(
        &org,
        &token,
        json!({"operation": "query", "query": "SELECT Id, Name FROM Account"}),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_owned();
    wait(&org, &token, &id).await;
    let mut sizes = Vec::new();
    for gzip in [false, true] {
        let before = org.bytes_sent();
        let mut request = http()
            .get(format!(
                "{}/services/data/{V}/jobs/query/{id}/results",
                org.base_url()
            ))
            .bearer_auth(&token);
        if gzip {
            request = request.header("Accept-Encoding", "gzip");
        }
        let resp = request.send().await.expect("request");
        let declared = resp.content_length();
        let body = resp.bytes().await.expect("body");
        assert_eq!(declared, Some(body.len() as u64), "Content-Length is kept");
        assert_eq!(org.bytes_sent() - before, body.len() as u64);
        sizes.push(body.len());
    }
    assert!(
        sizes[1] < sizes[0],
        "gzip pages are counted compressed: {sizes:?}"
    );
}

fn flate2_read(bytes: &[u8], out: &mut String) {
    // reqwest was built without its gzip decoder here, so decode by hand.
    let mut decoder = GzDecoder::new(bytes);
    decoder.read_to_string(out).expect("valid gzip");
}

use flate2::read::GzDecoder;

#[tokio::test]
async fn bulk_restrictions_and_bad_soql_are_refused_at_create() {
    let org = org().await;
    let token = token(&org).await;
    for (soql, needle) in [
        ("SELECT Id, BillingAddress FROM Account", "compound"),
        ("SELECT COUNT() FROM Account", "Aggregate"),
        ("SELECT Id FROM Account LIMIT 5 OFFSET 2", "OFFSET"),
        (
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
            "Relationships",
        ),
    ] {
        let (status, body) =
            create(&org, &token, json!({"operation": "query", "query": soql})).await;
        assert_eq!(status, 400, "{soql}");
        assert!(
            body[0]["message"]
                .as_str()
                .expect("message")
                .contains(needle),
            "{soql}: {body}"
        );
    }
    let (status, body) = create(
        &org,
        &token,
        json!({"operation": "query", "query": "SELECT Nope FROM Account"}),
    )
    .await;
    assert_eq!((status, error_code(&body).as_str()), (400, "INVALID_FIELD"));
    let (status, body) = create(
        &org,
        &token,
        json!({"operation": "upsert", "query": "SELECT Id FROM Account"}),
    )
    .await;
    assert_eq!((status, error_code(&body).as_str()), (400, "API_ERROR"));
}

#[tokio::test]
async fn version_mismatch_delete_abort_list_and_result_pages() {
    let org = EmulatedOrg::builder()
        .rows(30)
        .page_rows(20)
        .bulk_polls_in_progress(0)
        .start()
        .await
        .expect("org");
    let token = token(&org).await;
    let (_, job) = create(
        &org,
        &token,
        json!({"operation": "query", "query": "SELECT Id FROM Contact"}),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_owned();
    wait(&org, &token, &id).await;
    let (status, body) = get_json(
        &org,
        &token,
        &format!("/services/data/v61.0/jobs/query/{id}"),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (status, pages) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/jobs/query/{id}/resultPages"),
    )
    .await;
    assert_eq!(status, 200, "{pages}");
    let links: Vec<String> = pages["resultChunks"]
        .as_array()
        .expect("chunks")
        .iter()
        .map(|c| c["resultLink"].as_str().expect("link").to_owned())
        .collect();
    assert_eq!(links.len(), 3, "60 contacts in pages of 20: {pages}");
    assert!(pages["nextRecordsUrl"].is_null());
    let mut rows = 0;
    for link in &links {
        let resp = get(&org, &token, &format!("/services/data/{V}{link}")).await;
        rows += resp.headers()["sforce-numberofrecords"]
            .to_str()
            .expect("ascii")
            .parse::<usize>()
            .expect("n");
    }
    let live = org
        .records("Contact")
        .expect("records")
        .iter()
        .filter(|c| c.get("IsDeleted") == Some(&sfdf_emulator::Value::Bool(false)))
        .count();
    assert_eq!(rows, live);

    let (_, list) = get_json(&org, &token, &format!("/services/data/{V}/jobs/query")).await;
    assert!(
        list["records"]
            .as_array()
            .expect("records")
            .iter()
            .any(|j| j["id"] == id.as_str())
    );

    let resp = http()
        .patch(format!(
            "{}/services/data/{V}/jobs/query/{id}",
            org.base_url()
        ))
        .bearer_auth(&token)
        .json(&json!({"state": "Aborted"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400, "a completed job cannot be aborted");
    let resp = http()
        .delete(format!(
            "{}/services/data/{V}/jobs/query/{id}",
            org.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.expect("body").is_empty());
    let (status, body) =
        get_json(&org, &token, &format!("/services/data/{V}/jobs/query/{id}")).await;
    assert_eq!((status, error_code(&body).as_str()), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn an_in_progress_job_can_be_aborted_and_then_deleted() {
    let org = EmulatedOrg::builder()
        .rows(10)
        .bulk_polls_in_progress(5)
        .start()
        .await
        .expect("org");
    let token = token(&org).await;
    let (_, job) = create(
        &org,
        &token,
        json!({"operation": "query", "query": "SELECT Id FROM Account"}),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_owned();
    let url = format!("{}/services/data/{V}/jobs/query/{id}", org.base_url());
    let resp = http()
        .delete(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400, "not terminated yet");
    let resp = http()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({"state": "Aborted"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(body["state"], "Aborted");
    let resp = http()
        .delete(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
}

#[tokio::test]
async fn result_pages_can_answer_the_documented_shape() {
    let org = EmulatedOrg::builder()
        .rows(30)
        .page_rows(10)
        .bulk_polls_in_progress(0)
        .result_pages_shape(sfdf_emulator::ResultPagesShape::Documented)
        .start()
        .await
        .expect("org");
    let token = token(&org).await;
    let (_, job) = create(
        &org,
        &token,
        json!({"operation": "query", "query": "SELECT Id FROM Contact"}),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_owned();
    wait(&org, &token, &id).await;
    let (_, pages) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/jobs/query/{id}/resultPages"),
    )
    .await;
    let urls = pages["resultPages"].as_array().expect("resultPages");
    assert_eq!(urls.len(), 5);
    assert_eq!(pages["done"], false);
    let next = pages["nextRecordsUrl"].as_str().expect("more").to_owned();
    assert!(next.starts_with(&format!(
        "/services/data/{V}/jobs/query/{id}/resultPages?locator="
    )));
    let first = urls[0]["resultUrl"].as_str().expect("url");
    let resp = get(&org, &token, first).await;
    assert_eq!(resp.status(), 200);
    let (_, rest) = get_json(&org, &token, &next).await;
    assert_eq!(rest["done"], true);
    assert_eq!(rest["resultPages"].as_array().map(Vec::len), Some(1));
}

/// Downloads every Account row as one Bulk page; returns the body and how long it took.
async fn account_page(org: &EmulatedOrg) -> (Vec<u8>, std::time::Duration) {
    let token = token(org).await;
    let (_, job) = create(
        org,
        &token,
        json!({"operation": "query", "query": "SELECT Id, Name, Description FROM Account"}),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_owned();
    wait(org, &token, &id).await;
    let start = std::time::Instant::now();
    let resp = get(
        org,
        &token,
        &format!("/services/data/{V}/jobs/query/{id}/results"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.expect("body").to_vec();
    (body, start.elapsed())
}

#[tokio::test]
async fn a_modelled_link_paces_bodies_without_changing_them() {
    let fast = EmulatedOrg::builder()
        .rows(3000)
        .start()
        .await
        .expect("org");
    let rate = 1_000_000;
    let slow = EmulatedOrg::builder()
        .rows(3000)
        .link_speed(rate)
        .start()
        .await
        .expect("org");
    let (expected, _) = account_page(&fast).await;
    let before = slow.bytes_sent();
    let (body, took) = account_page(&slow).await;
    assert_eq!(body, expected, "pacing must not change a byte");
    assert!(body.len() > 200_000, "a page worth pacing: {}", body.len());
    // The link can't carry the page faster than its speed (a lower bound, never flaky).
    let least = std::time::Duration::from_secs_f64(body.len() as f64 / rate as f64);
    assert!(
        took >= least.mul_f64(0.9),
        "{took:?} for {} bytes",
        body.len()
    );
    assert!(slow.bytes_sent() - before >= body.len() as u64);
    let err = EmulatedOrg::builder()
        .link_speed(0)
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("link_speed"), "{err}");
}
