//! Describe → Arrow: one mapping table from every Salesforce field type to an Arrow type.
//!
//! | Salesforce `type` | Arrow | note |
//! |---|---|---|
//! | `id`, `reference`, `string`, `textarea`, `email`, `phone`, `url`, `picklist`, `multipicklist` (`A;B`), `combobox`, `encryptedstring`, `datacategorygroupreference`, `anyType`, `complexvalue`, `json` | `Utf8` | |
//! | `boolean` | `Boolean` | |
//! | `int` | `Int32` | |
//! | `long` | `Int64` | |
//! | `double` | `Float64` | |
//! | `currency`, `percent` | `Decimal128(precision, scale)` | as stored, no currency conversion; `Float64` when describe gives no usable precision |
//! | `date` | `Date32` | |
//! | `datetime` | `Timestamp(Millisecond, "+00:00")` | UTC |
//! | `time` | `Time32(Millisecond)` | |
//! | `address`, `location` (compound) | — | not a column: its component fields are (the same columns for every API type) |
//! | `base64` | — | not a column: Bulk API cannot read it and REST/SOAP give a blob URL |
//! | anything else | `Utf8` | read as text, with a warning |
//!
//! Each Arrow field carries the Salesforce metadata under the keys `sf.type`, `sf.label`,
//! `sf.filterable`, `sf.compound` (see [`FieldInfo`]).

use std::collections::HashMap;
use std::sync::Arc;

use crate::api::describe::Describe;
pub use crate::api::describe::ObjectInfo;
use crate::error::{Error, Result};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The timezone of every datetime column.
pub const UTC: &str = "+00:00";

/// A field's part in a compound (address/location) field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompoundRole {
    /// An ordinary field.
    None,
    /// The compound itself (type `address`/`location`): never a column.
    Compound,
    /// A component of the named compound field, e.g. `BillingCity` of `BillingAddress`.
    Component(String),
}

/// Salesforce metadata of one column of an [`ObjectSchema`].
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// API name, e.g. `AnnualRevenue`.
    pub name: String,
    /// Label shown in Salesforce.
    pub label: String,
    /// Salesforce `type` from describe, e.g. `currency`.
    pub sf_type: String,
    /// The Arrow type the column has.
    pub data_type: DataType,
    /// Whether the field may be null (`nillable`). Checkboxes are never null.
    pub nillable: bool,
    /// Whether SOQL `WHERE` may use it (`filterable`); pushdown uses only these.
    pub filterable: bool,
    /// Whether SOQL `GROUP BY` may use it (`groupable`; not numbers with decimals,
    /// datetimes or long text).
    pub groupable: bool,
    /// Whether SOQL aggregate functions may take it (`aggregatable`; not checkboxes).
    pub aggregatable: bool,
    /// Whether SOQL `ORDER BY` may use it (`sortable`); top-N pushdown uses only these.
    pub sortable: bool,
    /// A picklist restricted to its defined values (`restrictedPicklist`): the org refuses
    /// any other value, so two values of it never differ by case only.
    pub restricted_picklist: bool,
    /// Part of a compound field?
    pub compound: CompoundRole,
    /// For references: the objects it may point to.
    pub reference_to: Vec<String>,
    /// For references: the relationship name used in paths (`Owner`, `Invoice__r`).
    pub relationship_name: Option<String>,
    /// For text: the maximum length.
    pub length: Option<u32>,
    /// For numbers: precision and scale.
    pub precision_scale: Option<(u8, i8)>,
}

/// A field of the object that is not a column, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedField {
    /// API name.
    pub name: String,
    /// Salesforce `type`.
    pub sf_type: String,
    /// Why it is not a column.
    pub reason: String,
}

