//! Error messages match what real orgs returned (shared/fixtures/salesforce/errors).

use soql::{ErrorCode, check_text, parse};

fn fixture_message(name: &str) -> (String, String) {
    let text = sfdf_fixtures::text(&format!("errors/{name}"));
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let first = &body[0];
    (
        first["errorCode"].as_str().unwrap_or_default().to_owned(),
        first["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn malformed_first_word_has_no_position() {
    let (code, message) = fixture_message("MALFORMED_QUERY.query.applink-v51.json");
    let err = parse("SELEKT Name FROM Account").err();
    assert_eq!(err.as_ref().map(|e| e.error_code()), Some(code.as_str()));
    assert_eq!(err.map(|e| e.to_string()), Some(message));
}

#[test]
fn unknown_column_matches_the_org() {
    let (code, message) = fixture_message("INVALID_FIELD.query-unknown-column.applink-v51.json");
    let err = check_text(
        "SELECT Bacon__c FROM Account LIMIT 2",
        &crate::metadata::org(),
    )
    .err();
    assert_eq!(err.as_ref().map(|e| e.error_code()), Some(code.as_str()));
    assert_eq!(
        err.as_ref().and_then(|e| e.field.clone()).as_deref(),
        Some("Bacon__c")
    );
    assert_eq!(err.map(|e| e.to_string()), Some(message));
}

#[test]
fn unknown_object_matches_the_org() {
    let (code, message) = fixture_message("INVALID_TYPE.query-unknown-object.snowfakery-v50.json");
    let err = check_text("SELECT Xyzzy FROM Xyzzy", &crate::metadata::org()).err();
    assert_eq!(err.as_ref().map(|e| e.error_code()), Some(code.as_str()));
    assert_eq!(err.map(|e| e.to_string()), Some(message));
}

#[test]
fn documented_malformed_shape() {
    // salesforce-api.md §3.6, with the caret under the column as in the fixtures.
    let err = parse("SELECT Id FRM Account").err();
    assert_eq!(
        err.as_ref().map(|e| e.code),
        Some(ErrorCode::MalformedQuery)
    );
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some(
            "\nSELECT Id FRM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"
        )
    );
}

#[test]
fn type_mismatch_names_the_field_and_type() {
    let org = crate::metadata::org();
    let err = check_text(
        "SELECT Id FROM Account WHERE NumberOfEmployees = 'ten'",
        &org,
    )
    .err();
    assert_eq!(
        err.map(|e| e.detail),
        Some("value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes".into())
    );
    let err = check_text("SELECT Id FROM Account WHERE Name = 5", &org).err();
    assert_eq!(
        err.map(|e| e.detail),
        Some("value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes".into())
    );
}

#[test]
fn crate_error_wraps_and_is_not_retryable() {
    let err: soql::Error =
        parse("SELECT")
            .err()
            .map(Into::into)
            .unwrap_or(soql::Error::EmptyList {
                field: String::new(),
            });
    assert!(!err.is_retryable());
    assert!(err.to_string().starts_with("MALFORMED_QUERY: "), "{err}");
}
