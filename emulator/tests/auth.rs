//! OAuth token endpoint, sessions, profiles.

use std::time::Duration;

use serde_json::Value as Json;
use sfdf_emulator::{EmulatedOrg, Profile};

use crate::common::{V, error_code, fixture_json, get, get_json, http, keys, org, token};

async fn token_request(org: &EmulatedOrg, form: &[(&str, &str)]) -> (u16, Json) {
    let resp = http()
        .post(format!("{}/services/oauth2/token", org.base_url()))
        .form(form)
        .send()
        .await
        .expect("request");
    (resp.status().as_u16(), resp.json().await.expect("json"))
}

#[tokio::test]
async fn client_credentials_in_the_form_give_the_documented_token_body() {
    let org = org().await;
    let (status, body) = token_request(
        &org,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", org.client_id()),
            ("client_secret", org.client_secret()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // The fixture (an older password-grant sample) lacks token_type/scope; modern bodies add them.
    let fixture = fixture_json("oauth/token.password-grant.success.restforce.json");
    for key in keys(&fixture) {
        assert!(
            body.get(&key).is_some_and(Json::is_string),
            "{key} in {body}"
        );
    }
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], org.base_url());
    assert!(
        body["issued_at"]
            .as_str()
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.ends_with(&org.user_id()))
    );
    assert!(body.get("refresh_token").is_none() && body.get("expires_in").is_none());
}

#[tokio::test]
async fn client_credentials_by_http_basic_work_too() {
    let org = org().await;
    let resp = http()
        .post(format!("{}/services/oauth2/token", org.base_url()))
        .basic_auth(org.client_id(), Some(org.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let body: Json = resp.json().await.expect("json");
    let token = body["access_token"].as_str().expect("token");
    let (status, _) = get_json(&org, token, &format!("/services/data/{V}/limits")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn token_errors_use_the_oauth_error_shape() {
    let org = org().await;
    let fixture = fixture_json("oauth/token.error.invalid_grant.restforce.json");
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case<'_>; 4] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", "x"),
            ],
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", org.client_id()),
                ("client_secret", "wrong"),
            ],
            "invalid_client",
            "invalid client credentials",
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", org.client_id()),
                ("client_secret", org.client_secret()),
                ("username", org.username()),
                ("password", "bad"),
            ],
            "invalid_grant",
            "authentication failure",
        ),
        (
            &[("grant_type", "magic")],
            "unsupported_grant_type",
            "grant type not supported",
        ),
    ];
    for (form, error, description) in cases {
        let (status, body) = token_request(&org, form).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(keys(&body), keys(&fixture));
        assert_eq!(body["error"], error);
        assert_eq!(body["error_description"], description);
    }
}

#[tokio::test]
async fn client_credentials_on_the_generic_login_host_are_refused() {
    let org = org().await;
    let resp = http()
        .post(format!("{}/services/oauth2/token", org.base_url()))
        .header("Host", "login.salesforce.com")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", org.client_id()),
            ("client_secret", org.client_secret()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "request not supported on this domain"
    );
}

