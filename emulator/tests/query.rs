//! REST query / queryAll and paging.

use serde_json::Value as Json;

use crate::common::{V, error_code, fixture_json, get_json, http, keys, org, query, token};

#[tokio::test]
async fn a_query_returns_records_with_attributes_and_nested_parents() {
    let org = org().await;
    let token = token(&org).await;
    let (status, body) = query(
        &org,
        &token,
        "SELECT Id, Name, Owner.Name, Parent.Name FROM Account ORDER BY Name LIMIT 5",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let fixture = fixture_json("query/query.parent-relationship.Account-Owner.applink-v55.json");
    assert_eq!(keys(&body), keys(&fixture));
    let records = body["records"].as_array().expect("records");
    assert_eq!(records.len(), 5);
    let first = &records[0];
    assert_eq!(
        keys(&first["attributes"]),
        ["type", "url"].map(String::from).into()
    );
    assert_eq!(first["attributes"]["type"], "Account");
    assert_eq!(first["Owner"]["attributes"]["type"], "User");
    assert!(first["Owner"]["Name"].is_string());
    assert!(
        records.iter().any(|r| r["Parent"].is_null()),
        "some accounts have no parent"
    );
    let names: Vec<&str> = records.iter().filter_map(|r| r["Name"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn filters_follow_soql_semantics_and_match_the_org_data() {
    let org = org().await;
    let token = token(&org).await;
    let accounts = org.records("Account").expect("records");
    let expected = accounts
        .iter()
        .filter(|a| a.get("IsDeleted") == Some(&sfdf_emulator::Value::Bool(false)))
        .filter(|a| a.get("Industry").and_then(|v| v.as_str()) == Some("Energy"))
        .count();
    let (status, body) = query(
        &org,
        &token,
        "SELECT Id FROM Account WHERE Industry = 'Energy'",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], expected);
    let (_, count) = query(
        &org,
        &token,
        "SELECT COUNT() FROM Account WHERE Industry = 'Energy'",
    )
    .await;
    assert_eq!(count["totalSize"], expected);
    assert_eq!(count["records"], Json::Array(vec![]));
}

#[tokio::test]
async fn query_pages_follow_next_records_url_with_the_batch_size_header() {
    let org = org().await;
    let token = token(&org).await;
    let resp = http()
        .get(format!("{}/services/data/{V}/query", org.base_url()))
        .query(&[("q", "SELECT Id FROM Contact")])
        .header("Sforce-Query-Options", "batchSize=200")
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let mut body: Json = resp.json().await.expect("json");
    let total = body["totalSize"].as_u64().expect("totalSize") as usize;
    assert!(total > 100);
    let mut seen = Vec::new();
    loop {
        seen.extend(
            body["records"]
                .as_array()
                .expect("records")
                .iter()
                .map(|r| r["Id"].clone()),
        );
        if body["done"] == true {
            assert!(body.get("nextRecordsUrl").is_none());
            break;
        }
        let next = body["nextRecordsUrl"]
            .as_str()
            .expect("nextRecordsUrl")
            .to_owned();
        assert!(next.starts_with(&format!("/services/data/{V}/query/01g")));
        body = get_json(&org, &token, &next).await.1;
    }
    assert_eq!(seen.len(), total);
    let (status, body) = get_json(
        &org,
        &token,
        &format!("/services/data/{V}/query/01gbogus-2000"),
    )
    .await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "INVALID_QUERY_LOCATOR")
    );
}

#[tokio::test]
async fn soql_errors_carry_the_org_codes_and_messages() {
    let org = org().await;
    let token = token(&org).await;
    let (status, body) = query(&org, &token, "SELECT Bacon__c FROM Account LIMIT 2").await;
    assert_eq!(status, 400);
    let fixture = fixture_json("errors/INVALID_FIELD.query-unknown-column.applink-v51.json");
    assert_eq!(keys(&body[0]), keys(&fixture[0]));
    assert_eq!(body[0]["errorCode"], "INVALID_FIELD");
    assert!(
        body[0]["message"]
            .as_str()
            .expect("message")
            .contains("No such column 'Bacon__c' on entity 'Account'")
    );
    let (status, body) = query(&org, &token, "SELECT Xyzzy FROM Xyzzy").await;
    assert_eq!((status, error_code(&body).as_str()), (400, "INVALID_TYPE"));
    let (status, body) = query(&org, &token, "SELECT Id FRM Account").await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "MALFORMED_QUERY")
    );
}

