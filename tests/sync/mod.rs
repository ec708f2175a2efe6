//! `sfdf sync`, `sfdf sql --synced` and a sync killed with `kill -9`, run as a user runs them.

mod cli;
mod kill;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::AsArray;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::prelude::SessionContext;
use sfdf_emulator::{EmulatedOrg, Value};
use sfdf_sync::delta::DeltaDir;

use crate::support::live;

/// A connection file syncing Account (every field) and Contact (a few) with `api`.
pub(crate) fn sync_connection_file(org: &EmulatedOrg, dir: &Path, api: &str) -> PathBuf {
    let file = dir.join("sync.yaml");
    std::fs::write(
        &file,
        format!(
            "connection_name: Sync test\ndeveloper_name: sync_org\ndomain_url: {}\nclient_id: {}\nclient_secret: {}\napi_type: {api}\napi_version: \"62.0\"\nobjects:\n  Account: {{}}\n  Contact:\n    fields: [Id, LastName, Email, AccountId]\n",
            org.base_url(),
            org.client_id(),
            org.client_secret()
        ),
    )
    .expect("writes the connection file");
    file
}

/// Asserts the synced table holds exactly the org's live rows: every Id once, none
/// missing, none extra, each at the org's `SystemModstamp` (its latest version).
pub(crate) async fn assert_synced(org: &EmulatedOrg, target: &Path, object: &str) {
    let dir = DeltaDir::open(&sfdf_sync::table_dir(target, "sync_org", object))
        .await
        .expect("table opens");
    let ctx = SessionContext::new();
    let batches = ctx
        .read_table(dir.provider(&ctx).await.expect("provider"))
        .unwrap()
        .select_columns(&["Id", "SystemModstamp"])
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut table: HashMap<String, i64> = HashMap::new();
    for batch in &batches {
        let ids = cast(batch.column(0), &DataType::Utf8).unwrap();
        let ids = ids.as_string::<i32>();
        let stamps = cast(
            batch.column(1),
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )
        .unwrap();
        let stamps = stamps.as_primitive::<TimestampMicrosecondType>();
        for i in 0..batch.num_rows() {
            let previous = table.insert(ids.value(i).to_string(), stamps.value(i));
            assert!(
                previous.is_none(),
                "{object} {} is in the table twice",
                ids.value(i)
            );
        }
    }
    let org_rows = live(org, object);
    for record in &org_rows {
        let Some(Value::DateTime(stamp)) = record.get("SystemModstamp") else {
            panic!("{object} {} has no SystemModstamp", record.id());
        };
        match table.get(record.id()) {
            None => panic!("{object} {} is missing from the table", record.id()),
            Some(us) => assert_eq!(
                *us,
                stamp.timestamp_micros(),
                "{object} {} is not at its latest version",
                record.id()
            ),
        }
    }
    assert_eq!(
        table.len(),
        org_rows.len(),
        "{object}: rows the org does not have"
    );
}
