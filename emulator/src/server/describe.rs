//! describeGlobal, describe and the basic object info, filtered by the caller's profile.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::{App, Caller, json_ok, sf_error};
use crate::auth::Profile;
use crate::model::schema::{FieldDef, FieldType, ObjectDef};

/// Every object's metadata was "last changed" at this instant: `If-Modified-Since` later than
/// this answers 304.
const METADATA_CHANGED: &str = "Wed, 01 Jan 2025 00:00:00 GMT";

fn not_modified(headers: &HeaderMap) -> bool {
    let changed = chrono::DateTime::parse_from_rfc2822(METADATA_CHANGED).ok();
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .zip(changed)
        .is_some_and(|(since, changed)| since >= changed)
}

fn object_summary(def: &ObjectDef, version: &str) -> Json {
    let base = format!("/services/data/{version}/sobjects/{}", def.name);
    let deletable = def.field("IsDeleted").is_some();
    json!({
        "activateable": false,
        "associateEntityType": null,
        "associateParentEntity": null,
        "createable": true,
        "custom": def.custom,
        "customSetting": false,
        "deepCloneable": false,
        "deletable": deletable,
        "deprecatedAndHidden": false,
        "feedEnabled": !def.custom,
        "hasSubtypes": false,
        "isInterface": false,
        "isSubtype": false,
        "keyPrefix": def.key_prefix,
        "label": def.label,
        "labelPlural": def.label_plural,
        "layoutable": true,
        "mergeable": matches!(def.name, "Account" | "Contact" | "Lead" | "Case"),
        "mruEnabled": true,
        "name": def.name,
        "queryable": true,
        "replicateable": true,
        "retrieveable": true,
        "searchable": true,
        "triggerable": true,
        "undeletable": deletable,
        "updateable": true,
        "urls": {
            "compactLayouts": format!("{base}/describe/compactLayouts"),
            "rowTemplate": format!("{base}/{{ID}}"),
            "approvalLayouts": format!("{base}/describe/approvalLayouts"),
            "listviews": format!("{base}/listviews"),
            "describe": format!("{base}/describe"),
            "quickActions": format!("{base}/quickActions"),
            "layouts": format!("{base}/describe/layouts"),
            "sobject": base,
        }
    })
}

/// `GET /services/data/vXX.X/sobjects`.
pub(crate) async fn describe_global(
    State(app): State<App>,
    caller: Caller,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    if not_modified(&headers) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let data = app.state.data.read();
    let sobjects: Vec<Json> = data
        .tables
        .iter()
        .filter(|t| caller.profile.can_see_object(t.def.name))
        .map(|t| object_summary(&t.def, &version))
        .collect();
    json_ok(&json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects}))
}

fn picklist_values(field: &FieldDef) -> Json {
    field
        .picklist
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "active": true,
                "defaultValue": i == 0 && field.name == "CurrencyIsoCode",
                "label": v,
                "validFor": null,
                "value": v,
            })
        })
        .collect()
}

fn field_json(field: &FieldDef) -> Json {
    let byte_length = match field.ty {
        t if t.is_text() || matches!(t, FieldType::Id | FieldType::Reference) => field.length * 3,
        _ => 0,
    };
    let length = if field.ty.is_text()
        || matches!(
            field.ty,
            FieldType::Id | FieldType::Reference | FieldType::Base64
        ) {
        field.length
    } else {
        0
    };
    json!({
        "aggregatable": field.aggregatable(),
        "aiPredictionField": false,
        "autoNumber": field.auto_number,
        "byteLength": byte_length,
        "calculated": field.calculated,
        "calculatedFormula": if field.calculated { Json::from("Amount * Probability / 100") } else { Json::Null },
        "cascadeDelete": false,
        "caseSensitive": false,
        "compoundFieldName": field.compound,
        "controllerName": null,
        "createable": field.createable,
        "custom": field.custom,
        "defaultValue": null,
        "defaultValueFormula": null,
        "defaultedOnCreate": field.defaulted_on_create || matches!(field.name, "Id" | "OwnerId" | "CreatedDate" | "CreatedById" | "LastModifiedDate" | "LastModifiedById" | "SystemModstamp" | "CurrencyIsoCode"),
        "dependentPicklist": false,
        "deprecatedAndHidden": false,
        "digits": field.digits,
        "displayLocationInDecimal": field.ty == FieldType::Location,
        "encrypted": field.ty == FieldType::EncryptedString,
        "externalId": field.external_id,
        "extraTypeInfo": field.extra_type_info.or(match field.ty {
            FieldType::Textarea if field.length > 255 => Some("plaintextarea"),
            FieldType::Url => Some("url"),
            _ => None,
        }),
        "filterable": field.filterable(),
        "filteredLookupInfo": null,
        "formulaTreatNullNumberAsZero": false,
        "groupable": field.groupable(),
        "highScaleNumber": false,
        "htmlFormatted": false,
        "idLookup": field.name == "Id" || field.external_id || field.name == "Username",
        "inlineHelpText": null,
        "label": field.label,
        "length": length,
        "mask": null,
        "maskType": null,
        "name": field.name,
        "nameField": field.name_field,
        "namePointing": field.name == "OwnerId" && field.reference_to.len() > 1,
        "nillable": field.nillable,
        "permissionable": field.nillable && !field.name_field && field.createable,
        "picklistValues": picklist_values(field),
        "polymorphicForeignKey": field.reference_to.len() > 1,
        "precision": field.precision,
        "queryByDistance": false,
        "referenceTargetField": null,
        "referenceTo": field.reference_to,
        "relationshipName": field.relationship_name,
        "relationshipOrder": null,
        "restrictedDelete": false,
        "restrictedPicklist": field.restricted,
        "scale": field.scale,
        "searchPrefilterable": false,
        "soapType": field.ty.soap_type(),
        "sortable": field.sortable(),
        "type": field.ty.api_name(),
        "unique": field.unique,
        "updateable": field.updateable,
        "writeRequiresMasterRead": false,
    })
}

