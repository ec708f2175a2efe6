//! Faults in the middle of an extraction: no row lost, none duplicated.

use std::time::Duration;

use futures::StreamExt;
use sfdf_connector::{
    ApiType, BulkPolling, Connection, HttpSettings, PlanOptions, RetryConfig, Session, SoqlQuery,
};
use sfdf_emulator::{EmulatedOrg, Failure};

use crate::common::*;

/// Reads the first batch, injects the fault, reads the rest; compares with the org.
async fn extract_with_fault(api: ApiType, inject: impl Fn(&EmulatedOrg)) -> (Session, EmulatedOrg) {
    let org = org(3_000, 300).await;
    let session = Session::connect(&connection(&org, api)).await.unwrap();
    let query = SoqlQuery::new("Account").columns(["Id", "Name", "AnnualRevenue", "CreatedDate"]);
    let options = PlanOptions {
        partitions: 1,
        batch_size: 100,
        ..PlanOptions::default()
    };
    let plan = session.plan_with(&query, &options).await.unwrap();
    let mut stream = plan.open(0).unwrap();
    let mut batches = vec![stream.next().await.unwrap().unwrap()];
    inject(&org);
    while let Some(b) = stream.next().await {
        batches.push(b.unwrap_or_else(|e| panic!("{api}: {e}")));
    }
    assert_matches_org(
        &sorted_by_id(&concat(&batches, &plan)),
        &org_rows(&org, "Account"),
    );
    (session, org)
}

fn answered(org: &EmulatedOrg, status: u16) -> usize {
    org.requests().iter().filter(|r| r.status == status).count()
}

#[tokio::test]
async fn token_expiry_mid_extraction() {
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let (session, org) = extract_with_fault(api, |org| org.faults().expire_all_tokens()).await;
        assert!(
            session.token_renewals() >= 1,
            "{api}: the session was renewed"
        );
        assert!(
            answered(&org, 401) >= 1 || answered(&org, 500) >= 1,
            "{api}: the expired token was seen"
        );
    }
}

#[tokio::test]
async fn bursts_of_503_and_limit_errors_mid_extraction() {
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        let (_, org) = extract_with_fault(api, |org| {
            org.faults().fail_next(3, Failure::ServiceUnavailable)
        })
        .await;
        assert_eq!(answered(&org, 503), 3, "{api}");
        let (_, org) =
            extract_with_fault(api, |org| org.faults().fail_next(2, Failure::ServerError)).await;
        assert!(answered(&org, 500) >= 2, "{api}");
        let (_, org) = extract_with_fault(api, |org| {
            org.faults().fail_next(2, Failure::RequestLimitExceeded)
        })
        .await;
        assert_eq!(answered(&org, 403), 2, "{api}");
    }
}

#[tokio::test]
async fn body_cut_midway() {
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        for after in [10, 5_000] {
            let (_, org) = extract_with_fault(api, |org| org.faults().cut_next_body(after)).await;
            // The cut page was fetched again (Bulk: same locator URL; REST: same nextRecordsUrl).
            let pages: Vec<String> = org
                .requests()
                .iter()
                .filter(|r| {
                    r.method == "GET" && (r.path.contains("/results") || r.path.contains("/query"))
                })
                .map(|r| format!("{}?{}", r.path, r.query.clone().unwrap_or_default()))
                .collect();
            let distinct: std::collections::HashSet<_> = pages.iter().collect();
            let soap_posts = org
                .requests()
                .iter()
                .filter(|r| r.path.contains("/Soap/"))
                .count();
            assert!(
                pages.len() > distinct.len() || soap_posts > 3_000 / 2_000 + 1,
                "{api}: a page was fetched twice: {pages:?}"
            );
        }
    }
}

