//! `CREATE EXTERNAL TABLE … STORED AS SALESFORCE LOCATION 'connection.yaml'` in a plain
//! DataFusion session.

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::SessionContext;
use sfdf_connector::provider::register_table_factory;
use sfdf_emulator::{EmulatedOrg, Value};

use crate::common::{org, org_rows};

/// A plain DataFusion session with the factory, and a connection file for `org` (extra
/// YAML appended) in a temporary folder.
fn session_with_file(
    org: &EmulatedOrg,
    extra: &str,
) -> (SessionContext, tempfile::TempDir, String) {
    let ctx = SessionContext::new();
    register_table_factory(&ctx);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("connection.yaml");
    std::fs::write(&path, format!("{}{extra}", org.connection_yaml("emu"))).expect("writes");
    let path = path.display().to_string();
    (ctx, dir, path)
}

async fn count(ctx: &SessionContext, sql: &str) -> i64 {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

async fn error(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Ok(df) => df.collect().await.expect_err("fails").to_string(),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn an_object_becomes_a_table_of_any_datafusion_session() {
    let org = org(120, 1_000).await;
    let (ctx, _dir, path) = session_with_file(&org, "");
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE accounts STORED AS SALESFORCE LOCATION '{path}' OPTIONS ('object' 'Account')"
    ))
    .await
    .expect("creates the table");
    let accounts = org_rows(&org, "Account");
    assert_eq!(
        count(&ctx, "SELECT count(*) FROM accounts").await,
        accounts.len() as i64
    );

    // Filters and columns as the org spells them; the result matches the org's records.
    let energy = accounts
        .values()
        .filter(|r| matches!(r.get("Industry"), Some(Value::Text(t)) if t == "Energy"))
        .count();
    assert!(energy > 0, "the seeded org has Energy accounts");
    assert_eq!(
        count(
            &ctx,
            "SELECT count(*) FROM accounts WHERE \"Industry\" = 'Energy'"
        )
        .await,
        energy as i64
    );

    // Without the option, the table's name is the object; the file's session is reused.
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE contact STORED AS SALESFORCE LOCATION '{path}'"
    ))
    .await
    .expect("creates the second table");
    assert_eq!(
        count(&ctx, "SELECT count(*) FROM contact").await,
        org_rows(&org, "Contact").len() as i64
    );
    let logins = org
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/token"))
        .count();
    assert_eq!(logins, 1, "one login per connection file");
}

#[tokio::test]
async fn the_connection_file_decides_fields_and_filter() {
    let org = org(80, 1_000).await;
    let (ctx, _dir, path) = session_with_file(
        &org,
        "objects:\n  Account:\n    fields: [Id, Name, Industry]\n    filter: \"Industry = 'Energy'\"\n",
    );
    ctx.sql(&format!("CREATE EXTERNAL TABLE a STORED AS SALESFORCE LOCATION '{path}' OPTIONS ('object' 'account')"))
        .await
        .expect("creates the table");
    let df = ctx.sql("SELECT * FROM a").await.expect("plans");
    let names: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["Id", "Name", "Industry"]);
    let energy = org_rows(&org, "Account")
        .values()
        .filter(|r| matches!(r.get("Industry"), Some(Value::Text(t)) if t == "Energy"))
        .count();
    assert_eq!(count(&ctx, "SELECT count(*) FROM a").await, energy as i64);
}

#[tokio::test]
async fn bad_statements_say_what_to_change() {
    let org = org(10, 1_000).await;
    let (ctx, dir, path) = session_with_file(&org, "");
    let e = error(
        &ctx,
        &format!("CREATE EXTERNAL TABLE t STORED AS SALESFORCE LOCATION '{path}' OPTIONS ('object' 'NoSuchThing__c')"),
    )
    .await;
    assert!(
        e.contains("NoSuchThing__c") && e.contains("does not exist"),
        "{e}"
    );

    let missing = dir.path().join("absent.yaml").display().to_string();
    let e = error(
        &ctx,
        &format!("CREATE EXTERNAL TABLE t STORED AS SALESFORCE LOCATION '{missing}'"),
    )
    .await;
    assert!(
        e.contains("absent.yaml") && e.contains("cannot read connection file"),
        "{e}"
    );

    let e = error(
        &ctx,
        &format!("CREATE EXTERNAL TABLE t (id VARCHAR) STORED AS SALESFORCE LOCATION '{path}'"),
    )
    .await;
    assert!(e.contains("leave out the column list"), "{e}");

    let e = error(
        &ctx,
        &format!("CREATE EXTERNAL TABLE t STORED AS SALESFORCE LOCATION '{path}' OPTIONS ('objekt' 'Account')"),
    )
    .await;
    assert!(e.contains("unknown option `objekt`"), "{e}");

    let std::result::Result::Err(e) = ctx.sql("SELECT * FROM t").await else {
        panic!("no table was left behind by a failed CREATE");
    };
    assert!(e.to_string().contains("not found"), "{e}");
}
