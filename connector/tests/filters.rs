//! Data sync filters checked through relationship hops (polymorphic lookups too) before
//! any job or query is sent.

use std::collections::HashMap;

use datafusion::arrow::array::AsArray;
use sfdf_connector::{ApiType, Connection, Session};
use sfdf_emulator::{EmulatedOrg, Value};

use crate::common::{collect, concat, connection_to, org};

fn with_filter(org: &EmulatedOrg, api: ApiType, object: &str, filter: &str) -> Connection {
    connection_to(org, api, "62.0", Some((object, filter)))
}

/// Plans the object's base query (sync filter included): the error text, if planning fails.
async fn plan_error(org: &EmulatedOrg, api: ApiType, object: &str, filter: &str) -> String {
    let session = Session::connect(&with_filter(org, api, object, filter))
        .await
        .unwrap();
    let query = session.query_for(object).await.unwrap();
    match session.plan(&query).await {
        Ok(plan) => panic!("filter `{filter}` on {object} planned: {}", plan.soql()),
        Err(e) => e.to_string(),
    }
}

/// No query, job or SOAP call went out: only token, discovery and describe calls.
fn assert_nothing_ran(org: &EmulatedOrg) {
    let ran: Vec<_> = org
        .requests()
        .into_iter()
        .filter(|r| {
            r.path.contains("/query") || r.path.contains("/jobs/") || r.path.contains("/Soap/")
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        ran.is_empty(),
        "sent before the filter was rejected: {ran:?}"
    );
}

fn text<'a>(r: &'a sfdf_emulator::SObject, field: &str) -> Option<&'a str> {
    match r.get(field) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

/// Records of an object by Id, the recycle bin included (a path may pass through it).
fn by_id(org: &EmulatedOrg, object: &str) -> HashMap<String, sfdf_emulator::SObject> {
    org.records(object)
        .unwrap()
        .into_iter()
        .map(|r| (r.id().to_string(), r))
        .collect()
}

fn ids(batch: &datafusion::arrow::record_batch::RecordBatch) -> Vec<String> {
    let col = batch.column(0).as_string::<i32>();
    (0..batch.num_rows())
        .map(|i| col.value(i).to_string())
        .collect()
}