#[tokio::test]
async fn query_all_sees_the_recycle_bin() {
    let org = org().await;
    let token = token(&org).await;
    let id = org
        .records("Account")
        .expect("records")
        .iter()
        .find(|a| a.get("IsDeleted") == Some(&sfdf_emulator::Value::Bool(false)))
        .expect("live")
        .id()
        .to_owned();
    org.delete("Account", &id).expect("delete");
    let soql = format!("SELECT Id, IsDeleted FROM Account WHERE Id = '{id}'");
    let (_, live) = query(&org, &token, &soql).await;
    assert_eq!(live["totalSize"], 0);
    let resp = http()
        .get(format!("{}/services/data/{V}/queryAll", org.base_url()))
        .query(&[("q", soql.as_str())])
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let all: Json = resp.json().await.expect("json");
    assert_eq!(all["totalSize"], 1);
    assert_eq!(all["records"][0]["IsDeleted"], true);
}

#[tokio::test]
async fn the_soql_features_clients_use_all_answer() {
    let org = org().await;
    let token = token(&org).await;
    for soql in [
        "SELECT Id, Owner.Name, Owner.Email FROM Lead WHERE Owner.IsActive = true OR Owner.IsActive = false",
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'M%')",
        "SELECT Id FROM Account WHERE CreatedDate < LAST_N_DAYS:30 AND SystemModstamp >= 2019-01-01T00:00:00Z",
        "SELECT Id, Name, (SELECT Id, LastName FROM Contacts) FROM Account LIMIT 3",
        "SELECT FIELDS(STANDARD) FROM Account LIMIT 2",
        "SELECT Id, Account__r.Name, Account__r.Owner.Name, Amount__c FROM Invoice__c WHERE Amount__c > 100 ORDER BY Amount__c DESC NULLS LAST LIMIT 5",
        "SELECT Id FROM Account WHERE Regions__c INCLUDES ('EMEA') AND CALENDAR_YEAR(CreatedDate) > 2018",
        "SELECT a.Id, a.Name FROM Account a WHERE a.Name != null ORDER BY a.Name LIMIT 2 OFFSET 1",
        "SELECT Id, BillingAddress, HQ_Location__c FROM Account LIMIT 3",
        "SELECT Id, Document__c, Ship_To__c, Delivery_Window_Start__c FROM Invoice__c LIMIT 3",
    ] {
        let (status, body) = query(&org, &token, soql).await;
        assert_eq!(status, 200, "{soql}: {body}");
        assert!(body["totalSize"].as_u64().is_some(), "{soql}");
    }
    let (_, body) = query(
        &org,
        &token,
        "SELECT Id, Name, (SELECT Id, LastName FROM Contacts) FROM Account LIMIT 3",
    )
    .await;
    let contacts = &body["records"][0]["Contacts"];
    assert!(
        contacts.is_null() || contacts["records"].is_array(),
        "{contacts}"
    );
    let (_, body) = query(
        &org,
        &token,
        "SELECT Id, BillingAddress, HQ_Location__c FROM Account LIMIT 20",
    )
    .await;
    let with_address = body["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["BillingAddress"].is_object())
        .expect("some address");
    assert!(with_address["BillingAddress"]["city"].is_string());
    let (_, body) = query(
        &org,
        &token,
        "SELECT Id, Document__c FROM Invoice__c WHERE Document__c != null LIMIT 1",
    )
    .await;
    let url = body["records"][0]["Document__c"]
        .as_str()
        .expect("base64 fields answer a URL");
    assert!(
        url.starts_with(&format!("/services/data/{V}/sobjects/Invoice__c/"))
            && url.ends_with("/Document__c")
    );
}

