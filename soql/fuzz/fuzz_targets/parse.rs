//! Any text: parsing never panics; what parses prints to SOQL that parses back
//! to the same tree, and so does its unaliased form; checking and evaluating parsed queries
//! never panic.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use soql::{EvalContext, FieldMeta, FieldType, ObjectMeta, Value};

fn org() -> Vec<ObjectMeta> {
    let mut account = ObjectMeta::new(
        "Account",
        vec![
            FieldMeta::new("Id", FieldType::Id),
            FieldMeta::new("Name", FieldType::String),
            FieldMeta::new("Amount", FieldType::Currency),
            FieldMeta::new("CreatedDate", FieldType::DateTime),
            FieldMeta::new("Tags", FieldType::MultiPicklist),
            FieldMeta::lookup("ParentId", "Parent", &["Account"]),
        ],
    );
    account.child_relationships.push(soql::ChildRelationship {
        relationship_name: "Children".into(),
        child_object: "Account".into(),
        field: "ParentId".into(),
    });
    vec![account]
}

struct Any;

impl soql::Record for Any {
    fn value(&self, path: &[&str]) -> Option<Value> {
        let last = path.last()?.to_ascii_lowercase();
        Some(match last.as_str() {
            "name" => Value::String("Acme".into()),
            "amount" => Value::Double(1.5),
            "createddate" => Value::DateTime(Utc.timestamp_opt(1_700_000_000, 0).single()?),
            "tags" => Value::multipicklist("a;b"),
            "id" => Value::String("001".into()),
            _ => Value::Null,
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ctx = EvalContext::new(Utc.timestamp_opt(1_700_000_000, 0).single().unwrap_or_default());
    if let Ok(query) = soql::parse(text) {
        let printed = query.to_string();
        let again = soql::parse(&printed)
            .unwrap_or_else(|e| panic!("printed query does not parse:\n{printed}\n{e}"));
        assert_eq!(again, query, "round trip changed the tree:\n{printed}");
        assert_eq!(again.to_string(), printed);
        let _ = soql::check(&query, &org()).map(|()| ()).map_err(|e| e.locate(text).to_string());
        let unaliased = query.unaliased().to_string();
        soql::parse(&unaliased)
            .unwrap_or_else(|e| panic!("unaliased query does not parse:\n{unaliased}\n{e}"));
        let _ = soql::select_rows(&query, vec![Any, Any], &ctx, &NoSub);
    } else if let Err(e) = soql::parse(text) {
        let _ = e.to_string();
    }
    if let Ok(expr) = soql::parse_where(text) {
        let printed = expr.to_string();
        let again = soql::parse_where(&printed)
            .unwrap_or_else(|e| panic!("printed condition does not parse:\n{printed}\n{e}"));
        assert_eq!(again, expr, "round trip changed the condition:\n{printed}");
        let _ = soql::matches(&expr, &Any, &ctx);
        let _ = soql::check_where(&expr, "Account", &org());
    }
});

struct NoSub;

impl soql::Subqueries for NoSub {
    fn values(&self, _: &soql::Query) -> Result<Vec<Value>, soql::EvalError> {
        Ok(vec![Value::String("001".into())])
    }
}
