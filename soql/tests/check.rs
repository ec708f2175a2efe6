//! Checking against metadata (beyond the corpus).

use soql::{ErrorCode, FieldType, check_text, check_where, parse_where};

#[test]
fn sync_filters_are_checked_on_their_object() {
    let org = crate::metadata::org();
    let ok = parse_where("SystemModstamp >= 2024-01-01T00:00:00Z AND Owner.IsActive = true")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check_where(&ok, "Account", &org), Ok(()));
    let text = "Name = 'x' AND Owner.Nmae = 'y'";
    let bad = parse_where(text).unwrap_or_else(|e| panic!("{e}"));
    let err = check_where(&bad, "account", &org)
        .err()
        .map(|e| e.locate(text));
    assert_eq!(err.as_ref().map(|e| e.code), Some(ErrorCode::InvalidField));
    assert_eq!(
        err.as_ref().and_then(|e| e.field.clone()).as_deref(),
        Some("Owner.Nmae")
    );
    assert_eq!(
        err.as_ref().and_then(|e| e.position()).map(|p| p.column),
        Some(16)
    );
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("No such column 'Nmae' on entity 'User'")
    );
    let unknown = check_where(&ok, "Nope__c", &org).err();
    assert_eq!(unknown.map(|e| e.code), Some(ErrorCode::InvalidType));
}

#[test]
fn relationship_errors_name_the_relationship() {
    let org = crate::metadata::org();
    let err = check_text("SELECT Id, Ownr.Name FROM Account", &org).err();
    assert_eq!(
        err.map(|e| e.detail),
        Some("Didn't understand relationship 'Ownr' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.".into())
    );
}

#[test]
fn describe_type_names_map() {
    assert_eq!(
        FieldType::from_describe("datetime"),
        Some(FieldType::DateTime)
    );
    assert_eq!(
        FieldType::from_describe("multipicklist"),
        Some(FieldType::MultiPicklist)
    );
    assert_eq!(FieldType::from_describe("nope"), None);
}
