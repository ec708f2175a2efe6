//! Objects and describe as the connecting user sees them.

use datafusion::arrow::datatypes::DataType;
use sfdf_connector::{ApiType, Error, Session};
use sfdf_emulator::{EmulatedOrg, Profile};

use crate::common::*;

#[tokio::test]
async fn objects_and_describe() {
    let org = org(50, 1_000).await;
    let session = Session::connect(&connection(&org, ApiType::BulkV2))
        .await
        .unwrap();
    let names = session.object_names();
    for o in ["Account", "Contact", "Opportunity", "Invoice__c"] {
        assert!(names.iter().any(|n| n == o), "{o} in {names:?}");
    }
    let account = session.describe("account").await.unwrap();
    assert_eq!(account.name, "Account");
    assert_eq!(account.field("Id").unwrap().data_type, DataType::Utf8);
    assert!(
        account.field("BillingAddress").is_none(),
        "compound fields are not columns"
    );
    assert!(account.field("BillingCity").is_some());
    // Every field of the org's records is a column with a mapped type.
    let record = org.records("Account").unwrap().into_iter().next().unwrap();
    for (name, _) in record.fields() {
        assert!(account.field(name).is_some(), "{name}");
    }
    assert!(session.api_usage().limit > 0, "Sforce-Limit-Info tracked");
    assert!(session.calls_made() >= 2, "describeGlobal + describe");
}

#[tokio::test]
async fn only_what_the_run_as_user_may_see() {
    let org = EmulatedOrg::builder()
        .rows(20)
        .client_app(
            "restricted-id",
            "restricted-secret",
            Profile::new("Sales")
                .with_objects(["Account"])
                .hide_field("Account", "AnnualRevenue"),
        )
        .start()
        .await
        .unwrap();
    let conn = sfdf_connector::Connection::builder()
        .developer_name("r")
        .domain_url(org.base_url())
        .client_credentials("restricted-id", "restricted-secret".into())
        .build()
        .unwrap();
    let session = Session::connect(&conn).await.unwrap();
    assert!(session.object_names().iter().all(|n| n != "Opportunity"));
    let e = session.describe("Opportunity").await.unwrap_err();
    assert!(matches!(e, Error::Object { .. }), "{e}");
    let account = session.describe("Account").await.unwrap();
    assert!(account.field("AnnualRevenue").is_none());
    let e = account
        .project(&["AnnualRevenue".into()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("AnnualRevenue") && e.contains("not visible"),
        "{e}"
    );
}

#[tokio::test]
async fn bad_names_fail_with_the_name() {
    let org = org(10, 1_000).await;
    let session = Session::connect(&connection(&org, ApiType::Rest))
        .await
        .unwrap();
    for bad in ["Account_", "1Account", "Acc ount", "Acc;DROP"] {
        let e = session.describe(bad).await.unwrap_err().to_string();
        assert!(
            e.contains(bad) && e.contains("not a valid object name"),
            "{e}"
        );
    }
    let e = session
        .plan(&sfdf_connector::SoqlQuery::new("Account").columns(["Id", "Na me"]))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("Na me"), "{e}");
}