#[tokio::test]
async fn two_hop_path_checks_and_runs() {
    let org = org(200, 10_000).await;
    let filter = "Account.Owner.IsActive = true AND Account.Owner.Name != null";
    let session = Session::connect(&with_filter(&org, ApiType::Rest, "Contact", filter))
        .await
        .unwrap();
    let query = session.query_for("Contact").await.unwrap().columns(["Id"]);
    let plan = session.plan(&query).await.unwrap();
    let got = ids(&concat(&collect(&plan).await, &plan));

    let accounts = by_id(&org, "Account");
    let users = by_id(&org, "User");
    let mut expected: Vec<String> = crate::common::org_rows(&org, "Contact")
        .into_values()
        .filter(|c| {
            let owner = text(c, "AccountId")
                .and_then(|a| accounts.get(a))
                .and_then(|a| text(a, "OwnerId"))
                .and_then(|u| users.get(u));
            owner.is_some_and(|u| u.get("IsActive") == Some(&Value::Bool(true)))
        })
        .map(|c| c.id().to_string())
        .collect();
    let mut got = got;
    got.sort();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

#[tokio::test]
async fn three_hops_and_polymorphic_owner_plan_and_run() {
    let org = org(100, 10_000).await;
    for (object, filter) in [
        ("Invoice__c", "Account__r.Owner.Manager.IsActive = true"),
        ("Opportunity", "Account.Owner.Manager.Name != null"),
        // Case.Owner points at Group or User; Group is not visible here, User has Name.
        (
            "Case",
            "Owner.Name != null AND Contact.Account.Industry != null",
        ),
        // A polymorphic hop in the middle of a path.
        ("Lead", "Owner.Manager.IsActive = true"),
    ] {
        let session = Session::connect(&with_filter(&org, ApiType::BulkV2, object, filter))
            .await
            .unwrap();
        let query = session.query_for(object).await.unwrap().columns(["Id"]);
        let plan = session
            .plan(&query)
            .await
            .unwrap_or_else(|e| panic!("{object} `{filter}`: {e}"));
        let rows: usize = collect(&plan).await.iter().map(|b| b.num_rows()).sum();
        assert!(rows > 0, "{object} `{filter}` returned no rows");
    }
}

#[tokio::test]
async fn polymorphic_type_is_accepted() {
    // `Owner.Type` names the owner's object; the emulated org cannot run it yet, so this
    // stops at planning (no job is created by planning).
    let org = org(20, 10_000).await;
    let session = Session::connect(&with_filter(
        &org,
        ApiType::BulkV2,
        "Case",
        "Owner.Type = 'User'",
    ))
    .await
    .unwrap();
    let query = session.query_for("Case").await.unwrap();
    let plan = session.plan(&query).await.unwrap();
    assert!(
        plan.soql().ends_with("WHERE Owner.Type = 'User'"),
        "{}",
        plan.soql()
    );
    // On a lookup with one target, `Type` is an ordinary field name.
    let e = plan_error(&org, ApiType::BulkV2, "Contact", "Account.Type__x = 'x'").await;
    assert!(e.contains("Account has no field `Type__x`"), "{e}");
}

#[tokio::test]
async fn unknown_field_at_the_end_of_a_deep_path_is_named_before_anything_runs() {
    let org = org(20, 10_000).await;
    for api in [ApiType::BulkV2, ApiType::Rest, ApiType::Soap] {
        org.clear_requests();
        let e = plan_error(&org, api, "Contact", "Account.Owner.Nme = 'x'").await;
        for part in [
            "Account.Owner.Nme",
            "objects.Contact.filter",
            "User has no field `Nme`",
            "Contact → Account → User",
            "sfdf describe FILE User",
        ] {
            assert!(e.contains(part), "{api}: `{part}` missing from: {e}");
        }
        assert_nothing_ran(&org);
    }
}

#[tokio::test]
async fn unknown_relationship_lists_the_ones_that_exist() {
    let org = org(20, 10_000).await;
    let e = plan_error(&org, ApiType::BulkV2, "Contact", "Acount.Name = 'x'").await;
    assert!(e.contains("Contact has no relationship `Acount`"), "{e}");
    assert!(e.contains("relationships of Contact: Account,"), "{e}");
    assert_nothing_ran(&org);

    // A field (not a relationship) in the middle of a path.
    let e = plan_error(&org, ApiType::BulkV2, "Contact", "AccountId.Name = 'x'").await;
    assert!(
        e.contains("`AccountId` is a field, not a relationship"),
        "{e}"
    );

    // A relationship at the end of a path.
    let e = plan_error(&org, ApiType::BulkV2, "Contact", "Account.Owner = null").await;
    assert!(e.contains("`Owner` is a relationship"), "{e}");
    assert!(e.contains("filter on `OwnerId`"), "{e}");
    assert_nothing_ran(&org);
}

#[tokio::test]
async fn polymorphic_lookup_names_every_target_tried() {
    let org = org(20, 10_000).await;
    let e = plan_error(&org, ApiType::BulkV2, "Case", "Owner.Budget__c > 5").await;
    assert!(
        e.contains("none of the objects `Case.Owner` can point to has the field `Budget__c`"),
        "{e}"
    );
    assert!(
        e.contains("tried Group (not visible to the connecting user), User (no field `Budget__c`)"),
        "{e}"
    );
    // Polymorphic in the middle of a path: the next hop is a relationship.
    let e = plan_error(&org, ApiType::BulkV2, "Case", "Owner.Parent.Name = 'x'").await;
    assert!(e.contains("relationship `Parent`"), "{e}");
    assert!(e.contains("User (no relationship `Parent`)"), "{e}");
    assert_nothing_ran(&org);
}

#[tokio::test]
async fn value_type_is_checked_on_the_last_hop() {
    let org = org(20, 10_000).await;
    let e = plan_error(
        &org,
        ApiType::BulkV2,
        "Contact",
        "Account.Owner.IsActive = 'yes'",
    )
    .await;
    assert!(e.contains("must be of type boolean"), "{e}");
    assert!(e.contains("objects.Contact.filter"), "{e}");
    let e = plan_error(
        &org,
        ApiType::Rest,
        "Case",
        "Owner.LastLoginDate > 2020-01-01",
    )
    .await;
    assert!(e.contains("must be of type dateTime"), "{e}");
    let e = plan_error(
        &org,
        ApiType::Soap,
        "Opportunity",
        "Account.NumberOfEmployees = '5'",
    )
    .await;
    assert!(e.contains("must be of type integer"), "{e}");
    assert_nothing_ran(&org);
}

#[tokio::test]
async fn each_object_is_described_once() {
    let org = org(20, 10_000).await;
    let filter = "Owner.Name != null AND Account.Owner.IsActive = true AND Account.CreatedBy.Name != null \
         AND ReportsTo.Account.Owner.Alias != null";
    let session = Session::connect(&with_filter(&org, ApiType::BulkV2, "Contact", filter))
        .await
        .unwrap();
    org.clear_requests();
    let query = session.query_for("Contact").await.unwrap();
    session.plan(&query).await.unwrap();
    let describes: Vec<String> = org
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/describe"))
        .map(|r| r.path)
        .collect();
    for object in ["Contact", "Account", "User"] {
        let n = describes
            .iter()
            .filter(|p| p.contains(&format!("/sobjects/{object}/")))
            .count();
        assert_eq!(n, 1, "{object} described {n} times: {describes:?}");
    }

    // An object the user cannot see (Group, behind Case.Owner) is asked about once too.
    let filter = "Owner.Name != null AND Owner.Alias != null AND Owner.IsActive = true";
    let session = Session::connect(&with_filter(&org, ApiType::BulkV2, "Case", filter))
        .await
        .unwrap();
    org.clear_requests();
    let query = session.query_for("Case").await.unwrap();
    session.plan(&query).await.unwrap();
    let groups = org
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/sobjects/Group/describe"))
        .count();
    assert_eq!(groups, 1);
}

#[tokio::test]
async fn semi_join_subqueries_are_checked_on_their_own_object() {
    let org = org(100, 10_000).await;
    let filter = "Id IN (SELECT ContactId FROM Case WHERE Owner.Name != null)";
    let session = Session::connect(&with_filter(&org, ApiType::Rest, "Contact", filter))
        .await
        .unwrap();
    let query = session.query_for("Contact").await.unwrap().columns(["Id"]);
    let plan = session.plan(&query).await.unwrap();
    let mut got = ids(&concat(&collect(&plan).await, &plan));
    got.sort();
    let contacts = crate::common::org_rows(&org, "Contact");
    let mut expected: Vec<String> = crate::common::org_rows(&org, "Case")
        .into_values()
        .filter_map(|c| text(&c, "ContactId").map(str::to_string))
        .filter(|id| contacts.contains_key(id))
        .collect();
    expected.sort();
    expected.dedup();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    org.clear_requests();
    let e = plan_error(
        &org,
        ApiType::BulkV2,
        "Contact",
        "Id IN (SELECT ContactId FROM Case WHERE Owner.Nme = 'x')",
    )
    .await;
    assert!(
        e.contains("`Owner.Nme` (in the subquery on Case) in objects.Contact.filter"),
        "{e}"
    );
    assert!(e.contains("User (no field `Nme`)"), "{e}");
    let e = plan_error(
        &org,
        ApiType::BulkV2,
        "Contact",
        "AccountId IN (SELECT ContactId FROM Case)",
    )
    .await;
    assert!(e.contains("should point to the same object type"), "{e}");
    assert!(e.contains("objects.Contact.filter"), "{e}");
    assert_nothing_ran(&org);
}