#[tokio::test]
async fn failed_bulk_job_is_created_again() {
    let org = org(1_000, 300).await;
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    org.faults()
        .fail_next_bulk_job(Some("InternalError: try again"));
    let plan = session
        .plan(&SoqlQuery::new("Account").columns(["Id", "Name"]))
        .await
        .unwrap();
    let all = concat(&collect(&plan).await, &plan);
    assert_matches_org(&sorted_by_id(&all), &org_rows(&org, "Account"));
    let creates = org
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/jobs/query"))
        .count();
    assert_eq!(creates, 2);
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_a_clear_error() {
    let org = org(100, 300).await;
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let plan = session
        .plan_with(
            &SoqlQuery::new("Account").columns(["Id"]),
            &PlanOptions {
                job_attempts: 1,
                ..PlanOptions::default()
            },
        )
        .await
        .unwrap();
    org.faults().fail_next_bulk_job(None);
    let e = plan.prepare().await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("Failed") && text.contains("Account") && text.contains("no errorMessage"),
        "{text}"
    );
    // Every partition sees the same error; no second job.
    let mut s = plan.open(1).unwrap();
    assert!(s.next().await.unwrap().is_err());
    let creates = org
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/jobs/query"))
        .count();
    assert_eq!(creates, 1);
}

#[tokio::test]
async fn nul_bytes_in_a_page() {
    let (_, org) =
        extract_with_fault(ApiType::BulkV2, |org| org.faults().nul_bytes_in_next_page()).await;
    assert!(org.requests().iter().any(|r| r.path.contains("/results")));
}

#[tokio::test]
async fn the_token_call_retries_edge_pages_and_limits_like_any_other_call() {
    for failure in [
        Failure::EdgeMaintenance,
        Failure::ConcurrentRequestLimitExceeded,
        Failure::ServiceUnavailable,
        Failure::BadGateway,
        Failure::ServerError,
    ] {
        let org = org(10, 1_000).await;
        org.faults().fail_next(2, failure);
        let session = Session::connect(&connection(&org, ApiType::Rest)).await;
        assert!(session.is_ok(), "{failure:?}: {:?}", session.err());
    }
}

#[tokio::test]
async fn an_edge_page_on_the_token_call_is_said_in_words_not_a_json_parser_s() {
    let org = org(10, 1_000).await;
    // More failures than the policy retries.
    org.faults().fail_next(50, Failure::EdgeMaintenance);
    let error = Session::connect(&connection(&org, ApiType::Rest))
        .await
        .expect_err("fails once retries run out")
        .to_string();
    assert!(error.contains("HTTP 420 with a web page"), "{error}");
    assert!(
        !error.contains("<html") && !error.contains("expected value"),
        "{error}"
    );
}

#[tokio::test]
async fn a_refused_connection_fails_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let conn = sfdf_connector::Connection::builder()
        .developer_name("gone")
        .domain_url(format!("http://127.0.0.1:{port}"))
        .client_credentials("x", "y".into())
        .http(sfdf_connector::HttpSettings {
            // Long waits: a retried refusal would take minutes.
            retry: sfdf_connector::RetryConfig {
                initial_backoff: std::time::Duration::from_secs(60),
                ..sfdf_connector::RetryConfig::default()
            },
            ..Default::default()
        })
        .build()
        .expect("valid");
    let outcome =
        tokio::time::timeout(std::time::Duration::from_secs(30), Session::connect(&conn)).await;
    let error = outcome.expect("no retry waits").expect_err("refused");
    assert!(!error.is_retryable(), "{error}");
}

#[tokio::test]
async fn retries_running_out_mid_extraction_leave_no_job_and_a_failed_delete_is_retried() {
    // Two pages of 3,000 rows, read in batches of 100: after the first batch the reader is
    // still on page 1, so the next requests are page 2's, then the job's DELETE.
    let org = org(6_000, 3_000).await;
    let conn = Connection::builder()
        .developer_name("emu")
        .domain_url(org.base_url())
        .client_credentials(org.client_id(), org.client_secret().into())
        .http(HttpSettings {
            retry: RetryConfig {
                max_retries: 2,
                ..RetryConfig::fast()
            },
            polling: BulkPolling::fast(),
            ..HttpSettings::default()
        })
        .build()
        .unwrap();
    let session = Session::connect(&conn).await.unwrap();
    let query = SoqlQuery::new("Account").columns(["Id", "Name"]);
    let options = PlanOptions {
        partitions: 1,
        batch_size: 100,
        ..PlanOptions::default()
    };
    let plan = session.plan_with(&query, &options).await.unwrap();
    let mut stream = plan.open(0).unwrap();
    stream.next().await.unwrap().unwrap();
    assert_eq!(
        org.bulk_jobs().len(),
        1,
        "the job is at the org while it is read"
    );
    // Page 2 fails its first try and both retries; the fourth failure meets the DELETE.
    org.faults().fail_next(4, Failure::ServiceUnavailable);
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("the extraction ends with the exhausted retries' error"),
        }
    };
    assert!(error.to_string().contains("503"), "{error}");
    drop(stream);
    drop(plan);
    assert_eq!(
        session.wait_for_job_cleanup(Duration::from_secs(20)).await,
        0,
        "the cleanup ends"
    );
    assert_eq!(
        org.bulk_jobs(),
        Vec::<String>::new(),
        "no job left at the org"
    );
    let deletes: Vec<u16> = org
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.status)
        .collect();
    assert_eq!(deletes, [503, 204], "the failed DELETE was sent again");
}