/// One object as the connecting user sees it: an Arrow schema plus Salesforce metadata.
#[derive(Debug, Clone)]
pub struct ObjectSchema {
    /// API name with the org's casing, e.g. `Account`.
    pub name: String,
    /// Label.
    pub label: String,
    /// Whether the object is custom (`__c`).
    pub custom: bool,
    /// Whether the object is queryable at all.
    pub queryable: bool,
    /// Whether queryAll/getUpdated/getDeleted work (replicateable).
    pub replicateable: bool,
    /// The Arrow schema of every column, in describe order.
    pub schema: SchemaRef,
    /// Salesforce metadata, one per column of `schema`, same order.
    pub fields: Vec<FieldInfo>,
    /// Fields that are not columns (compounds, base64), with the reason.
    pub skipped: Vec<SkippedField>,
}

impl ObjectSchema {
    /// The column's metadata by API name (case-insensitive, as SOQL is).
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Index of a column by API name (case-insensitive).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Whether the org has multiple currencies here (the object has `CurrencyIsoCode`).
    pub fn has_currency_code(&self) -> bool {
        self.field("CurrencyIsoCode").is_some()
    }

    /// The Arrow schema of the given columns, in the given order; names are matched
    /// case-insensitively and come out in the org's casing. Unknown names fail with
    /// [`Error::Field`].
    pub fn project(&self, columns: &[String]) -> Result<SchemaRef> {
        let fields = columns
            .iter()
            .map(|c| {
                self.index_of(c)
                    .map(|i| Arc::new(self.schema.field(i).clone()))
                    .ok_or_else(|| self.unknown_field(c))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Schema::new(fields)))
    }

    /// Builds the error for a name that is not a column, naming why when we know.
    pub fn unknown_field(&self, name: &str) -> Error {
        let reason = match self
            .skipped
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
        {
            Some(s) => format!("is not a column: {}", s.reason),
            None if !crate::config::is_valid_field_name(name) => {
                "is not a valid field name (letters, digits, dots, underscores, dashes)".into()
            }
            None => "does not exist or is not visible to the connecting user".into(),
        };
        Error::Field {
            object: self.name.clone(),
            field: name.to_string(),
            reason,
        }
    }

    /// The object as `soql`'s checker sees it (columns and skipped fields, with types).
    pub fn to_soql_meta(&self) -> soql::ObjectMeta {
        let mut fields: Vec<soql::FieldMeta> = self
            .fields
            .iter()
            .map(|f| soql::FieldMeta {
                name: f.name.clone(),
                field_type: soql::FieldType::from_describe(&f.sf_type)
                    .unwrap_or(soql::FieldType::AnyType),
                relationship_name: f.relationship_name.clone(),
                reference_to: f.reference_to.clone(),
            })
            .collect();
        fields.extend(self.skipped.iter().map(|s| {
            soql::FieldMeta::new(
                &s.name,
                soql::FieldType::from_describe(&s.sf_type).unwrap_or(soql::FieldType::AnyType),
            )
        }));
        soql::ObjectMeta::new(&self.name, fields)
    }

    /// Parses a describe response body (`GET /sobjects/{Obj}/describe`).
    pub fn from_describe_json(body: &[u8]) -> Result<ObjectSchema> {
        crate::api::describe::parse(body).map(ObjectSchema::from_describe)
    }

    /// Maps a describe result (the API layer's wire type) to columns.
    pub(crate) fn from_describe(d: Describe) -> ObjectSchema {
        map_describe(d)
    }
}

/// Maps a Salesforce field type (+ precision/scale) to its Arrow type; `None` = not a column.
pub fn arrow_type(sf_type: &str, precision: u32, scale: i32) -> Option<DataType> {
    Some(match sf_type {
        "boolean" => DataType::Boolean,
        "int" => DataType::Int32,
        "long" => DataType::Int64,
        "double" => DataType::Float64,
        "currency" | "percent" => {
            if (1..=38).contains(&precision) && (0..=precision as i32).contains(&scale) {
                DataType::Decimal128(precision as u8, scale as i8)
            } else {
                DataType::Float64
            }
        }
        "date" => DataType::Date32,
        "datetime" => DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
        "time" => DataType::Time32(TimeUnit::Millisecond),
        "address" | "location" | "base64" => return None,
        _ => DataType::Utf8,
    })
}

