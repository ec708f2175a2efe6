//! Rendering stored values for the wire: REST JSON (with compound fields) and record bodies.

use serde_json::{Map, Value as Json, json};

use crate::model::Row;
use crate::model::schema::{FieldType, ObjectDef};
use crate::model::value::Value;

/// The `attributes` object of a REST record.
pub(crate) fn attributes(object: &str, id: Option<&str>, version: &str) -> Json {
    match id {
        Some(id) => {
            json!({"type": object, "url": format!("/services/data/{version}/sobjects/{object}/{id}")})
        }
        None => json!({"type": object}),
    }
}

/// The REST JSON value of field `i` of `row`: compound fields are assembled from their parts,
/// base64 fields are the relative URL of the blob.
pub(crate) fn field_json(def: &ObjectDef, row: &Row, i: usize, version: &str) -> Json {
    let field = &def.fields[i];
    match field.ty {
        FieldType::Address => {
            let part = |suffix: &str| -> Json {
                def.fields
                    .iter()
                    .position(|f| f.compound == Some(field.name) && f.name.ends_with(suffix))
                    .map(|j| row[j].to_json())
                    .unwrap_or(Json::Null)
            };
            let obj = json!({
                "city": part("City"),
                "country": part("Country"),
                "geocodeAccuracy": part("GeocodeAccuracy"),
                "latitude": part("Latitude"),
                "longitude": part("Longitude"),
                "postalCode": part("PostalCode"),
                "state": part("State"),
                "street": part("Street"),
            });
            if obj
                .as_object()
                .is_some_and(|m| m.values().all(Json::is_null))
            {
                Json::Null
            } else {
                obj
            }
        }
        FieldType::Location => {
            let part = |suffix: &str| -> Json {
                def.fields
                    .iter()
                    .position(|f| f.compound == Some(field.name) && f.name.ends_with(suffix))
                    .map(|j| row[j].to_json())
                    .unwrap_or(Json::Null)
            };
            let (lat, lon) = (part("__Latitude__s"), part("__Longitude__s"));
            if lat.is_null() && lon.is_null() {
                Json::Null
            } else {
                json!({"latitude": lat, "longitude": lon})
            }
        }
        FieldType::Base64 => match (&row[i], row[0].as_str()) {
            (Value::Null, _) | (_, None) => Json::Null,
            (_, Some(id)) => Json::from(format!(
                "/services/data/{version}/sobjects/{}/{id}/{}",
                def.name, field.name
            )),
        },
        _ => row[i].to_json(),
    }
}

/// A whole record as `GET /sobjects/{object}/{id}` returns it (`fields` = which positions).
pub(crate) fn record_json(def: &ObjectDef, row: &Row, fields: &[usize], version: &str) -> Json {
    let mut map = Map::new();
    map.insert(
        "attributes".into(),
        attributes(def.name, row[0].as_str(), version),
    );
    for &i in fields {
        map.insert(def.fields[i].name.into(), field_json(def, row, i, version));
    }
    Json::Object(map)
}

/// A JSON value from a request body as a stored value (strings stay text; `coerce` types them).
pub(crate) fn value_from_json(v: &Json) -> Option<Value> {
    Some(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64()?),
        },
        Json::String(s) => Value::from(s.as_str()),
        _ => return None,
    })
}
