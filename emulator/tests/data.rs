//! The org's data: deterministic, consistent references, realistic awkwardness.

use std::collections::{BTreeSet, HashSet};

use sfdf_emulator::{EmulatedOrg, Value};

async fn small(seed: u64) -> EmulatedOrg {
    EmulatedOrg::builder()
        .rows(80)
        .seed(seed)
        .start()
        .await
        .expect("org")
}

#[tokio::test]
async fn the_same_seed_gives_the_same_org_and_another_seed_another() {
    let (a, b, c) = (small(1).await, small(1).await, small(2).await);
    for object in ["Account", "Contact", "Invoice__c", "User"] {
        assert_eq!(
            a.records(object).expect("a"),
            b.records(object).expect("b"),
            "{object}"
        );
    }
    assert_ne!(
        a.records("Account").expect("a"),
        c.records("Account").expect("c")
    );
    assert_eq!(a.records("Account").expect("a").len(), 80);
    assert_eq!(a.records("Contact").expect("a").len(), 160);
    assert!(a.records("User").expect("a").len() >= 25);
}

#[tokio::test]
async fn references_point_at_existing_rows() {
    let org = small(3).await;
    let ids = |object: &str| -> HashSet<String> {
        org.records(object)
            .expect("records")
            .iter()
            .map(|r| r.id().to_owned())
            .collect()
    };
    let (accounts, contacts, users) = (ids("Account"), ids("Contact"), ids("User"));
    for (object, field, targets, may_be_null) in [
        ("Contact", "AccountId", &accounts, false),
        ("Contact", "OwnerId", &users, false),
        ("Opportunity", "AccountId", &accounts, true),
        ("Case", "ContactId", &contacts, true),
        ("Invoice__c", "Account__c", &accounts, false),
        ("Account", "ParentId", &accounts, true),
    ] {
        for record in org.records(object).expect("records") {
            match record.get(field) {
                Some(Value::Text(id)) => {
                    assert!(targets.contains(id), "{object}.{field} = {id} dangles")
                }
                Some(Value::Null) if may_be_null => {}
                other => panic!("{object}.{field} = {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn text_is_awkward_nulls_are_realistic_and_time_spans_years() {
    let org = small(4).await;
    let accounts = org.records("Account").expect("records");
    let texts: Vec<&str> = accounts
        .iter()
        .flat_map(|a| a.fields().iter().filter_map(|(_, v)| v.as_str()))
        .collect();
    for (what, found) in [
        ("comma", texts.iter().any(|t| t.contains(','))),
        ("double quote", texts.iter().any(|t| t.contains('"'))),
        ("CR/LF", texts.iter().any(|t| t.contains("\r\n"))),
        ("LF", texts.iter().any(|t| t.contains('\n'))),
        ("non-ASCII", texts.iter().any(|t| !t.is_ascii())),
    ] {
        assert!(found, "no {what} in Account text");
    }
    let null_descriptions = accounts
        .iter()
        .filter(|a| a.get("Description") == Some(&Value::Null))
        .count();
    assert!(null_descriptions > 0 && null_descriptions < accounts.len());
    let years: BTreeSet<i32> = accounts
        .iter()
        .filter_map(|a| a.get("CreatedDate").and_then(Value::as_datetime))
        .map(|t| chrono::Datelike::year(&t))
        .collect();
    assert!(years.len() >= 4, "CreatedDate spans {years:?}");
    for a in &accounts {
        let created = a
            .get("CreatedDate")
            .and_then(Value::as_datetime)
            .expect("created");
        let modified = a
            .get("LastModifiedDate")
            .and_then(Value::as_datetime)
            .expect("modified");
        let stamp = a
            .get("SystemModstamp")
            .and_then(Value::as_datetime)
            .expect("stamp");
        assert!(created <= modified && modified <= stamp, "{}", a.id());
    }
    let in_recycle_bin: usize = ["Account", "Contact", "Opportunity", "Invoice__c"]
        .iter()
        .map(|o| {
            org.records(o)
                .expect("records")
                .iter()
                .filter(|r| r.get("IsDeleted") == Some(&Value::Bool(true)))
                .count()
        })
        .sum();
    assert!(in_recycle_bin > 0, "some rows start in the recycle bin");
}

#[tokio::test]
async fn live_ids_are_the_ids_of_records_not_deleted_in_creation_order() {
    let org = small(5).await;
    let all = org.records("Account").expect("records");
    org.delete("Account", all[3].id()).expect("delete");
    let created = org
        .create("Account", &[("Name", Value::Text("Newest".into()))])
        .expect("create");
    let ids = org.live_ids("Account").expect("ids");
    let expected: Vec<String> = org
        .records("Account")
        .expect("records")
        .iter()
        .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
        .map(|r| r.id().to_owned())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(ids.len(), all.len(), "one deleted, one created");
    assert!(!ids.contains(&all[3].id().to_owned()));
    assert_eq!(ids.last(), Some(&created), "the newest comes last");
    assert!(org.live_ids("NoSuchObject").is_err());
}
