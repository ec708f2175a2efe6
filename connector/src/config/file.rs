//! The connection file as written by people: flat YAML keys, parsed with line/column errors.
//!
//! This is the serde model only; [`super::rules`] turns it into a validated
//! [`Connection`](super::Connection). The JSON Schema in `schemas/connection.schema.json`
//! is generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApiType, AuthType};

/// A connection file (`*.yaml`), as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "sfdf connection",
    description = "A connection to a Salesforce org: how to reach it, how to authenticate, what to sync."
)]
pub struct ConnectionFile {
    /// Free text shown to people, e.g. `Sales EU`.
    pub connection_name: String,
    /// The API name recipes and SQL use (`SELECT .. FROM sales_eu.Account`): letters, digits and
    /// underscores, starting with a letter, no trailing or doubled underscore. Cannot change
    /// once data was synced under it.
    pub developer_name: String,
    /// Free text, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `oauth` (client credentials of an External Client App; the default) or `password`
    /// (legacy SOAP `login()`, deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthType>,
    /// Consumer key of the External Client App. `${VAR}` reads the environment, `file:PATH`
    /// reads a file (relative to the connection file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Consumer secret: `${VAR}` or `file:PATH` (inline secrets are accepted only for a
    /// loopback `domain_url`, i.e. the emulated org).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Legacy `password` auth only: the user name (`${VAR}`, `file:PATH` or inline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Legacy `password` auth only: the password (`${VAR}` or `file:PATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Legacy `password` auth only: the security token appended to the password (`${VAR}` or `file:PATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_token: Option<String>,
    /// Legacy `password` auth only: the SOAP login URL; defaults to `https://login.salesforce.com`,
    /// better the org's My Domain URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
    /// The org's My Domain URL, e.g. `https://acme.my.salesforce.com`. Must be `https://` on a
    /// Salesforce host; plain `http://` only for loopback addresses (the emulated org).
    pub domain_url: String,
    /// `bulkv2` (Bulk API 2.0; the default), `soap` (query/queryMore) or `rest` (paged REST query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_type: Option<ApiType>,
    /// Salesforce API version, e.g. `"64.0"`. Standard objects need at least 34.0, `bulkv2` at least 50.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<VersionText>,
    /// The objects to sync, by API name; default: every object the connecting user may see.
    /// An object with nothing after it (`Account:`) means every field, unfiltered (`{}`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "objects_allowing_empty"
    )]
    #[schemars(with = "Option<BTreeMap<String, Option<ObjectEntry>>>")]
    pub objects: Option<BTreeMap<String, ObjectEntry>>,
    /// Per-object limits; default 100 million rows or 50GB, whichever comes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsEntry>,
    /// A PEM file of certificate authorities to trust besides the built-in ones (relative to
    /// the connection file): for a corporate proxy that re-signs TLS, or the emulated org's
    /// HTTPS port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// How `sfdf sync` runs: reconcile schedule, extraction concurrency, API budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncEntry>,
}

/// The `sync:` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncEntry {
    /// Also reconcile (find hard deletes, as `--reconcile` does) on every Nth sync of an
    /// object; default: only when `--reconcile` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_every: Option<u32>,
    /// Extraction partitions read at once per object (Bulk result pages, or `SystemModstamp`
    /// windows); default 4, at most 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// The share of the org's daily API limit a sync may bring the org's usage to, e.g.
    /// `50%` (read from `Sforce-Limit-Info`); reached, the sync stops cleanly and the next
    /// run resumes from the committed checkpoints. Default: no budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_budget: Option<ShareText>,
}

/// A share as written: `50%` or a fraction such as `0.5`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ShareText {
    /// A fraction, `0.5`.
    Fraction(f64),
    /// A percentage, `50%`.
    Percent(String),
}

/// One entry under `objects:`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectEntry {
    /// Field API names to sync; default: every field the user may see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// Data sync filter: a SOQL `WHERE` expression, e.g. `Industry != null AND AnnualRevenue > 1000000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

/// The `limits:` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsEntry {
    /// Maximum rows per object (at most 2,000,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Maximum bytes per object, e.g. `50GB`, `500MB` or a number of bytes (at most 1000GB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<ByteSizeText>,
}

/// An API version as written: `"64.0"`, `64.0` or `64`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum VersionText {
    /// `"64.0"` (quoted: the recommended form).
    Text(String),
    /// `64.0` or `64` (unquoted).
    Number(f64),
}

/// A byte size as written: `50GB`, `512 MB`, `1TB` or a plain number of bytes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ByteSizeText {
    /// A number of bytes.
    Bytes(u64),
    /// A number with a unit: `B`, `KB`, `MB`, `GB`, `TB` (powers of 1000).
    Text(String),
}

/// `Account:` with nothing after it is YAML for null: read as `{}`.
fn objects_allowing_empty<'de, D>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, ObjectEntry>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let objects = Option::<BTreeMap<String, Option<ObjectEntry>>>::deserialize(deserializer)?;
    Ok(objects.map(|objects| {
        objects
            .into_iter()
            .map(|(name, entry)| (name, entry.unwrap_or_default()))
            .collect()
    }))
}

/// Parses YAML text into the file model; errors name line and column, in words meant for
/// the person who wrote the file (not the program's types), with a "did you mean" for a
/// misspelt key.
pub(crate) fn parse_yaml(text: &str, origin: &str) -> crate::Result<ConnectionFile> {
    // No source snippet in the message: the offending line may hold a secret.
    serde_saphyr::from_str::<ConnectionFile>(text).map_err(|e| crate::Error::ConfigFile {
        path: origin.to_string(),
        message: plain_message(
            &e.without_snippet()
                .render_with_formatter(&serde_saphyr::UserMessageFormatter),
        ),
    })
}

/// Rewords what the YAML reader says in terms of its own API, and suggests the closest
/// key for an unknown one.
fn plain_message(message: &str) -> String {
    let mut message = message
        .replace(
            "cannot deserialize null into string; use Option<String>",
            "a value is missing (write it after the `:`, in quotes if it has special characters)",
        )
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace("duplicate mapping key", "a key is written twice");
    if let Some(rest) = message.split("unknown field `").nth(1)
        && let Some((unknown, after)) = rest.split_once('`')
    {
        // `.., expected one of a, b, c at line 3, column 1` (or `expected a or b`).
        let list = after.split_once("expected ").map_or("", |(_, l)| l);
        let list = list.strip_prefix("one of ").unwrap_or(list);
        let list = list.split(" at line").next().unwrap_or(list);
        let known: Vec<&str> = list
            .split([','])
            .flat_map(|k| k.split(" or "))
            .map(|k| k.trim().trim_matches('`'))
            .filter(|k| !k.is_empty())
            .collect();
        let unknown = unknown.to_owned();
        if let Some(near) = crate::suggest::closest(&unknown, known.iter().copied()) {
            message.push_str(&format!("; did you mean `{near}`?"));
        }
    }
    message
}

/// The JSON Schema of connection files, as pretty-printed JSON (what `schemas/connection.schema.json` holds).
pub fn connection_json_schema() -> String {
    let schema = schemars::schema_for!(ConnectionFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
