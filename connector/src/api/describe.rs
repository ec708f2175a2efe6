//! Describe calls and their wire types: `describeGlobal` (the objects a user may see)
//! and `describe` (one object's fields). `schema` maps a [`Describe`] to Arrow.

use serde::Deserialize;

use super::{ApiClient, Call};
use crate::error::{Error, Result};

/// One entry of describeGlobal: an object the user may see.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectInfo {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Custom object?
    #[serde(default)]
    pub custom: bool,
    /// Can be queried (SOQL/Bulk).
    #[serde(default)]
    pub queryable: bool,
    /// Supports replication (queryAll, getUpdated/getDeleted).
    #[serde(default)]
    pub replicateable: bool,
}

#[derive(Deserialize)]
struct DescribeGlobal {
    sobjects: Vec<ObjectInfo>,
}

/// A describe result (`GET /sobjects/{Obj}/describe`), as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Describe {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub custom: bool,
    #[serde(default = "yes")]
    pub queryable: bool,
    #[serde(default)]
    pub replicateable: bool,
    #[serde(default)]
    pub fields: Vec<DescribeField>,
}

fn yes() -> bool {
    true
}

/// One field of a describe result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeField {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(rename = "type")]
    pub sf_type: String,
    #[serde(default)]
    pub length: Option<u32>,
    #[serde(default)]
    pub precision: Option<u32>,
    #[serde(default)]
    pub scale: Option<i32>,
    #[serde(default = "yes")]
    pub nillable: bool,
    #[serde(default)]
    pub filterable: bool,
    /// Absent in a describe: not sortable (the field is then never an `ORDER BY` key).
    #[serde(default)]
    pub sortable: bool,
    #[serde(default)]
    pub groupable: bool,
    #[serde(default)]
    pub aggregatable: bool,
    /// A picklist that holds only its defined values (absent in old describes: not).
    #[serde(default)]
    pub restricted_picklist: bool,
    #[serde(default)]
    pub compound_field_name: Option<String>,
    #[serde(default)]
    pub reference_to: Option<Vec<String>>,
    #[serde(default)]
    pub relationship_name: Option<String>,
}

/// Parses a describe response body.
pub(crate) fn parse(body: &[u8]) -> Result<Describe> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body)
        .map_err(|e| Error::protocol_from("describe", "not a describe result", e))
}

/// Every object the user may see (`describeGlobal`).
pub(crate) async fn describe_global(client: &ApiClient) -> Result<Vec<ObjectInfo>> {
    let path = client.data_path("sobjects");
    let g: DescribeGlobal = client.get_json(&path, "describeGlobal").await?;
    Ok(g.sobjects)
}

/// One object's describe; an object that does not exist or is hidden is an
/// [`Error::Object`].
pub(crate) async fn describe(client: &ApiClient, object: &str) -> Result<Describe> {
    let path = client.data_path(&format!("sobjects/{object}/describe"));
    let context = format!("describe {object}");
    match client.send_bytes(&Call::get(&path, &context)).await {
        Ok((_, body)) => parse(&body),
        Err(e) if e.status() == Some(404) || e.error_code() == Some("NOT_FOUND") => {
            Err(Error::Object {
                object: object.to_string(),
                reason: "does not exist or is not visible to the connecting user".into(),
            })
        }
        Err(e) => Err(e),
    }
}
