//! Full sync: the first sync of an object, and `--full`.

use sfdf_connector::{ApiType, ObjectSelection};
use sfdf_emulator::Value;
use sfdf_sync::Mode;
use sfdf_sync::delta::DeltaDir;

use crate::common::*;

async fn first_sync_copies_the_org(api: ApiType) {
    let org = org(300).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(
        &org,
        api,
        &[
            ObjectSelection::new("Account"),
            ObjectSelection::new("Contact")
                .fields(["Id", "FirstName", "LastName", "Email", "Birthdate"])
                .filter("LastName != 'Smith'"),
        ],
    );
    let reports = sync_ok(&conn, &options(dir.path())).await;
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert_eq!(r.mode, Mode::Full, "{}", r.line());
        assert_eq!(r.reason.as_deref(), Some("first sync"));
        assert!(r.api_calls > 0 && r.bytes > 0, "{}", r.line());
        // Version 0 creates the empty table with its properties; version 1 holds the
        // data and the checkpoint, in one commit.
        assert_eq!(r.version, Some(1), "{}", r.line());
    }
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
    let contacts = org_rows(&org, "Contact", |r| {
        r.get("LastName") != Some(&Value::Text("Smith".into()))
    });
    assert_eq!(reports[1].inserted, contacts.len() as u64);
    assert_table_matches(dir.path(), "Contact", &contacts).await;

    // The table says where it came from, and columns are the field names, key and
    // checkpoint fields appended.
    let table = DeltaDir::open(&sfdf_sync::table_dir(dir.path(), "emu", "Contact"))
        .await
        .unwrap();
    let props = table.properties();
    assert_eq!(props["sfdf.connection"], "emu");
    assert_eq!(props["sfdf.object"], "Contact");
    assert_eq!(props["sfdf.apiType"], api.to_string());
    assert_eq!(props["sfdf.apiVersion"], "62.0");
    assert_eq!(props["sfdf.filter"], "LastName != 'Smith'");
    assert_eq!(
        props["sfdf.fields"],
        "Id,FirstName,LastName,Email,Birthdate,SystemModstamp,IsDeleted"
    );
    let names: Vec<String> = table
        .schema()
        .unwrap()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "Id",
            "FirstName",
            "LastName",
            "Email",
            "Birthdate",
            "SystemModstamp",
            "IsDeleted"
        ]
    );
    assert!(
        table
            .app_version("sfdf.sync:emu:Contact")
            .await
            .unwrap()
            .is_some(),
        "the checkpoint is committed"
    );

    // Nothing changed on the org: the next run is incremental and writes no version.
    let again = sync_ok(&conn, &options(dir.path())).await;
    for r in &again {
        assert_eq!(r.mode, Mode::Incremental, "{}", r.line());
        assert_eq!(
            (r.inserted, r.updated, r.deleted),
            (0, 0, 0),
            "{}",
            r.line()
        );
        assert_eq!(
            r.version,
            Some(1),
            "nothing new changes nothing: {}",
            r.line()
        );
    }
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_copies_the_org_bulkv2() {
    first_sync_copies_the_org(ApiType::BulkV2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_copies_the_org_rest() {
    first_sync_copies_the_org(ApiType::Rest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_copies_the_org_soap() {
    first_sync_copies_the_org(ApiType::Soap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flag_rewrites_the_table_in_one_version() {
    let org = org(200).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, ApiType::BulkV2, &[ObjectSelection::new("Account")]);
    sync_ok(&conn, &options(dir.path())).await;
    let id = org.records("Account").unwrap()[3].id().to_string();
    org.update("Account", &id, &[("Name", Value::Text("Renamed".into()))])
        .unwrap();
    let mut opts = options(dir.path());
    opts.full = true;
    let reports = sync_ok(&conn, &opts).await;
    assert_eq!(reports[0].mode, Mode::Full);
    assert_eq!(reports[0].reason.as_deref(), Some("--full"));
    assert_eq!(reports[0].version, Some(2));
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_told_as_rows_arrive() {
    let org = org(300).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, ApiType::Rest, &[ObjectSelection::new("Account")]);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut opts = options(dir.path());
    let log = std::sync::Arc::clone(&seen);
    opts.progress = Some(sfdf_sync::ProgressFn(std::sync::Arc::new(move |p| {
        log.lock().unwrap().push(p.clone());
    })));
    let reports = sync_ok(&conn, &opts).await;
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 1, "told more than once: {seen:?}");
    assert!(
        seen.iter()
            .all(|p| p.object == "Account" && p.api_calls > 0)
    );
    assert!(
        seen.windows(2).all(|w| w[0].rows < w[1].rows),
        "rows grow: {seen:?}"
    );
    assert_eq!(seen.last().unwrap().rows, reports[0].rows_read);
}

/// Every object of the emulated org, every field type: the tables match the org.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_and_field_type_round_trips() {
    let org = org(120).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = connection(&org, ApiType::BulkV2, &[]);
    let session = sfdf_connector::Session::connect(&conn).await.unwrap();
    let mut opts = options(dir.path());
    opts.objects = session.object_names();
    assert!(opts.objects.len() > 5, "{:?}", opts.objects);
    let reports = sfdf_sync::sync(&session, &opts).await.unwrap();
    for r in &reports {
        assert!(r.ok(), "{}", r.line());
        assert_table_matches(dir.path(), &r.object, &org_rows(&org, &r.object, |_| true)).await;
    }
}
