//! Versions, resources, describeGlobal, describe, limits.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::common::{V, error_code, fixture_json, get, get_json, http, keys, kind, org, token};

#[tokio::test]
async fn versions_need_no_auth_and_match_the_fixture_shape() {
    let org = org().await;
    let resp = http()
        .get(format!("{}/services/data/", org.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("sforce-limit-info").is_none());
    let body: Json = resp.json().await.expect("json");
    let fixture = fixture_json("global/versions.restforce-edited.json");
    let list = body.as_array().expect("array");
    assert_eq!(keys(&list[0]), keys(&fixture[0]));
    assert!(
        list.iter()
            .any(|v| v["version"] == "62.0" && v["label"] == "Winter '25")
    );
}

#[tokio::test]
async fn describe_global_lists_every_object_with_the_real_keys() {
    let org = org().await;
    let token = token(&org).await;
    let resp = get(&org, &token, &format!("/services/data/{V}/sobjects")).await;
    assert!(
        resp.headers()["sforce-limit-info"]
            .to_str()
            .expect("ascii")
            .starts_with("api-usage=")
    );
    let body: Json = resp.json().await.expect("json");
    let fixture = fixture_json("global/describeGlobal.cumulusci-v52.json");
    assert_eq!(keys(&body), keys(&fixture));
    let names: Vec<&str> = body["sobjects"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    for want in [
        "Account",
        "Contact",
        "Opportunity",
        "Lead",
        "Case",
        "User",
        "Invoice__c",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let ours = &body["sobjects"][0];
    let theirs = &fixture["sobjects"][0];
    assert_eq!(keys(ours), keys(theirs));
    for key in keys(theirs) {
        assert_eq!(kind(&ours[&key]), kind(&theirs[&key]), "type of {key}");
    }
}

#[tokio::test]
async fn describe_fields_have_the_real_keys_and_every_field_type() {
    let org = org().await;
    let token = token(&org).await;
    let fixture = fixture_json("describe/Account.cumulusci-v48.json");
    let fixture_field = &fixture["fields"][0];
    let mut types = BTreeMap::new();
    for object in [
        "Account",
        "Contact",
        "Opportunity",
        "Lead",
        "Case",
        "User",
        "Invoice__c",
    ] {
        let (status, body) = get_json(
            &org,
            &token,
            &format!("/services/data/{V}/sobjects/{object}/describe"),
        )
        .await;
        assert_eq!(status, 200, "{object}");
        for key in keys(&fixture) {
            assert!(body.get(&key).is_some(), "{object} describe lacks {key}");
        }
        let fields = body["fields"].as_array().expect("fields");
        assert!(
            fields.len() >= 20,
            "{object} has only {} fields",
            fields.len()
        );
        for f in fields {
            assert_eq!(keys(f), keys(fixture_field), "{object}.{}", f["name"]);
            types.insert(
                f["type"].as_str().expect("type").to_owned(),
                f["name"].clone(),
            );
        }
        let names: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
        for audit in ["Id", "CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            assert!(names.contains(&audit), "{object} lacks {audit}");
        }
    }
    for t in [
        "id",
        "reference",
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
        "boolean",
        "int",
        "double",
        "currency",
        "percent",
        "date",
        "datetime",
        "time",
        "base64",
        "address",
        "location",
    ] {
        assert!(types.contains_key(t), "no field of type {t}");
    }
    let (_, account) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/sobjects/Account/describe"),
    )
    .await;
    let field = |name: &str| {
        account["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == name))
            .cloned()
            .expect(name)
    };
    assert_eq!(field("BillingCity")["compoundFieldName"], "BillingAddress");
    assert_eq!(field("BillingAddress")["type"], "address");
    assert_eq!(field("OwnerId")["referenceTo"], serde_json::json!(["User"]));
    assert_eq!(field("OwnerId")["relationshipName"], "Owner");
    assert_eq!(field("AnnualRevenue")["soapType"], "xsd:double");
    assert_eq!(
        field("HQ_Location__Latitude__s")["compoundFieldName"],
        "HQ_Location__c"
    );
    assert!(
        field("Industry")["picklistValues"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
}

#[tokio::test]
async fn unknown_objects_and_versions_answer_not_found() {
    let org = org().await;
    let token = token(&org).await;
    let (status, body) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/sobjects/Nope__c/describe"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        fixture_json("errors/NOT_FOUND.invalid-api-version.applink.json")
    );
    let (status, body) = get_json(
        &org,
        &token,
        "/services/data/viAmABadVersion/sobjects/Account",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        fixture_json("errors/NOT_FOUND.invalid-api-version.applink.json")
    );
    let (status, body) = get_json(&org, &token, "/services/data/v25.0/sobjects").await;
    assert_eq!((status, error_code(&body).as_str()), (410, "GONE"));
}

#[tokio::test]
async fn if_modified_since_answers_304() {
    let org = org().await;
    let token = token(&org).await;
    let resp = http()
        .get(format!(
            "{}/services/data/{V}/sobjects/Account/describe",
            org.base_url()
        ))
        .bearer_auth(&token)
        .header("If-Modified-Since", "Tue, 23 Mar 2027 00:00:00 GMT")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 304);
}

#[tokio::test]
async fn limits_count_requests_and_the_budget_ends_in_request_limit_exceeded() {
    let org = sfdf_emulator::EmulatedOrg::builder()
        .rows(5)
        .daily_api_limit(4)
        .start()
        .await
        .expect("org");
    let token = token(&org).await;
    let (status, body) = get_json(&org, &token, &format!("/services/data/{V}/limits")).await;
    assert_eq!(status, 200);
    let fixture = fixture_json("limits/limits.swiftly-v53.json");
    for key in [
        "DailyApiRequests",
        "DailyBulkV2QueryJobs",
        "DailyBulkV2QueryFileStorageMB",
    ] {
        assert_eq!(
            keys(&body[key]),
            keys(&fixture["DailyApiRequests"]),
            "{key}"
        );
    }
    assert_eq!(body["DailyApiRequests"]["Max"], 4);
    assert_eq!(body["DailyApiRequests"]["Remaining"], 3);
    for _ in 0..3 {
        let resp = get(&org, &token, &format!("/services/data/{V}/limits")).await;
        assert_eq!(resp.status(), 200);
    }
    let resp = get(&org, &token, &format!("/services/data/{V}/limits")).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["sforce-limit-info"], "api-usage=4/4");
    let body: Json = resp.json().await.expect("json");
    assert_eq!(error_code(&body), "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(body[0]["message"], "TotalRequests Limit exceeded.");
}

#[tokio::test]
async fn the_resource_list_names_the_apis() {
    let org = org().await;
    let token = token(&org).await;
    let (status, body) = get_json(&org, &token, &format!("/services/data/{V}")).await;
    assert_eq!(status, 200, "{body}");
    for key in ["sobjects", "query", "queryAll", "limits", "jobs"] {
        assert_eq!(body[key], format!("/services/data/{V}/{key}"));
    }
    let (status, basic) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/sobjects/Account"),
    )
    .await;
    assert_eq!(status, 200);
    let fixture = fixture_json("describe/Account.basic-info.palomino-v28.json");
    assert_eq!(keys(&basic), keys(&fixture));
}