/// The describe body of an object as `profile` sees it.
fn describe_json(
    def: &ObjectDef,
    version: &str,
    profile: &Profile,
    visible: &dyn Fn(&str) -> bool,
) -> Json {
    let mut body = object_summary(def, version);
    let fields: Vec<Json> = def
        .fields
        .iter()
        .filter(|f| profile.can_see_field(def.name, f.name))
        .map(field_json)
        .collect();
    let children: Vec<Json> = def
        .children
        .iter()
        .filter(|(child, ..)| visible(child))
        .map(|(child, field, relationship, cascade)| {
            json!({
                "cascadeDelete": cascade,
                "childSObject": child,
                "deprecatedAndHidden": false,
                "field": field,
                "junctionIdListNames": [],
                "junctionReferenceTo": [],
                "relationshipName": relationship,
                "restrictedDelete": false,
            })
        })
        .collect();
    if let Json::Object(map) = &mut body {
        map.insert("actionOverrides".into(), json!([]));
        map.insert("childRelationships".into(), Json::Array(children));
        map.insert("compactLayoutable".into(), true.into());
        map.insert("defaultImplementation".into(), Json::Null);
        map.insert("extendedBy".into(), Json::Null);
        map.insert("extendsInterfaces".into(), Json::Null);
        map.insert("fields".into(), Json::Array(fields));
        map.insert("implementedBy".into(), Json::Null);
        map.insert("implementsInterfaces".into(), Json::Null);
        map.insert("listviewable".into(), Json::Null);
        map.insert("lookupLayoutable".into(), Json::Null);
        map.insert("namedLayoutInfos".into(), json!([]));
        map.insert("networkScopeFieldName".into(), Json::Null);
        map.insert(
            "recordTypeInfos".into(),
            json!([{
                "active": true,
                "available": true,
                "defaultRecordTypeMapping": true,
                "developerName": "Master",
                "master": true,
                "name": "Master",
                "recordTypeId": "012000000000000AAA",
                "urls": {"layout": format!("/services/data/{version}/sobjects/{}/describe/layouts/012000000000000AAA", def.name)}
            }]),
        );
        map.insert("searchLayoutable".into(), true.into());
        map.insert(
            "supportedScopes".into(),
            json!([{"label": "All records", "name": "everything"}, {"label": "My records", "name": "mine"}]),
        );
        // Describe bodies list their keys alphabetically.
        map.sort_keys();
    }
    body
}

pub(crate) fn unknown_object(object: &str) -> Response {
    let _ = object;
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// `GET /services/data/vXX.X/sobjects/{object}/describe`.
pub(crate) async fn describe(
    State(app): State<App>,
    caller: Caller,
    Path((version, object)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let data = app.state.data.read();
    let Some(table) = data
        .table(&object)
        .filter(|t| caller.profile.can_see_object(t.def.name))
    else {
        return unknown_object(&object);
    };
    if not_modified(&headers) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let visible = |name: &str| caller.profile.can_see_object(name);
    json_ok(&describe_json(
        &table.def,
        &version,
        &caller.profile,
        &visible,
    ))
}

/// `GET /services/data/vXX.X/sobjects/{object}`: summary plus recent items.
pub(crate) async fn basic_info(
    State(app): State<App>,
    caller: Caller,
    Path((version, object)): Path<(String, String)>,
) -> Response {
    let data = app.state.data.read();
    let Some(table) = data
        .table(&object)
        .filter(|t| caller.profile.can_see_object(t.def.name))
    else {
        return unknown_object(&object);
    };
    json_ok(&json!({"objectDescribe": object_summary(&table.def, &version), "recentItems": []}))
}
