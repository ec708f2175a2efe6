//! What a synced table records about its source (table properties) and where its
//! checkpoint lives (the `txn` application transaction).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// Table property: the connection's developer name.
pub const PROP_CONNECTION: &str = "sfdf.connection";
/// Table property: the object's API name.
pub const PROP_OBJECT: &str = "sfdf.object";
/// Table property: the extraction API (`bulkv2`, `soap`, `rest`).
pub const PROP_API_TYPE: &str = "sfdf.apiType";
/// Table property: the API version (`62.0`).
pub const PROP_API_VERSION: &str = "sfdf.apiVersion";
/// Table property: the synced fields, comma-separated, in column order.
pub const PROP_FIELDS: &str = "sfdf.fields";
/// Table property: the data sync filter (empty: none).
pub const PROP_FILTER: &str = "sfdf.filter";
/// Table property: the field the checkpoint is taken from (`SystemModstamp`,
/// `LastModifiedDate`, or empty: every sync is full).
pub const PROP_CHECKPOINT_FIELD: &str = "sfdf.checkpointField";

/// The source of a synced table, as recorded in its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Connection developer name.
    pub connection: String,
    /// Object API name.
    pub object: String,
    /// `bulkv2`, `soap` or `rest`.
    pub api_type: String,
    /// `62.0`.
    pub api_version: String,
    /// Fields in column order.
    pub fields: Vec<String>,
    /// The data sync filter, if any.
    pub filter: Option<String>,
    /// The checkpoint field, if the object has one.
    pub checkpoint_field: Option<String>,
}

impl Source {
    /// As table properties.
    pub fn properties(&self) -> HashMap<String, String> {
        HashMap::from([
            (PROP_CONNECTION.into(), self.connection.clone()),
            (PROP_OBJECT.into(), self.object.clone()),
            (PROP_API_TYPE.into(), self.api_type.clone()),
            (PROP_API_VERSION.into(), self.api_version.clone()),
            (PROP_FIELDS.into(), self.fields.join(",")),
            (PROP_FILTER.into(), self.filter.clone().unwrap_or_default()),
            (
                PROP_CHECKPOINT_FIELD.into(),
                self.checkpoint_field.clone().unwrap_or_default(),
            ),
        ])
    }

    /// Why a table with `properties` needs a full sync to become this source's copy
    /// (`None`: it does not). Only what changes the rows counts: the field list, the
    /// filter and the API version (the API type does not).
    pub fn change_from(&self, properties: &HashMap<String, String>) -> Option<String> {
        let get = |k: &str| properties.get(k).map(String::as_str).unwrap_or_default();
        let old_fields: Vec<&str> = get(PROP_FIELDS)
            .split(',')
            .filter(|f| !f.is_empty())
            .collect();
        if old_fields != self.fields.iter().map(String::as_str).collect::<Vec<_>>() {
            let added: Vec<&str> = self
                .fields
                .iter()
                .map(String::as_str)
                .filter(|f| !old_fields.contains(f))
                .collect();
            let removed: Vec<&str> = old_fields
                .iter()
                .copied()
                .filter(|f| !self.fields.iter().any(|n| n == f))
                .collect();
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("added {}", added.join(", ")));
            }
            if !removed.is_empty() {
                parts.push(format!("removed {}", removed.join(", ")));
            }
            if parts.is_empty() {
                parts.push("reordered".into());
            }
            return Some(format!("the field list changed ({})", parts.join("; ")));
        }
        let filter = self.filter.clone().unwrap_or_default();
        if get(PROP_FILTER) != filter {
            return Some(format!(
                "the sync filter changed (was `{}`, now `{}`)",
                get(PROP_FILTER),
                filter
            ));
        }
        if get(PROP_API_VERSION) != self.api_version {
            return Some(format!(
                "the API version changed (was {}, now {})",
                get(PROP_API_VERSION),
                self.api_version
            ));
        }
        None
    }

    /// The application id of this table's checkpoint transaction.
    pub fn checkpoint_app_id(&self) -> String {
        format!("sfdf.sync:{}:{}", self.connection, self.object)
    }

    /// The application id of this table's reconcile point: the table holds no row the org
    /// deleted before it (set by a full sync and by each reconcile).
    pub fn reconcile_app_id(&self) -> String {
        format!("sfdf.reconcile:{}:{}", self.connection, self.object)
    }
}

/// How many syncs of a table ran since its last reconcile (for `sync.reconcile_every`).
/// Kept next to the table in `_sfdf_sync.json` (Delta readers and `VACUUM` leave files
/// starting with `_` alone); a lost or stale count only moves the next reconcile by a sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCount {
    /// Syncs since the last reconcile (or full sync).
    pub since_reconcile: u64,
}

const SYNC_COUNT_FILE: &str = "_sfdf_sync.json";

impl SyncCount {
    /// The count stored in a table's folder (0 when there is none or it does not read).
    pub fn read(table: &std::path::Path) -> SyncCount {
        let since_reconcile = std::fs::read(table.join(SYNC_COUNT_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("syncs_since_reconcile")?.as_u64())
            .unwrap_or(0);
        SyncCount { since_reconcile }
    }

    /// Stores the count (written aside, then renamed: never half a file).
    pub fn write(&self, table: &std::path::Path) -> std::io::Result<()> {
        let tmp = table.join(format!("{SYNC_COUNT_FILE}.tmp"));
        let doc = serde_json::json!({ "syncs_since_reconcile": self.since_reconcile });
        std::fs::write(&tmp, doc.to_string())?;
        std::fs::rename(&tmp, table.join(SYNC_COUNT_FILE))
    }
}

/// A checkpoint as a `txn` version: epoch milliseconds.
pub fn to_version(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A `txn` version back as a time.
pub fn from_version(version: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Source {
        Source {
            connection: "emu".into(),
            object: "Account".into(),
            api_type: "rest".into(),
            api_version: "62.0".into(),
            fields: vec!["Id".into(), "Name".into(), "SystemModstamp".into()],
            filter: None,
            checkpoint_field: Some("SystemModstamp".into()),
        }
    }

    #[test]
    fn the_same_source_needs_no_full_sync() {
        let s = source();
        assert_eq!(s.change_from(&s.properties()), None);
        let mut other_api = s.clone();
        other_api.api_type = "bulkv2".into();
        assert_eq!(other_api.change_from(&s.properties()), None);
    }

    #[test]
    fn changes_say_what_changed() {
        let s = source();
        let mut more = s.clone();
        more.fields.push("Industry".into());
        assert_eq!(
            more.change_from(&s.properties()).unwrap(),
            "the field list changed (added Industry)"
        );
        let mut filtered = s.clone();
        filtered.filter = Some("Industry = 'Energy'".into());
        assert!(
            filtered
                .change_from(&s.properties())
                .unwrap()
                .contains("now `Industry = 'Energy'`")
        );
        let mut newer = s.clone();
        newer.api_version = "63.0".into();
        assert!(newer.change_from(&s.properties()).unwrap().contains("63.0"));
    }
}
