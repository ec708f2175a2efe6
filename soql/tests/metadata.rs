//! A small org's describe, for checker tests.

use soql::{ChildRelationship, FieldMeta, FieldType as T, ObjectMeta};

fn f(name: &str, ty: T) -> FieldMeta {
    FieldMeta::new(name, ty)
}

fn audit(fields: &mut Vec<FieldMeta>) {
    fields.extend([
        f("Id", T::Id),
        f("CreatedDate", T::DateTime),
        f("LastModifiedDate", T::DateTime),
        f("SystemModstamp", T::DateTime),
        f("IsDeleted", T::Boolean),
    ]);
}

fn object(name: &str, mut fields: Vec<FieldMeta>, children: &[(&str, &str, &str)]) -> ObjectMeta {
    audit(&mut fields);
    let mut o = ObjectMeta::new(name, fields);
    o.child_relationships = children
        .iter()
        .map(|(rel, child, field)| ChildRelationship {
            relationship_name: (*rel).into(),
            child_object: (*child).into(),
            field: (*field).into(),
        })
        .collect();
    o
}

pub(crate) fn org() -> Vec<ObjectMeta> {
    vec![
        object(
            "Account",
            vec![
                f("Name", T::String),
                f("Industry", T::Picklist),
                f("Type", T::Picklist),
                f("NumberOfEmployees", T::Int),
                f("AnnualRevenue", T::Currency),
                f("Tags__c", T::MultiPicklist),
                f("Founded__c", T::Date),
                f("Description", T::TextArea),
                FieldMeta::lookup("OwnerId", "Owner", &["User"]),
                FieldMeta::lookup("ParentId", "Parent", &["Account"]),
            ],
            &[
                ("Contacts", "Contact", "AccountId"),
                ("Opportunities", "Opportunity", "AccountId"),
            ],
        ),
        object(
            "Contact",
            vec![
                f("FirstName", T::String),
                f("LastName", T::String),
                f("Email", T::Email),
                f("Birthdate", T::Date),
                FieldMeta::lookup("AccountId", "Account", &["Account"]),
                FieldMeta::lookup("OwnerId", "Owner", &["User"]),
            ],
            &[],
        ),
        object(
            "Opportunity",
            vec![
                f("Name", T::String),
                f("Amount", T::Currency),
                f("CloseDate", T::Date),
                f("StageName", T::Picklist),
                f("IsWon", T::Boolean),
                f("Probability", T::Percent),
                FieldMeta::lookup("AccountId", "Account", &["Account"]),
            ],
            &[],
        ),
        object(
            "User",
            vec![
                f("Name", T::String),
                f("IsActive", T::Boolean),
                FieldMeta::lookup("ProfileId", "Profile", &["Profile"]),
            ],
            &[],
        ),
        object("Profile", vec![f("Name", T::String)], &[]),
    ]
}