/// A connection to `domain_url` whose retries would wait a minute each: a failure that is
/// retried shows as a timeout.
fn without_quick_retries(
    domain_url: &str,
    id: &str,
    secret: &str,
) -> sfdf_connector::ConnectionBuilder {
    Connection::builder()
        .developer_name("emu")
        .domain_url(domain_url)
        .client_credentials(id, secret.to_owned().into())
        .http(HttpSettings {
            retry: RetryConfig {
                initial_backoff: Duration::from_secs(60),
                ..RetryConfig::default()
            },
            ..HttpSettings::default()
        })
}

#[tokio::test]
async fn an_unknown_host_fails_at_once() {
    // `.invalid` names never resolve (RFC 6761); the host must still look like an org's.
    let conn = without_quick_retries("https://sfdf-test.invalid.my.salesforce.com", "x", "y")
        .build()
        .expect("valid");
    let outcome = tokio::time::timeout(Duration::from_secs(30), Session::connect(&conn)).await;
    let error = outcome.expect("no retry waits").expect_err("unknown host");
    assert!(!error.is_retryable(), "{error}");
    assert!(error.to_string().contains("dns error"), "{error}");
}

async fn tls_org() -> (EmulatedOrg, String, String) {
    let org = EmulatedOrg::builder()
        .rows(50)
        .tls_bind("127.0.0.1:0".parse().expect("addr"))
        .start()
        .await
        .expect("org");
    let base = org.tls_base_url().expect("https listener").to_owned();
    let pem = org.tls_certificate_pem().expect("certificate").to_owned();
    (org, base, pem)
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_and_names_the_setting_that_mends_it() {
    let (org, base, _) = tls_org().await;
    let conn = without_quick_retries(&base, org.client_id(), org.client_secret())
        .build()
        .expect("valid");
    let outcome = tokio::time::timeout(Duration::from_secs(30), Session::connect(&conn)).await;
    let error = outcome.expect("no retry waits").expect_err("untrusted");
    assert!(!error.is_retryable(), "{error}");
    let text = error.to_string();
    assert!(text.contains("invalid peer certificate"), "{text}");
    assert!(text.contains("`ca_bundle`"), "{text}");
    assert_eq!(
        text.matches("invalid peer certificate").count(),
        1,
        "{text}"
    );
}

#[tokio::test]
async fn a_ca_bundle_trusts_the_emulated_org_s_certificate() {
    let (org, base, pem) = tls_org().await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("emulator.pem"), &pem).expect("writes");
    let file = dir.path().join("conn.yaml");
    // Relative to the connection file's folder.
    std::fs::write(
        &file,
        format!(
            "connection_name: TLS\ndeveloper_name: tls\ndomain_url: {base}\nclient_id: {}\nclient_secret: {}\nca_bundle: emulator.pem\n",
            org.client_id(),
            org.client_secret()
        ),
    )
    .expect("writes");
    let conn = Connection::from_yaml_file(&file).expect("valid");
    let session = Session::connect(&conn)
        .await
        .expect("trusted through ca_bundle");
    let plan = session
        .plan(&session.query_for("Account").await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        concat(&collect(&plan).await, &plan).num_rows(),
        org_rows(&org, "Account").len()
    );

    // Not a certificate: refused when the file is read, naming the setting.
    std::fs::write(dir.path().join("emulator.pem"), "not a certificate\n").expect("writes");
    let error = Connection::from_yaml_file(&file)
        .expect_err("no certificate")
        .to_string();
    assert!(
        error.contains("`ca_bundle`") && error.contains("no PEM certificate"),
        "{error}"
    );
}
