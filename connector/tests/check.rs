//! `connection test`: every failure explanation, each with the emulator fault behind it.

use sfdf_connector::{ApiType, Connection, StepStatus, test_connection};
use sfdf_emulator::{EmulatedOrg, Profile};

use crate::common::*;

fn oauth(domain: &str, id: &str, secret: &str) -> Connection {
    Connection::builder()
        .developer_name("t")
        .domain_url(domain)
        .client_credentials(id, secret.into())
        .api_version("62.0")
        .http(sfdf_connector::HttpSettings {
            retry: sfdf_connector::RetryConfig {
                max_retries: 1,
                ..sfdf_connector::RetryConfig::fast()
            },
            polling: sfdf_connector::BulkPolling::fast(),
            ..Default::default()
        })
        .build()
        .unwrap()
}

/// Runs the test and returns (failed step, causes joined).
async fn failure(conn: &Connection) -> (String, String) {
    let report = test_connection(conn).await;
    assert!(!report.passed());
    let f = report.failure().expect("a failed step");
    let after: Vec<_> = report
        .steps
        .iter()
        .skip_while(|s| s.name != f.name)
        .skip(1)
        .collect();
    assert!(after.iter().all(|s| s.status == StepStatus::Skipped));
    (f.name.to_string(), f.likely_causes.join(" | "))
}

#[tokio::test]
async fn a_good_connection_passes_every_step() {
    for api in [ApiType::BulkV2, ApiType::Soap, ApiType::Rest] {
        let org = org(20, 1_000).await;
        let report = test_connection(&connection(&org, api)).await;
        assert!(report.passed(), "{report:#?}");
        let names: Vec<_> = report.steps.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["token", "identity", "API access", "objects", "query"]
        );
        assert!(
            report.steps[4].detail.contains("1 row"),
            "{}",
            report.steps[4].detail
        );
    }
}

#[tokio::test]
async fn wrong_client_id_or_secret() {
    let org = org(5, 100).await;
    let conn = oauth(org.base_url(), org.client_id(), "wrong-SECRET-123");
    let report = test_connection(&conn).await;
    assert!(
        !format!("{report:?} {conn:?}").contains("wrong-SECRET-123"),
        "the secret never reaches reports or Debug"
    );
    let (step, causes) = failure(&conn).await;
    assert_eq!(step, "token");
    assert!(
        causes.contains("Wrong client id or client secret"),
        "{causes}"
    );
    let (_, causes) = failure(&oauth(org.base_url(), "nobody", org.client_secret())).await;
    assert!(
        causes.contains("Wrong client id or client secret"),
        "{causes}"
    );
}

#[tokio::test]
async fn client_credentials_flow_off_or_no_run_as_user() {
    let org = EmulatedOrg::builder()
        .rows(5)
        .client_app_without_run_as_user("app2", "s2")
        .start()
        .await
        .unwrap();
    let (step, causes) = failure(&oauth(org.base_url(), "app2", "s2")).await;
    assert_eq!(step, "token");
    assert!(causes.contains("Run As"), "{causes}");
}

#[tokio::test]
async fn wrong_or_non_my_domain_url() {
    let org = EmulatedOrg::builder()
        .rows(5)
        .login_host(true)
        .start()
        .await
        .unwrap();
    let (step, causes) =
        failure(&oauth(org.base_url(), org.client_id(), org.client_secret())).await;
    assert_eq!(step, "token");
    assert!(causes.contains("My Domain"), "{causes}");
}

#[tokio::test]
async fn api_access_disabled() {
    let org = EmulatedOrg::builder()
        .rows(5)
        .client_app("noapi", "s", Profile::new("No API").without_api_access())
        .start()
        .await
        .unwrap();
    let (step, causes) = failure(&oauth(org.base_url(), "noapi", "s")).await;
    assert_ne!(step, "token");
    assert!(causes.contains("API Enabled"), "{causes}");
}

#[tokio::test]
async fn ip_restrictions() {
    let org = EmulatedOrg::builder()
        .rows(5)
        .client_app("ipapp", "s", Profile::new("Restricted").ip_restricted())
        .user(
            "ipuser@example.com",
            "pw",
            Profile::new("Restricted").ip_restricted(),
        )
        .start()
        .await
        .unwrap();
    let (step, causes) = failure(&oauth(org.base_url(), "ipapp", "s")).await;
    assert_eq!(step, "token");
    assert!(causes.contains("IP"), "{causes}");
    let pw = password(org.base_url(), "ipuser@example.com", "pw");
    let (_, causes) = failure(&pw).await;
    assert!(causes.contains("IP restrictions"), "{causes}");
}

