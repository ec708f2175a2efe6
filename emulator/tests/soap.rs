//! SOAP partner API: login, query, queryMore, queryAll, faults.

use sfdf_emulator::EmulatedOrg;

use crate::common::{V, fixture, http, org, token};

fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header>{header}</soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

async fn post(org: &EmulatedOrg, version: &str, xml: String) -> (u16, String) {
    let resp = http()
        .post(format!("{}/services/Soap/u/{version}", org.base_url()))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "login")
        .body(xml)
        .send()
        .await
        .expect("request");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).map(|i| i + open.len()).expect(open);
    let end = text[start..].find(close).expect(close) + start;
    &text[start..end]
}

fn login_body(user: &str, password: &str) -> String {
    envelope(
        "",
        &format!(
            "<urn:login><urn:username>{user}</urn:username><urn:password>{password}</urn:password></urn:login>"
        ),
    )
}

#[tokio::test]
async fn login_returns_a_session_usable_for_rest() {
    let org = org().await;
    let (status, body) = post(&org, "59.0", login_body(org.username(), org.password())).await;
    assert_eq!(status, 200, "{body}");
    let fixture = fixture("soap/login.partner.success.soapforce-v28.xml");
    for element in [
        "<metadataServerUrl>",
        "<passwordExpired>",
        "<serverUrl>",
        "<sessionId>",
        "<userId>",
        "<userInfo>",
        "<organizationId>",
        "<sessionSecondsValid>",
    ] {
        assert!(
            fixture.contains(element) && body.contains(element),
            "{element}"
        );
    }
    let session = between(&body, "<sessionId>", "</sessionId>");
    let server_url = between(&body, "<serverUrl>", "</serverUrl>");
    assert!(server_url.starts_with(&format!("{}/services/Soap/u/59.0/", org.base_url())));
    let resp = http()
        .get(format!("{}/services/data/{V}/limits", org.base_url()))
        .bearer_auth(session)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn login_faults_bad_credentials_retired_versions_and_org_switch_off() {
    let org = org().await;
    let (status, body) = post(&org, "59.0", login_body(org.username(), "wrong")).await;
    assert_eq!(status, 500);
    let fixture = fixture("soap/fault.INVALID_LOGIN.metaforce.xml");
    for part in [
        "<faultcode>sf:INVALID_LOGIN</faultcode>",
        "sf:LoginFault",
        "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>",
    ] {
        assert!(
            fixture.contains(part) && body.contains(part),
            "{part}: {body}"
        );
    }
    let (status, body) = post(&org, "65.0", login_body(org.username(), org.password())).await;
    assert_eq!(status, 500);
    assert!(
        body.contains("No operation available for request {urn:partner.soap.sforce.com}login"),
        "{body}"
    );
    let (status, body) = post(&org, "25.0", login_body(org.username(), org.password())).await;
    assert_eq!(status, 500);
    assert!(body.contains("UNSUPPORTED_API_VERSION"));
    org.faults().set_soap_login_enabled(false);
    let (status, body) = post(&org, "59.0", login_body(org.username(), org.password())).await;
    assert_eq!(status, 500);
    assert!(body.contains("INVALID_OPERATION"), "{body}");
}

fn query_body(token: &str, operation: &str, inner: &str, batch: usize) -> String {
    envelope(
        &format!(
            "<urn:SessionHeader><urn:sessionId>{token}</urn:sessionId></urn:SessionHeader><urn:QueryOptions><urn:batchSize>{batch}</urn:batchSize></urn:QueryOptions>"
        ),
        &format!("<urn:{operation}>{inner}</urn:{operation}>"),
    )
}

#[tokio::test]
async fn query_and_query_more_page_through_partner_records() {
    let org = org().await;
    let token = token(&org).await;
    let q = "<urn:queryString>SELECT Id, Name, Phone, Account.Name FROM Contact WHERE Name != &apos;x&apos;</urn:queryString>";
    let (status, body) = post(&org, "62.0", query_body(&token, "query", q, 200)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<LimitInfoHeader><limitInfo><current>"));
    let fixture = fixture("soap/query.partner.soapforce.xml");
    for part in [
        "<queryResponse>",
        "<result xsi:type=\"QueryResult\">",
        "<records xsi:type=\"sf:sObject\">",
        "<sf:type>",
    ] {
        assert!(fixture.contains(part) && body.contains(part), "{part}");
    }
    let size: usize = between(&body, "<size>", "</size>").parse().expect("size");
    assert!(size > 100);
    assert_eq!(between(&body, "<done>", "</done>"), "false");
    let first = between(&body, "<records xsi:type=\"sf:sObject\">", "</records>");
    let id = between(first, "<sf:Id>", "</sf:Id>");
    assert_eq!(
        first.matches(&format!("<sf:Id>{id}</sf:Id>")).count(),
        2,
        "the partner API lists Id twice"
    );
    assert!(first.contains("<sf:Account xsi:type=\"sf:sObject\"><sf:type>Account</sf:type>"));
    let mut seen = body.matches("<records ").count();
    let mut locator = between(&body, "<queryLocator>", "</queryLocator>").to_owned();
    loop {
        let inner = format!("<urn:queryLocator>{locator}</urn:queryLocator>");
        let (status, more) = post(&org, "62.0", query_body(&token, "queryMore", &inner, 200)).await;
        assert_eq!(status, 200);
        assert!(more.contains("<queryMoreResponse>"));
        seen += more.matches("<records ").count();
        if between(&more, "<done>", "</done>") == "true" {
            assert!(more.contains("<queryLocator xsi:nil=\"true\"/>"));
            break;
        }
        locator = between(&more, "<queryLocator>", "</queryLocator>").to_owned();
    }
    assert_eq!(seen, size);
}

#[tokio::test]
async fn query_faults_use_partner_fault_types() {
    let org = org().await;
    let token = token(&org).await;
    let (status, body) = post(
        &org,
        "62.0",
        query_body(
            "00Dbad!token",
            "query",
            "<urn:queryString>SELECT Id FROM Account</urn:queryString>",
            200,
        ),
    )
    .await;
    assert_eq!(status, 500);
    assert!(
        body.contains("<faultcode>sf:INVALID_SESSION_ID</faultcode>")
            && body.contains("sf:UnexpectedErrorFault")
    );
    let (status, body) = post(
        &org,
        "62.0",
        query_body(
            &token,
            "query",
            "<urn:queryString>SELECT Nope FROM Account</urn:queryString>",
            200,
        ),
    )
    .await;
    assert_eq!(status, 500);
    assert!(
        body.contains("sf:INVALID_FIELD") && body.contains("sf:InvalidFieldFault"),
        "{body}"
    );
    let (_, body) = post(
        &org,
        "62.0",
        query_body(
            &token,
            "query",
            "<urn:queryString>SELECT Id FRM Account</urn:queryString>",
            200,
        ),
    )
    .await;
    assert!(body.contains("sf:MalformedQueryFault"), "{body}");
    let (_, body) = post(
        &org,
        "62.0",
        query_body(
            &token,
            "queryMore",
            "<urn:queryLocator>01gnope-200</urn:queryLocator>",
            200,
        ),
    )
    .await;
    assert!(body.contains("sf:INVALID_QUERY_LOCATOR"));
}

#[tokio::test]
async fn query_all_includes_deleted_rows_and_nulls_are_nil() {
    let org = org().await;
    let token = token(&org).await;
    let id = org.records("Lead").expect("records")[0].id().to_owned();
    org.delete("Lead", &id).expect("delete");
    let q = format!(
        "<urn:queryString>SELECT Id, IsDeleted, ConvertedDate FROM Lead WHERE Id = '{id}'</urn:queryString>"
    );
    let (_, body) = post(&org, "62.0", query_body(&token, "query", &q, 200)).await;
    assert_eq!(between(&body, "<size>", "</size>"), "0");
    let (_, body) = post(&org, "62.0", query_body(&token, "queryAll", &q, 200)).await;
    assert!(body.contains("<queryAllResponse>"));
    assert_eq!(between(&body, "<size>", "</size>"), "1");
    assert!(body.contains("<sf:IsDeleted>true</sf:IsDeleted>"));
    assert!(
        body.contains("<sf:ConvertedDate xsi:nil=\"true\"/>")
            || body.contains("<sf:ConvertedDate>")
    );
}
