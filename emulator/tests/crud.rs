//! Record create / retrieve / update / delete / undelete, getUpdated / getDeleted.

use serde_json::{Value as Json, json};
use sfdf_emulator::Value;

use crate::common::{V, error_code, fixture_json, get_json, http, keys, org, query, token};

#[tokio::test]
async fn create_update_delete_undelete_move_system_modstamp_forward() {
    let org = org().await;
    let token = token(&org).await;
    let base = format!("{}/services/data/{V}/sobjects", org.base_url());
    let resp = http()
        .post(format!("{base}/Account"))
        .bearer_auth(&token)
        .json(&json!({"Name": "Zeta \"Quoted\", Ltd", "AnnualRevenue": 1500000, "Industry": "Energy"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 201);
    let created: Json = resp.json().await.expect("json");
    assert_eq!(
        keys(&created),
        keys(&fixture_json("sobject/create.Movie__c.applink-v51.json"))
    );
    let id = created["id"].as_str().expect("id").to_owned();
    let stamp = |org: &sfdf_emulator::EmulatedOrg| {
        org.record(&id)
            .and_then(|r| r.get("SystemModstamp").and_then(Value::as_datetime))
            .expect("stamp")
    };
    let t0 = stamp(&org);

    let (status, record) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/sobjects/Account/{id}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(record["Name"], "Zeta \"Quoted\", Ltd");
    assert_eq!(record["AnnualRevenue"], 1500000.0);
    assert!(record["BillingAddress"].is_null());
    assert_eq!(record["attributes"]["type"], "Account");

    let resp = http()
        .patch(format!("{base}/Account/{id}"))
        .bearer_auth(&token)
        .json(&json!({"Industry": "Banking"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
    let t1 = stamp(&org);
    assert!(t1 > t0);

    let resp = http()
        .delete(format!("{base}/Account/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 204);
    let t2 = stamp(&org);
    assert!(t2 > t1);
    let resp = http()
        .delete(format!("{base}/Account/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 404);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(
        body,
        fixture_json("errors/ENTITY_IS_DELETED.delete.applink-v51.json")
    );

    let resp = http()
        .post(format!("{base}/Account/{id}/undelete"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let (_, live) = query(
        &org,
        &token,
        &format!("SELECT Id FROM Account WHERE Id = '{id}'"),
    )
    .await;
    assert_eq!(live["totalSize"], 1);

    org.hard_delete("Account", &id).expect("hard delete");
    assert!(org.record(&id).is_none());
}

#[tokio::test]
async fn write_errors_use_the_real_codes() {
    let org = org().await;
    let token = token(&org).await;
    let base = format!("{}/services/data/{V}/sobjects", org.base_url());
    let resp = http()
        .post(format!("{base}/Account"))
        .bearer_auth(&token)
        .json(&json!({"Name": "x", "FavoritePet__c": "cat"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(
        body,
        json!([{"message": "No such column 'FavoritePet__c' on sobject of type Account", "errorCode": "INVALID_FIELD"}])
    );
    let resp = http()
        .post(format!("{base}/Contact"))
        .bearer_auth(&token)
        .json(&json!({"FirstName": "x"}))
        .send()
        .await
        .expect("request");
    let body: Json = resp.json().await.expect("json");
    assert_eq!(error_code(&body), "REQUIRED_FIELD_MISSING");
    assert_eq!(body[0]["fields"], json!(["LastName"]));
    let resp = http()
        .patch(format!("{base}/Account/003000000000000"))
        .bearer_auth(&token)
        .json(&json!({"Name": "x"}))
        .send()
        .await
        .expect("request");
    let body: Json = resp.json().await.expect("json");
    assert_eq!(error_code(&body), "MALFORMED_ID");
    let resp = http()
        .post(format!("{base}/Nope__c"))
        .bearer_auth(&token)
        .json(&json!({"Name": "x"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn get_updated_and_get_deleted_report_recent_changes() {
    let org = org().await;
    let token = token(&org).await;
    let start = (chrono::Utc::now() - chrono::Duration::minutes(2))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let accounts = org.records("Account").expect("records");
    let live: Vec<_> = accounts
        .iter()
        .filter(|a| a.get("IsDeleted") == Some(&Value::Bool(false)))
        .collect();
    let (changed, gone) = (live[0].id().to_owned(), live[1].id().to_owned());
    org.update("Account", &changed, &[("Rating", Value::from("Hot"))])
        .expect("update");
    org.delete("Account", &gone).expect("delete");
    let end = (chrono::Utc::now() + chrono::Duration::minutes(2))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let url = |kind: &str| {
        let mut u = url::Url::parse(&format!(
            "{}/services/data/{V}/sobjects/Account/{kind}/",
            org.base_url()
        ))
        .expect("url");
        u.query_pairs_mut()
            .append_pair("start", &start)
            .append_pair("end", &end);
        u.to_string()
    };
    let resp = http()
        .get(url("updated"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let updated: Json = resp.json().await.expect("json");
    assert_eq!(
        keys(&updated),
        keys(&fixture_json("sobject/getUpdated.restforce.json"))
    );
    let resp = http()
        .get(url("deleted"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let deleted: Json = resp.json().await.expect("json");
    assert_eq!(
        keys(&deleted),
        keys(&fixture_json("sobject/getDeleted.restforce.json"))
    );
    assert!(
        updated["ids"]
            .as_array()
            .expect("ids")
            .contains(&json!(changed))
    );
    assert!(
        !updated["ids"]
            .as_array()
            .expect("ids")
            .contains(&json!(gone))
    );
    let deleted_ids: Vec<&Json> = deleted["deletedRecords"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| &d["id"])
        .collect();
    assert_eq!(deleted_ids, [&json!(gone)]);
    let old = "2020-01-01T00:00:00+00:00";
    let mut u = url::Url::parse(&format!(
        "{}/services/data/{V}/sobjects/Account/updated/",
        org.base_url()
    ))
    .expect("url");
    u.query_pairs_mut()
        .append_pair("start", old)
        .append_pair("end", &end);
    let resp = http()
        .get(u.to_string())
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Json = resp.json().await.expect("json");
    assert_eq!(error_code(&body), "INVALID_REPLICATION_DATE");
}

#[tokio::test]
async fn base64_fields_are_urls_that_serve_the_blob() {
    let org = org().await;
    let token = token(&org).await;
    let (_, body) = query(
        &org,
        &token,
        "SELECT Id, Document__c FROM Invoice__c WHERE Document__c != null LIMIT 1",
    )
    .await;
    let url = body["records"][0]["Document__c"]
        .as_str()
        .expect("url")
        .to_owned();
    let resp = crate::common::get(&org, &token, &url).await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.expect("body");
    assert!(bytes.starts_with(b"%PDF-1.4"));
}

#[tokio::test]
async fn identity_and_userinfo_describe_the_token_user() {
    let org = org().await;
    let token = token(&org).await;
    let (status, me) = get_json(&org, &token, "/services/oauth2/userinfo").await;
    assert_eq!(status, 200);
    assert_eq!(me["user_id"], org.user_id());
    assert_eq!(me["organization_id"], org.org_id());
    let (status, id) = get_json(
        &org,
        &token,
        &format!("/id/{}/{}", org.org_id(), org.user_id()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(id["username"], org.username());
    let fixture = fixture_json("oauth/identity.post-winter19.swiftly.json");
    for key in [
        "id",
        "user_id",
        "organization_id",
        "username",
        "display_name",
        "urls",
        "active",
    ] {
        assert!(fixture.get(key).is_some() && id.get(key).is_some(), "{key}");
    }
}

#[tokio::test]
async fn the_identity_names_match_the_user_record() {
    let org = org().await;
    let token = token(&org).await;
    let (_, id) = get_json(
        &org,
        &token,
        &format!("/id/{}/{}", org.org_id(), org.user_id()),
    )
    .await;
    let user = org
        .record(&org.user_id())
        .expect("the run-as user has a User row");
    assert_eq!(
        user.get("Username").and_then(Value::as_str),
        Some(org.username())
    );
    assert_eq!(
        id["last_name"].as_str(),
        user.get("LastName").and_then(Value::as_str)
    );
    assert_eq!(
        id["email"].as_str(),
        user.get("Email").and_then(Value::as_str)
    );
}

#[test]
fn the_handle_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<sfdf_emulator::EmulatedOrg>();
    shareable::<sfdf_emulator::Faults>();
}