#[tokio::test]
async fn aggregate_queries_answer_aggregate_results() {
    let org = org().await;
    let token = token(&org).await;
    let (status, body) = query(
        &org,
        &token,
        "SELECT Industry, COUNT(Id) cnt, SUM(AnnualRevenue) FROM Account GROUP BY Industry",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let fixture = fixture_json("query/query.aggregate.restforce.json");
    assert_eq!(keys(&body), keys(&fixture));
    let records = body["records"].as_array().expect("records");
    assert!(records.len() > 3);
    assert_eq!(
        records[0]["attributes"],
        serde_json::json!({"type": "AggregateResult"})
    );
    assert_eq!(
        keys(&records[0]),
        ["Industry", "attributes", "cnt", "expr0"]
            .map(String::from)
            .into()
    );
    let total: u64 = records
        .iter()
        .map(|r| r["cnt"].as_u64().expect("count"))
        .sum();
    let (_, count) = query(&org, &token, "SELECT COUNT() FROM Account").await;
    assert_eq!(count["totalSize"].as_u64(), Some(total));
    let (_, one) = query(
        &org,
        &token,
        "SELECT MAX(CreatedDate), MIN(Name) FROM Account",
    )
    .await;
    assert_eq!(one["totalSize"], 1);
    assert!(
        one["records"][0]["expr0"]
            .as_str()
            .is_some_and(|t| t.ends_with("+0000"))
    );
}

#[tokio::test]
async fn records_list_attributes_first_then_fields_in_select_order() {
    let org = org().await;
    let token = token(&org).await;
    let (_, body) = query(
        &org,
        &token,
        "SELECT Name, Id, Owner.Name, CreatedDate FROM Account LIMIT 1",
    )
    .await;
    let top: Vec<&String> = body.as_object().expect("object").keys().collect();
    let fixture = fixture_json("query/query.simple.Account.applink-v51.json");
    let fixture_top: Vec<&String> = fixture.as_object().expect("object").keys().collect();
    assert_eq!(top, fixture_top);
    let record: Vec<&String> = body["records"][0]
        .as_object()
        .expect("record")
        .keys()
        .collect();
    assert_eq!(record, ["attributes", "Name", "Id", "Owner", "CreatedDate"]);
    let owner: Vec<&String> = body["records"][0]["Owner"]
        .as_object()
        .expect("owner")
        .keys()
        .collect();
    assert_eq!(owner, ["attributes", "Name"]);
}

#[tokio::test]
async fn relationship_aliases_answer_as_the_paths_they_name() {
    let org = org().await;
    let token = token(&org).await;
    // Pick an industry some contacts' accounts have, so the filter keeps rows and drops rows.
    let (_, all) = query(&org, &token, "SELECT Id, Account.Industry FROM Contact").await;
    let industry = all["records"]
        .as_array()
        .expect("records")
        .iter()
        .find_map(|r| r["Account"]["Industry"].as_str())
        .expect("a contact whose account has an industry")
        .to_owned();
    let (status, plain) = query(
        &org,
        &token,
        &format!(
            "SELECT Id, Account.Name FROM Contact WHERE Account.Industry = '{industry}' ORDER BY Id"
        ),
    )
    .await;
    assert_eq!(status, 200, "{plain}");
    let kept = plain["totalSize"].as_u64().expect("totalSize");
    assert!(kept > 0 && kept < all["totalSize"].as_u64().expect("totalSize"));
    let (status, aliased) = query(
        &org,
        &token,
        &format!("SELECT c.Id, a.Name FROM Contact c, c.Account a WHERE a.Industry = '{industry}' ORDER BY c.Id"),
    )
    .await;
    assert_eq!(status, 200, "{aliased}");
    assert_eq!(aliased["records"], plain["records"]);
    let (status, bad) = query(&org, &token, "SELECT Id FROM Contact c, c.Acount a").await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(crate::common::error_code(&bad), "INVALID_FIELD");

    // A child relationship named through the parent object or its alias.
    let (_, children) = query(
        &org,
        &token,
        "SELECT Id, (SELECT Id, LastName FROM Contacts) FROM Account ORDER BY Id LIMIT 5",
    )
    .await;
    for soql in [
        "SELECT Id, (SELECT Id, LastName FROM Account.Contacts) FROM Account ORDER BY Id LIMIT 5",
        "SELECT a.Id, (SELECT c.Id, c.LastName FROM a.Contacts c) FROM Account a ORDER BY a.Id LIMIT 5",
    ] {
        let (status, body) = query(&org, &token, soql).await;
        assert_eq!(status, 200, "{soql}: {body}");
        assert_eq!(body["records"], children["records"], "{soql}");
    }
}

#[tokio::test]
async fn distinct_and_misused_functions_are_malformed_queries() {
    let org = org().await;
    let token = token(&org).await;
    for soql in [
        "SELECT DISTINCT Name FROM Account",
        "SELECT SUM() FROM Account",
        "SELECT COUNT(Id, Name) FROM Account",
        "SELECT MAX(SUM(AnnualRevenue)) FROM Account",
        "SELECT Id FROM Account WHERE CALENDAR_YEAR() = 2024",
    ] {
        let (status, body) = query(&org, &token, soql).await;
        assert_eq!(status, 400, "{soql}: {body}");
        assert_eq!(
            crate::common::error_code(&body),
            "MALFORMED_QUERY",
            "{soql}"
        );
    }
}

#[tokio::test]
async fn columns_true_answers_the_columns_without_rows() {
    let org = org().await;
    let token = token(&org).await;
    let columns = |soql: &'static str| {
        let org = &org;
        let token = &token;
        async move {
            let resp = http()
                .get(format!("{}/services/data/{V}/query", org.base_url()))
                .query(&[("q", soql), ("columns", "true")])
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            (
                status,
                resp.json::<serde_json::Value>().await.expect("json"),
            )
        }
    };
    let names = |cols: &serde_json::Value| -> Vec<String> {
        cols.as_array()
            .expect("columns")
            .iter()
            .map(|c| c["columnName"].as_str().expect("columnName").to_owned())
            .collect()
    };
    let (status, body) = columns(
        "SELECT Id, Name, Owner.Name, Owner.Email, (SELECT LastName FROM Contacts) FROM Account",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("records").is_none(), "{body}");
    assert_eq!(body["entityName"], "Account");
    assert_eq!(body["idSelected"], true);
    let cols = &body["columnMetadata"];
    assert_eq!(names(cols), ["Id", "Name", "Owner", "Contacts"]);
    assert_eq!(cols[1]["textType"], true);
    assert_eq!(names(&cols[2]["joinColumns"]), ["Name", "Email"]);
    assert_eq!(cols[2]["aggregate"], false);
    assert_eq!(cols[3]["aggregate"], true);
    assert_eq!(names(&cols[3]["joinColumns"]), ["LastName"]);

    let (status, body) = columns(
        "SELECT Industry, COUNT(Id), MAX(AnnualRevenue) top FROM Account GROUP BY Industry",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["groupBy"], true);
    let cols = &body["columnMetadata"];
    assert_eq!(names(cols), ["Industry", "expr0", "top"]);
    let aggregate: Vec<bool> = cols
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["aggregate"] == true)
        .collect();
    assert_eq!(aggregate, [false, true, true]);

    let (status, body) = columns("SELECT Nmae FROM Account").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(crate::common::error_code(&body), "INVALID_FIELD");
}
