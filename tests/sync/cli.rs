//! `sfdf sync` and `sfdf sql --synced` as a user runs them.

use crate::cli::{ok, sfdf, stderr, stdout};
use crate::support::{live, org};

use super::{assert_synced, sync_connection_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_then_sql_over_the_synced_tables() {
    let org = org(150).await;
    let dir = tempfile::tempdir().unwrap();
    let file = sync_connection_file(&org, dir.path(), "rest");
    let target = dir.path().join("synced");

    let out = sfdf([
        "sync".as_ref(),
        file.as_os_str(),
        "--target".as_ref(),
        target.as_os_str(),
        "--json".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["failed"], 0);
    let objects = doc["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["object"], "Account");
    assert_eq!(objects[0]["mode"], "full");
    assert_eq!(objects[0]["reason"], "first sync");
    assert_eq!(objects[0]["inserted"], live(&org, "Account").len());
    assert!(objects[0]["api_calls"].as_u64().unwrap() > 0);
    assert_synced(&org, &target, "Account").await;
    assert_synced(&org, &target, "Contact").await;

    // The synced tables under the live names, any case; with and without the file.
    let count = format!("{}", live(&org, "Account").len());
    for args in [
        vec![
            "sql".to_string(),
            file.display().to_string(),
            "--synced".into(),
            target.display().to_string(),
            "SELECT count(*) AS n FROM account".into(),
            "--format".into(),
            "csv".into(),
        ],
        vec![
            "sql".to_string(),
            "--synced".into(),
            target.display().to_string(),
            "SELECT count(*) AS n FROM sync_org.ACCOUNT".into(),
            "--format".into(),
            "csv".into(),
        ],
    ] {
        let out = sfdf(&args).output().await;
        ok(&out);
        assert_eq!(stdout(&out), format!("n\n{count}\n"), "{args:?}");
    }

    // A failed object: the exit code says so and the summary names it.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("Contact:", "Nonexistent__c:"),
    )
    .unwrap();
    let out = sfdf([
        "sync".as_ref(),
        file.as_os_str(),
        "--target".as_ref(),
        target.as_os_str(),
    ])
    .output()
    .await;
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("Nonexistent__c: FAILED"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("Account: incremental sync"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("1 of 2 object(s) failed"),
        "{}",
        stderr(&out)
    );
}
