//! The HTTPS listener: a self-signed certificate for 127.0.0.1 that clients can trust, and
//! `instance_url`s that stay on https.

use serde_json::Value as Json;
use sfdf_emulator::EmulatedOrg;

#[tokio::test]
async fn https_listener_serves_the_same_org_with_https_urls() {
    let org = EmulatedOrg::builder()
        .rows(20)
        .tls_bind("127.0.0.1:0".parse().expect("addr"))
        .start()
        .await
        .expect("org");
    let base = org.tls_base_url().expect("https listener").to_owned();
    assert!(base.starts_with("https://127.0.0.1:"));
    let pem = org.tls_certificate_pem().expect("certificate");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .build()
        .expect("client");
    let token: Json = client
        .post(format!("{base}/services/oauth2/token"))
        .basic_auth(org.client_id(), Some(org.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("https request")
        .json()
        .await
        .expect("json");
    assert_eq!(token["instance_url"], base.as_str());
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{base}/services/data/"))
            .send()
            .await
            .is_err()
    );
}
