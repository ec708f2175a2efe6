//! The outcome of syncing one object: for people (one line) and for schedulers (JSON).

use serde::Serialize;

/// How an object was synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every row read again; the table replaced in one commit.
    Full,
    /// Rows changed since the checkpoint (minus the lookback) merged by Id.
    Incremental,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        })
    }
}

/// What syncing one object did.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectReport {
    /// The object's API name.
    pub object: String,
    /// The table's folder.
    pub table: String,
    /// Full or incremental (the mode tried when the sync failed).
    pub mode: Mode,
    /// Why a full sync (first sync, `--full`, a changed configuration, no checkpoint field).
    pub reason: Option<String>,
    /// The checkpoint fallback of an object without `SystemModstamp`: `LastModifiedDate`, or
    /// a full sync every time.
    pub fallback: Option<String>,
    /// How hard deletes were looked for, when they were: `getDeleted …`, or `Id comparison
    /// (why)`.
    pub reconcile: Option<String>,
    /// Rows read from the org.
    pub rows_read: u64,
    /// Rows inserted (a full sync: every row written).
    pub inserted: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows deleted (soft deletes seen by queryAll, and those found by reconcile).
    pub deleted: u64,
    /// API calls made for this object.
    pub api_calls: u64,
    /// Bytes of response bodies from the org.
    pub bytes: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// The table's version after the sync (unchanged when nothing changed or it failed).
    pub version: Option<u64>,
    /// The committed checkpoint (RFC 3339), if the object has a checkpoint field.
    pub checkpoint: Option<String>,
    /// The error that stopped this object (its previous version is kept).
    pub error: Option<String>,
}

impl ObjectReport {
    /// Whether the object synced.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// One line for people.
    pub fn line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{}: FAILED ({} sync): {e}", self.object, self.mode);
        }
        let mut line = format!(
            "{}: {} sync, {} read, +{} inserted, ~{} updated, -{} deleted, {} API calls, {}, {:.1} s",
            self.object,
            self.mode,
            self.rows_read,
            self.inserted,
            self.updated,
            self.deleted,
            self.api_calls,
            human_bytes(self.bytes),
            self.seconds
        );
        if let Some(v) = self.version {
            line.push_str(&format!(", version {v}"));
        }
        if let Some(r) = &self.reason {
            line.push_str(&format!(" ({r})"));
        }
        if let Some(f) = &self.fallback {
            line.push_str(&format!("; {f}"));
        }
        if let Some(r) = &self.reconcile {
            line.push_str(&format!("; reconcile: {r}"));
        }
        line
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
