//! REST API calls: versions, describeGlobal, describe, identity, query pages.

use serde::Deserialize;

use super::{ApiClient, Call};
use crate::error::{Error, Result};
use crate::schema::{ObjectInfo, ObjectSchema};

#[derive(Deserialize)]
struct DescribeGlobal {
    sobjects: Vec<ObjectInfo>,
}

/// One entry of `GET /services/data/`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VersionEntry {
    pub version: String,
}

pub(crate) async fn versions(client: &ApiClient) -> Result<Vec<VersionEntry>> {
    client
        .get_json("/services/data/", "list API versions")
        .await
}

pub(crate) async fn describe_global(client: &ApiClient) -> Result<Vec<ObjectInfo>> {
    let path = client.data_path("sobjects");
    let g: DescribeGlobal = client.get_json(&path, "describeGlobal").await?;
    Ok(g.sobjects)
}

pub(crate) async fn describe(client: &ApiClient, object: &str) -> Result<ObjectSchema> {
    let path = client.data_path(&format!("sobjects/{object}/describe"));
    let context = format!("describe {object}");
    match client.send_bytes(&Call::get(&path, &context)).await {
        Ok((_, body)) => ObjectSchema::from_describe_json(&body),
        Err(e) if e.status() == Some(404) || e.error_code() == Some("NOT_FOUND") => {
            Err(Error::Object {
                object: object.to_string(),
                reason: "does not exist or is not visible to the connecting user".into(),
            })
        }
        Err(e) => Err(e),
    }
}

/// The identity of the connecting user (`GET` the token's identity URL).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct IdentityInfo {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

pub(crate) async fn identity(client: &ApiClient, url: &str) -> Result<IdentityInfo> {
    client.get_json(url, "identity").await
}

/// One REST query page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryPage {
    #[serde(default = "yes")]
    pub done: bool,
    #[serde(default)]
    pub next_records_url: Option<String>,
    #[serde(default)]
    pub records: Vec<serde_json::Value>,
}

fn yes() -> bool {
    true
}

/// First page (`query`/`queryAll`) or the next (`nextRecordsUrl`, followed verbatim).
pub(crate) async fn query_page(
    client: &ApiClient,
    soql: &str,
    all: bool,
    next: Option<&str>,
) -> Result<QueryPage> {
    let target = match next {
        Some(url) => url.to_string(),
        None => {
            let endpoint = if all { "queryAll" } else { "query" };
            let mut u = url::Url::parse("http://x/")
                .map_err(|e| Error::protocol("query", e.to_string()))?;
            u.query_pairs_mut().append_pair("q", soql);
            format!(
                "{}?{}",
                client.data_path(endpoint),
                u.query().unwrap_or_default()
            )
        }
    };
    client.get_json(&target, "REST query").await
}