const KNOWN_TEXT_TYPES: &[&str] = &[
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
    "datacategorygroupreference",
    "anyType",
    "complexvalue",
    "json",
];

fn map_describe(d: Describe) -> ObjectSchema {
    let mut fields = Vec::with_capacity(d.fields.len());
    let mut arrow_fields = Vec::with_capacity(d.fields.len());
    let mut skipped = Vec::new();
    for f in d.fields {
        let precision = f.precision.unwrap_or(0);
        let scale = f.scale.unwrap_or(0);
        let Some(data_type) = arrow_type(&f.sf_type, precision, scale) else {
            let reason = match f.sf_type.as_str() {
                "base64" => "base64 fields hold files, which Bulk API 2.0 cannot read and REST/SOAP return only as a link".to_string(),
                _ => "a compound field: Bulk API 2.0 cannot select it; its component fields are columns".to_string(),
            };
            skipped.push(SkippedField {
                name: f.name,
                sf_type: f.sf_type,
                reason,
            });
            continue;
        };
        if data_type == DataType::Utf8 && !KNOWN_TEXT_TYPES.contains(&f.sf_type.as_str()) {
            tracing::warn!(object = %d.name, field = %f.name, sf_type = %f.sf_type, "unknown Salesforce field type; read as text");
        }
        let compound = match f.compound_field_name {
            Some(c) if !c.is_empty() && c != f.name => CompoundRole::Component(c),
            _ => CompoundRole::None,
        };
        // Checkboxes are never null in Salesforce even where describe says nillable.
        let nillable = f.nillable && f.sf_type != "boolean";
        let mut meta = HashMap::new();
        meta.insert("sf.type".to_string(), f.sf_type.clone());
        meta.insert("sf.label".to_string(), f.label.clone());
        meta.insert("sf.filterable".to_string(), f.filterable.to_string());
        if let CompoundRole::Component(c) = &compound {
            meta.insert("sf.compound".to_string(), c.clone());
        }
        // Arrow columns are always nullable: a field the user may see can still come back
        // null (a formula, a restricted parent), and a non-null column would fail the batch.
        arrow_fields.push(Field::new(&f.name, data_type.clone(), true).with_metadata(meta));
        let precision_scale = match &data_type {
            DataType::Decimal128(p, s) => Some((*p, *s)),
            _ => None,
        };
        fields.push(FieldInfo {
            name: f.name,
            label: f.label,
            sf_type: f.sf_type,
            data_type,
            nillable,
            filterable: f.filterable,
            groupable: f.groupable,
            aggregatable: f.aggregatable,
            sortable: f.sortable,
            restricted_picklist: f.restricted_picklist,
            compound,
            reference_to: f.reference_to.unwrap_or_default(),
            relationship_name: f.relationship_name.filter(|r| !r.is_empty()),
            length: f.length.filter(|l| *l > 0),
            precision_scale,
        });
    }
    ObjectSchema {
        name: d.name,
        label: d.label,
        custom: d.custom,
        queryable: d.queryable,
        replicateable: d.replicateable,
        schema: Arc::new(Schema::new(arrow_fields)),
        fields,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> ObjectSchema {
        ObjectSchema::from_describe_json(&sfdf_fixtures::bytes(&format!("describe/{name}")))
            .unwrap()
    }

    #[test]
    fn every_describe_fixture_maps_every_field() {
        let mut seen_types = std::collections::BTreeSet::new();
        for path in sfdf_fixtures::files("describe") {
            let body = std::fs::read(&path).unwrap();
            let raw: serde_json::Value =
                serde_json::from_slice(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body))
                    .unwrap();
            let Some(fields) = raw["fields"].as_array() else {
                continue;
            };
            let s = ObjectSchema::from_describe_json(&body).unwrap();
            assert_eq!(s.fields.len() + s.skipped.len(), fields.len(), "{path:?}");
            assert_eq!(s.schema.fields().len(), s.fields.len());
            for f in fields {
                let name = f["name"].as_str().unwrap();
                let ty = f["type"].as_str().unwrap();
                seen_types.insert(ty.to_string());
                let expected = arrow_type(
                    ty,
                    f["precision"].as_u64().unwrap_or(0) as u32,
                    f["scale"].as_i64().unwrap_or(0) as i32,
                );
                match expected {
                    Some(dt) => {
                        let col = s
                            .field(name)
                            .unwrap_or_else(|| panic!("{name} missing in {path:?}"));
                        assert_eq!(col.data_type, dt);
                        assert_eq!(s.schema.field(s.index_of(name).unwrap()).data_type(), &dt);
                        assert_eq!(col.sf_type, ty);
                    }
                    None => assert!(
                        s.skipped.iter().any(|k| k.name == name),
                        "{name} in {path:?}"
                    ),
                }
            }
        }
        // The fixtures cover the common types; the table handles them all.
        for t in [
            "id",
            "reference",
            "string",
            "boolean",
            "currency",
            "date",
            "datetime",
            "double",
            "picklist",
            "address",
        ] {
            assert!(seen_types.contains(t), "fixtures lack {t}: {seen_types:?}");
        }
    }

    #[test]
    fn account_columns_have_the_stated_types_and_compound_policy() {
        let s = load("Account.cumulusci-v48.json");
        let ty = |n: &str| s.field(n).unwrap().data_type.clone();
        assert_eq!(ty("Id"), DataType::Utf8);
        assert_eq!(ty("IsDeleted"), DataType::Boolean);
        assert_eq!(ty("NumberOfEmployees"), DataType::Int32);
        assert!(
            matches!(ty("AnnualRevenue"), DataType::Decimal128(18, 0)),
            "{:?}",
            ty("AnnualRevenue")
        );
        assert_eq!(
            ty("CreatedDate"),
            DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into()))
        );
        // Compound address: not a column; its parts are, and say whose parts they are.
        assert!(s.field("BillingAddress").is_none());
        assert!(
            s.skipped
                .iter()
                .any(|k| k.name == "BillingAddress" && k.reason.contains("component"))
        );
        assert_eq!(
            s.field("BillingCity").unwrap().compound,
            CompoundRole::Component("BillingAddress".into())
        );
        let e = s
            .project(&["BillingAddress".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("BillingAddress") && e.contains("compound"),
            "{e}"
        );
        let e = s
            .project(&["NoSuchField__c".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not visible"), "{e}");
        // Projection keeps the requested order and the org's casing.
        let p = s.project(&["name".into(), "ID".into()]).unwrap();
        assert_eq!(p.field(0).name(), "Name");
        assert_eq!(p.field(1).name(), "Id");
        assert_eq!(
            p.field(0).metadata().get("sf.type").map(String::as_str),
            Some("string")
        );
    }

    #[test]
    fn restricted_picklists_are_read_from_describe() {
        // A real org's describe: geocode accuracy is restricted, Industry is not.
        let s = load("Account.cumulusci-v48.json");
        let restricted = |n: &str| s.field(n).unwrap().restricted_picklist;
        assert!(restricted("BillingGeocodeAccuracy"));
        assert!(!restricted("Industry"));
        assert!(!restricted("Name"));
    }

    #[test]
    fn mapping_table() {
        assert_eq!(arrow_type("int", 0, 0), Some(DataType::Int32));
        assert_eq!(arrow_type("long", 18, 0), Some(DataType::Int64));
        assert_eq!(
            arrow_type("percent", 5, 2),
            Some(DataType::Decimal128(5, 2))
        );
        assert_eq!(arrow_type("currency", 0, 0), Some(DataType::Float64));
        assert_eq!(
            arrow_type("time", 0, 0),
            Some(DataType::Time32(TimeUnit::Millisecond))
        );
        assert_eq!(arrow_type("date", 0, 0), Some(DataType::Date32));
        assert_eq!(arrow_type("multipicklist", 0, 0), Some(DataType::Utf8));
        assert_eq!(arrow_type("location", 0, 0), None);
        assert_eq!(arrow_type("base64", 0, 0), None);
        assert_eq!(arrow_type("somethingNew", 0, 0), Some(DataType::Utf8));
    }
}