fn password(domain: &str, user: &str, pw: &str) -> Connection {
    Connection::builder()
        .developer_name("t")
        .domain_url(domain)
        .service_url(domain)
        .password_login(user, pw.into(), None)
        .api_version("62.0")
        .api_type(ApiType::Soap)
        .build()
        .unwrap()
}

#[tokio::test]
async fn password_login_works_but_warns_and_can_be_retired() {
    let org = org(5, 100).await;
    let conn = password(org.base_url(), org.username(), org.password());
    let report = test_connection(&conn).await;
    assert!(report.passed(), "{report:#?}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("deprecated") && w.contains("oauth"))
    );
    let (_, causes) = failure(&password(org.base_url(), org.username(), "wrong")).await;
    assert!(
        causes.contains("Wrong username, password or security token"),
        "{causes}"
    );
    org.faults().set_soap_login_enabled(false);
    let (step, causes) = failure(&conn).await;
    assert_eq!(step, "token");
    assert!(
        causes.contains("retired") && causes.contains("oauth"),
        "{causes}"
    );
}

#[tokio::test]
async fn api_version_not_offered() {
    let org = org(5, 100).await;
    let conn = Connection::builder()
        .developer_name("t")
        .domain_url(org.base_url())
        .client_credentials(org.client_id(), org.client_secret().into())
        .api_version("99.0")
        .build()
        .unwrap();
    let (step, causes) = failure(&conn).await;
    assert_eq!(step, "API access");
    assert!(
        causes.contains("99.0") && causes.contains("not offered"),
        "{causes}"
    );
}

#[tokio::test]
async fn network_and_tls_failures() {
    // Nothing listens on port 1.
    let (step, causes) = failure(&oauth("http://127.0.0.1:1", "a", "b")).await;
    assert_eq!(step, "token");
    assert!(causes.contains("Network"), "{causes}");
    // The emulator's self-signed certificate is not trusted.
    let org = EmulatedOrg::builder()
        .rows(5)
        .tls_bind("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let tls = org.tls_base_url().unwrap().to_string();
    let (step, causes) = failure(&oauth(&tls, org.client_id(), org.client_secret())).await;
    assert_eq!(step, "token");
    assert!(causes.contains("TLS"), "{causes}");
}

#[tokio::test]
async fn the_query_step_runs_each_configured_object_s_real_query() {
    let org = org(20, 1_000).await;
    let with = |objects: Vec<sfdf_connector::ObjectSelection>| {
        let mut builder = Connection::builder()
            .developer_name("t")
            .domain_url(org.base_url())
            .client_credentials(org.client_id(), org.client_secret().into())
            .api_type(ApiType::Rest);
        for o in objects {
            builder = builder.object(o);
        }
        builder.build().unwrap()
    };
    use sfdf_connector::ObjectSelection;
    let good = with(vec![
        ObjectSelection::new("Account")
            .fields(["Id", "Name"])
            .filter("Industry != null"),
        ObjectSelection::new("Contact").fields(["Id", "LastName"]),
    ]);
    let report = test_connection(&good).await;
    assert!(report.passed(), "{report:#?}");
    let detail = &report.steps[4].detail;
    assert!(
        detail.contains("SELECT Id, Name FROM Account WHERE Industry != null LIMIT 1")
            || detail.contains("SELECT Id, Name FROM Account WHERE Industry != NULL LIMIT 1"),
        "{detail}"
    );
    assert!(detail.contains("FROM Contact"), "{detail}");

    for (selection, bad) in [
        (
            ObjectSelection::new("Contact").fields(["Id", "LastNmae"]),
            "LastNmae",
        ),
        (
            ObjectSelection::new("Account").filter("Industy = 'Energy'"),
            "Industy",
        ),
    ] {
        let report = test_connection(&with(vec![selection])).await;
        let failed = report.failure().expect("the query step fails");
        assert_eq!(failed.name, "query", "{report:#?}");
        assert!(failed.detail.contains(bad), "{}", failed.detail);
    }
}
