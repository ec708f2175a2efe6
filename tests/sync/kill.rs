//! `kill -9` at several moments of a sync, then a sync to the end: exactly the org's rows.

use std::time::Duration;

use sfdf_emulator::{EmulatedOrg, Value};
use sfdf_sync::delta::DeltaDir;

use crate::cli::{ok, sfdf};
use crate::support::live;

use super::{assert_synced, sync_connection_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_syncs_lose_and_duplicate_nothing() {
    let org = EmulatedOrg::builder()
        .rows(1500)
        .seed(3)
        .page_rows(150)
        .start()
        .await
        .expect("org");
    // Every result page waits, so a sync takes long enough to be killed inside it.
    org.faults().slow_pages(Duration::from_millis(25));
    let dir = tempfile::tempdir().unwrap();
    let file = sync_connection_file(&org, dir.path(), "bulkv2");
    let target = dir.path().join("synced");
    let args = [
        "sync".as_ref(),
        file.as_os_str(),
        "--target".as_ref(),
        target.as_os_str(),
    ];
    let ids: Vec<String> = live(&org, "Account")
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    // First kills land in the first (full) sync, later ones in incremental syncs.
    for (round, after_ms) in [60u64, 250, 600, 40, 200, 500].into_iter().enumerate() {
        let mut child = sfdf(args).command().spawn().expect("sfdf starts");
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        child.kill().expect("kill -9");
        child.wait().expect("reaped");

        // Some change on the org between runs.
        for id in ids.iter().skip(round * 40).take(30) {
            org.update(
                "Account",
                id,
                &[("Phone", Value::Text(format!("555-{round}")))],
            )
            .unwrap();
        }
        org.delete("Account", &ids[1000 + round]).unwrap();
        org.create(
            "Account",
            &[("Name", Value::Text(format!("Round {round}")))],
        )
        .unwrap();

        let out = sfdf(args).output().await;
        ok(&out);
        assert_synced(&org, &target, "Account").await;
        assert_synced(&org, &target, "Contact").await;
    }
    // Files the killed runs wrote and never committed are not in any version.
    let table = DeltaDir::open(&sfdf_sync::table_dir(&target, "sync_org", "Account"))
        .await
        .unwrap();
    let orphans = table.orphan_files().unwrap();
    eprintln!(
        "{} uncommitted file(s) left by killed runs (harmless)",
        orphans.len()
    );
}