#[tokio::test]
async fn password_and_refresh_token_grants_issue_working_tokens() {
    let org = org().await;
    let (status, body) = token_request(
        &org,
        &[
            ("grant_type", "password"),
            ("client_id", org.client_id()),
            ("client_secret", org.client_secret()),
            ("username", org.username()),
            ("password", org.password()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refresh = org.refresh_token();
    let (status, body) = token_request(
        &org,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", org.client_id()),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = token_request(
        &org,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", org.client_id()),
            ("refresh_token", "5Aep861bogus"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        fixture_json("oauth/token.refresh.error.restforce.json")
    );
}

#[tokio::test]
async fn unknown_and_expired_tokens_answer_invalid_session_id() {
    let org = EmulatedOrg::builder()
        .rows(10)
        .token_ttl(Duration::from_millis(300))
        .start()
        .await
        .expect("org");
    let resp = get(
        &org,
        "00Dbogus!token",
        &format!("/services/data/{V}/sobjects"),
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Token");
    let body: Json = resp.json().await.expect("json");
    assert_eq!(
        body,
        fixture_json("errors/INVALID_SESSION_ID.restforce.json")
    );

    let token = token(&org).await;
    let (status, _) = get_json(&org, &token, &format!("/services/data/{V}/limits")).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = get_json(&org, &token, &format!("/services/data/{V}/limits")).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "INVALID_SESSION_ID");
}

#[tokio::test]
async fn profiles_hide_objects_and_fields_and_can_deny_the_api() {
    let org = EmulatedOrg::builder()
        .rows(10)
        .client_app(
            "sales-app",
            "sales-secret",
            Profile::new("Sales")
                .with_objects(["Account", "Contact", "User"])
                .hide_field("Account", "AnnualRevenue"),
        )
        .client_app(
            "no-api",
            "no-api-secret",
            Profile::new("No API").without_api_access(),
        )
        .start()
        .await
        .expect("org");
    let (_, body) = token_request(
        &org,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "sales-app"),
            ("client_secret", "sales-secret"),
        ],
    )
    .await;
    let sales = body["access_token"].as_str().expect("token").to_owned();
    let (_, global) = get_json(&org, &sales, &format!("/services/data/{V}/sobjects")).await;
    let names: Vec<&str> = global["sobjects"]
        .as_array()
        .expect("sobjects")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names, ["Account", "Contact", "User"]);
    let (status, body) = get_json(
        &org,
        &sales,
        &format!("/services/data/{V}/sobjects/Invoice__c/describe"),
    )
    .await;
    assert_eq!((status, error_code(&body).as_str()), (404, "NOT_FOUND"));
    let (_, describe) = get_json(
        &org,
        &sales,
        &format!("/services/data/{V}/sobjects/Account/describe"),
    )
    .await;
    assert!(
        describe["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .all(|f| f["name"] != "AnnualRevenue")
    );
    let (status, body) =
        crate::common::query(&org, &sales, "SELECT Id, AnnualRevenue FROM Account").await;
    assert_eq!((status, error_code(&body).as_str()), (400, "INVALID_FIELD"));
    let (status, body) = crate::common::query(&org, &sales, "SELECT Id FROM Invoice__c").await;
    assert_eq!((status, error_code(&body).as_str()), (400, "INVALID_TYPE"));

    let (_, body) = token_request(
        &org,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "no-api"),
            ("client_secret", "no-api-secret"),
        ],
    )
    .await;
    let denied = body["access_token"].as_str().expect("token").to_owned();
    let (status, body) = get_json(&org, &denied, &format!("/services/data/{V}/sobjects")).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (403, "API_CURRENTLY_DISABLED")
    );
}

#[tokio::test]
async fn apps_without_run_as_users_ip_restrictions_and_login_hosts_are_refused() {
    let org = EmulatedOrg::builder()
        .rows(5)
        .client_app_without_run_as_user("no-user", "s1")
        .client_app("ip-app", "s2", Profile::new("Remote").ip_restricted())
        .user(
            "remote@example.com",
            "pw",
            Profile::new("Remote").ip_restricted(),
        )
        .start()
        .await
        .expect("org");
    let form = |id, secret| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]
    };
    let (status, body) = token_request(&org, &form("no-user", "s1")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "no client credentials user enabled"
    );
    let (status, body) = token_request(&org, &form("ip-app", "s2")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_description"], "ip restricted");
    let resp = http()
        .post(format!("{}/services/Soap/u/59.0", org.base_url()))
        .header("Content-Type", "text/xml")
        .body(r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login><urn:username>remote@example.com</urn:username><urn:password>pw</urn:password></urn:login></soapenv:Body></soapenv:Envelope>"#)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 500);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("sf:LOGIN_MUST_USE_SECURITY_TOKEN")
    );

    let login_host = EmulatedOrg::builder()
        .rows(5)
        .login_host(true)
        .start()
        .await
        .expect("org");
    let (status, body) = token_request(
        &login_host,
        &form(login_host.client_id(), login_host.client_secret()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_description"],
        "request not supported on this domain"
    );
}
