//! A changed configuration gets a full sync that says why; a crossed limit keeps the
//! previous version while other objects go on.

use sfdf_connector::{ApiType, Limits, ObjectSelection, Session};
use sfdf_emulator::Value;
use sfdf_sync::Mode;
use sfdf_sync::delta::DeltaDir;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_field_list_then_filter_then_version() {
    let org = org(200).await;
    let dir = tempfile::tempdir().unwrap();
    let fields = ["Id", "Name", "Industry"];
    let conn = connection(
        &org,
        ApiType::Rest,
        &[ObjectSelection::new("Account").fields(fields)],
    );
    sync_ok(&conn, &options(dir.path())).await;
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;

    // One more field: a full sync, and the table has the new column.
    let conn = connection(
        &org,
        ApiType::Rest,
        &[ObjectSelection::new("Account").fields(["Id", "Name", "Industry", "Phone"])],
    );
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Full);
    assert_eq!(
        r.reason.as_deref(),
        Some("the field list changed (added Phone)"),
        "{}",
        r.line()
    );
    let table = table_rows(dir.path(), "Account").await;
    assert!(table.schema().index_of("Phone").is_ok());
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", |_| true)).await;
    let props = DeltaDir::open(&sfdf_sync::table_dir(dir.path(), "emu", "Account"))
        .await
        .unwrap()
        .properties();
    assert_eq!(
        props["sfdf.fields"],
        "Id,Name,Industry,Phone,SystemModstamp,IsDeleted"
    );

    // A sync filter: a full sync with only the matching rows.
    let selection = ObjectSelection::new("Account")
        .fields(["Id", "Name", "Industry", "Phone"])
        .filter("Industry = 'Energy'");
    let conn = connection(&org, ApiType::Rest, std::slice::from_ref(&selection));
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Full);
    assert!(
        r.reason
            .as_deref()
            .unwrap()
            .starts_with("the sync filter changed"),
        "{}",
        r.line()
    );
    let energy =
        |r: &sfdf_emulator::SObject| r.get("Industry") == Some(&Value::Text("Energy".into()));
    let expected = org_rows(&org, "Account", energy);
    assert!(!expected.is_empty());
    assert_table_matches(dir.path(), "Account", &expected).await;

    // Same configuration, another API type: incremental.
    let conn = connection(&org, ApiType::BulkV2, std::slice::from_ref(&selection));
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Incremental, "{}", r.line());

    // Another API version: full.
    let conn = connection_at(
        &org,
        ApiType::BulkV2,
        "61.0",
        std::slice::from_ref(&selection),
    );
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Full);
    assert!(
        r.reason.as_deref().unwrap().contains("61.0"),
        "{}",
        r.line()
    );

    // A field the org gains but the list does not ask for changes nothing: the explicit
    // list is what is compared, so the next run is incremental.
    let r = &sync_ok(&conn, &options(dir.path())).await[0];
    assert_eq!(r.mode, Mode::Incremental, "{}", r.line());

    // A row that leaves the filter stays until reconcile removes it.
    let leaving = expected.keys().next().unwrap().clone();
    org.update(
        "Account",
        &leaving,
        &[("Industry", Value::Text("Banking".into()))],
    )
    .unwrap();
    let mut opts = options(dir.path());
    opts.reconcile = true;
    let r = &sync_ok(&conn, &opts).await[0];
    assert_eq!(r.deleted, 1, "{}", r.line());
    assert_table_matches(dir.path(), "Account", &org_rows(&org, "Account", energy)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crossed_limit_keeps_the_previous_version_and_others_go_on() {
    let org = org(300).await;
    let dir = tempfile::tempdir().unwrap();
    let objects = [
        ObjectSelection::new("Account"),
        ObjectSelection::new("Lead"),
    ];
    let conn = connection(&org, ApiType::Rest, &objects);
    let first = sync_ok(&conn, &options(dir.path())).await;
    let account_rows = org_rows(&org, "Account", |_| true);
    let leads = org_rows(&org, "Lead", |_| true);
    assert!(account_rows.len() > leads.len());

    // A limit between the two objects' sizes: Account crosses it, Lead does not.
    let limited = {
        let mut builder = sfdf_connector::Connection::builder()
            .connection_name("Emulated")
            .developer_name("emu")
            .domain_url(org.base_url())
            .client_credentials(org.client_id(), org.client_secret().into())
            .api_type(ApiType::Rest)
            .api_version("62.0")
            .limits(Limits {
                max_rows: leads.len() as u64 + 10,
                max_bytes: Limits::DEFAULT.max_bytes,
            });
        for o in &objects {
            builder = builder.object(o.clone());
        }
        builder.build().unwrap()
    };
    let mut opts = options(dir.path());
    opts.full = true;
    let session = Session::connect(&limited).await.unwrap();
    let reports = sfdf_sync::sync(&session, &opts).await.unwrap();
    let account = &reports[0];
    assert!(!account.ok());
    let error = account.error.as_deref().unwrap();
    assert!(
        error.contains("Account") && error.contains("limit"),
        "the error names the object and the limit: {error}"
    );
    assert_eq!(account.version, first[0].version, "no version written");
    assert!(reports[1].ok(), "{}", reports[1].line());
    assert_eq!(reports[1].mode, Mode::Full);
    assert_table_matches(dir.path(), "Account", &account_rows).await;
    assert_table_matches(dir.path(), "Lead", &leads).await;
}
