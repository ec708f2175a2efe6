//! Connection rules, each with the file that breaks it.

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::*;
use crate::{ConfigIssue, Error};

const GOOD: &str = r#"
connection_name: Sales EU
developer_name: sales_eu
description: Production org, EU
auth_type: oauth
client_id: ${SF_CLIENT_ID}
client_secret: ${SF_CLIENT_SECRET}
domain_url: https://acme.my.salesforce.com
api_type: bulkv2
api_version: "62.0"
objects:
  Account:
    fields: [Id, Name, Industry, AnnualRevenue, SystemModstamp]
    filter: "Industry != null AND AnnualRevenue > 1000000"
  Opportunity: {}
limits: { max_rows: 100000000, max_bytes: 50GB }
"#;

fn env() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("SF_CLIENT_ID", "3MVG9-key"),
        ("SF_CLIENT_SECRET", "s3cr3t-VALUE-42"),
        ("SF_PASSWORD", "pw-VALUE-77"),
    ])
}

fn load(text: &str) -> crate::Result<Connection> {
    let env = env();
    Connection::from_yaml_with_env(text, "test.yaml", None, &|k| {
        env.get(k).map(|v| v.to_string())
    })
}

/// The settings named by the error's issues.
fn issues(text: &str) -> Vec<ConfigIssue> {
    match load(text) {
        Err(Error::InvalidConnection { issues }) => issues,
        Err(other) => panic!("expected InvalidConnection, got {other}"),
        Ok(_) => panic!("expected the connection to be rejected"),
    }
}

fn settings(text: &str) -> Vec<String> {
    issues(text).into_iter().map(|i| i.setting).collect()
}

fn with(line_from: &str, line_to: &str) -> String {
    assert!(GOOD.contains(line_from), "{line_from}");
    GOOD.replace(line_from, line_to)
}

#[test]
fn the_reference_example_loads() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.connection_name(), "Sales EU");
    assert_eq!(c.developer_name(), "sales_eu");
    assert_eq!(c.api_type(), ApiType::BulkV2);
    assert_eq!(c.api_version(), ApiVersion::new(62));
    assert_eq!(c.auth_type(), AuthType::Oauth);
    let account = c.object("account").unwrap();
    assert_eq!(account.fields.as_ref().unwrap().len(), 5);
    assert!(account.filter.as_deref().unwrap().contains("AnnualRevenue"));
    assert_eq!(
        c.limits(),
        Limits {
            max_rows: 100_000_000,
            max_bytes: 50_000_000_000
        }
    );
    match c.credentials() {
        Credentials::ClientCredentials {
            client_id,
            client_secret,
        } => {
            assert_eq!(client_id, "3MVG9-key");
            assert_eq!(client_secret.expose_secret(), "s3cr3t-VALUE-42");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_apply() {
    let c = load("connection_name: x\ndeveloper_name: x\nclient_id: k\nclient_secret: ${SF_CLIENT_SECRET}\ndomain_url: https://acme.my.salesforce.com\n").unwrap();
    assert_eq!(c.api_type(), ApiType::BulkV2);
    assert_eq!(c.api_version(), ApiVersion::DEFAULT);
    assert_eq!(c.auth_type(), AuthType::Oauth);
    assert_eq!(c.limits(), Limits::DEFAULT);
    assert!(c.objects().is_none());
}

#[test]
fn secrets_never_reach_debug_or_errors() {
    let c = load(GOOD).unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains("s3cr3t-VALUE-42"), "{debug}");
    // An error elsewhere in the file must not print the resolved secret either.
    let bad = with("developer_name: sales_eu", "developer_name: 9lives");
    let text = load(&bad).unwrap_err().to_string();
    assert!(!text.contains("s3cr3t-VALUE-42"), "{text}");
    // Nor a YAML syntax error on the secret's own line.
    let bad = GOOD.replace(
        "client_secret: ${SF_CLIENT_SECRET}",
        "client_secret: [inline-SECRET-9, {",
    );
    let text = load(&bad).unwrap_err().to_string();
    assert!(!text.contains("inline-SECRET-9"), "{text}");
}

#[test]
fn unknown_keys_are_errors_with_a_position() {
    let bad = with("api_type: bulkv2", "api_type: bulkv2\nbatch_sise: 10");
    let e = load(&bad).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::ConfigFile { .. }), "{text}");
    assert!(text.contains("batch_sise"), "{text}");
    assert!(text.contains("line") || text.contains(':'), "{text}");
    let bad = with("    filter:", "    filtre:");
    assert!(load(&bad).unwrap_err().to_string().contains("filtre"));
}

#[test]
fn developer_name_rules() {
    for bad in [
        "9lives",
        "sales eu",
        "sales-eu",
        "sales_",
        "sales__eu",
        "\"\"",
    ] {
        let s = settings(&with(
            "developer_name: sales_eu",
            &format!("developer_name: {bad}"),
        ));
        assert_eq!(s, ["developer_name"], "{bad}");
    }
    for good in ["s", "Sales_EU_2", "a1"] {
        load(&with(
            "developer_name: sales_eu",
            &format!("developer_name: {good}"),
        ))
        .unwrap();
    }
}

#[test]
fn domain_url_must_be_https_salesforce_or_loopback_http() {
    for bad in [
        "http://acme.my.salesforce.com",
        "https://acme.example.com",
        "https://salesforce.com.evil.io",
        "ftp://acme.my.salesforce.com",
        "acme.my.salesforce.com",
        "https://acme.my.salesforce.com/services/oauth2",
        "https://login.salesforce.com",
    ] {
        let i = issues(&with(
            "domain_url: https://acme.my.salesforce.com",
            &format!("domain_url: {bad}"),
        ));
        assert_eq!(i.len(), 1, "{bad}: {i:?}");
        assert_eq!(i[0].setting, "domain_url", "{bad}");
        assert!(!i[0].fix.is_empty());
    }
    for good in [
        "https://acme--dev.sandbox.my.salesforce.com",
        "http://127.0.0.1:8080",
        "http://localhost:9",
        "http://[::1]:1",
        "https://acme.my.salesforce.mil",
    ] {
        load(&with(
            "domain_url: https://acme.my.salesforce.com",
            &format!("domain_url: {good}"),
        ))
        .unwrap();
    }
}

#[test]
fn inline_secrets_only_for_loopback() {
    let inline = with(
        "client_secret: ${SF_CLIENT_SECRET}",
        "client_secret: abc123",
    );
    let i = issues(&inline);
    assert_eq!(i[0].setting, "client_secret");
    assert!(i[0].fix.contains("${"), "{:?}", i[0]);
    assert!(!format!("{i:?}").contains("abc123"));
    let local = inline.replace("https://acme.my.salesforce.com", "http://127.0.0.1:4000");
    load(&local).unwrap();
}

#[test]
fn env_and_file_references() {
    let missing = with("${SF_CLIENT_SECRET}", "${NOT_SET_ANYWHERE}");
    let i = issues(&missing);
    assert!(i[0].problem.contains("NOT_SET_ANYWHERE"), "{i:?}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "from-file-secret\n").unwrap();
    let text = with("${SF_CLIENT_SECRET}", "file:secret.txt");
    let env = env();
    let c = Connection::from_yaml_with_env(&text, "x", Some(dir.path()), &|k| {
        env.get(k).map(|v| v.to_string())
    })
    .unwrap();
    match c.credentials() {
        Credentials::ClientCredentials { client_secret, .. } => {
            assert_eq!(client_secret.expose_secret(), "from-file-secret")
        }
        other => panic!("{other:?}"),
    }
    let nofile = with("${SF_CLIENT_SECRET}", "file:nope.txt");
    assert_eq!(settings(&nofile), ["client_secret"]);
}

#[test]
fn api_version_rules() {
    let v = |v: &str| with("api_version: \"62.0\"", &format!("api_version: {v}"));
    assert_eq!(load(&v("62")).unwrap().api_version(), ApiVersion::new(62));
    assert_eq!(load(&v("62.0")).unwrap().api_version(), ApiVersion::new(62));
    assert_eq!(settings(&v("\"62.5\"")), ["api_version"]);
    assert_eq!(settings(&v("\"banana\"")), ["api_version"]);
    // bulkv2 needs 50.0
    let i = issues(&v("\"49.0\""));
    assert_eq!(i.len(), 1);
    assert!(i[0].problem.contains("bulkv2"), "{i:?}");
    // soap is fine at 40.0, standard objects need 34.0, 21-30 are retired
    let soap = |v: &str| {
        with("api_type: bulkv2", "api_type: soap")
            .replace("api_version: \"62.0\"", &format!("api_version: \"{v}\""))
    };
    load(&soap("40.0")).unwrap();
    assert!(
        issues(&soap("33.0"))[0]
            .problem
            .contains("standard objects")
    );
    assert!(issues(&soap("29.0"))[0].problem.contains("retired"));
}

#[test]
fn password_auth_is_legacy_and_checked() {
    let pw = r#"
connection_name: Old
developer_name: old
auth_type: password
username: me@example.com
password: ${SF_PASSWORD}
domain_url: https://acme.my.salesforce.com
service_url: https://acme.my.salesforce.com
api_version: "64.0"
"#;
    let c = load(pw).unwrap();
    assert_eq!(c.auth_type(), AuthType::Password);
    assert!(
        c.warnings()
            .iter()
            .any(|w| w.contains("deprecated") && w.contains("oauth")),
        "{:?}",
        c.warnings()
    );
    assert!(!format!("{c:?}").contains("pw-VALUE-77"));
    // login() does not exist from 65.0 on
    let i = issues(&pw.replace("64.0", "65.0"));
    assert_eq!(i[0].setting, "api_version");
    // oauth keys with password auth, and password keys with oauth auth
    assert!(
        settings(&pw.replace("username:", "client_id: x\nusername:"))
            .contains(&"client_id".to_string())
    );
    assert!(
        settings(&with("api_type: bulkv2", "api_type: bulkv2\nusername: me"))
            .contains(&"username".to_string())
    );
}

#[test]
fn object_and_field_names_and_filters_are_checked() {
    let s = settings(&with("  Opportunity: {}", "  Bad_Name_: {}"));
    assert_eq!(s, ["objects.Bad_Name_"]);
    let s = settings(&with("Id, Name, Industry", "Id, Na me, Industry"));
    assert_eq!(s, ["objects.Account.fields"]);
    let i = issues(&with(
        "Industry != null AND AnnualRevenue > 1000000",
        "Industry != AND",
    ));
    assert_eq!(i[0].setting, "objects.Account.filter");
    // mixing AND and OR without parentheses is not SOQL
    let i = issues(&with(
        "Industry != null AND AnnualRevenue > 1000000",
        "A = 1 AND B = 2 OR C = 3",
    ));
    assert_eq!(i[0].setting, "objects.Account.filter");
}

#[test]
fn sync_rules() {
    assert_eq!(load(GOOD).unwrap().sync_settings(), SyncSettings::default());
    let s = |t: &str| format!("{GOOD}sync: {t}\n");
    let c = load(&s(
        "{ reconcile_every: 10, concurrency: 8, api_budget: 50% }",
    ))
    .unwrap();
    let sync = c.sync_settings();
    assert_eq!(sync.reconcile_every.map(|n| n.get()), Some(10));
    assert_eq!(sync.concurrency, 8);
    assert_eq!(sync.api_budget, Some(0.5));
    assert_eq!(
        load(&s("{ api_budget: 0.25 }"))
            .unwrap()
            .sync_settings()
            .api_budget,
        Some(0.25)
    );
    assert_eq!(
        settings(&s("{ reconcile_every: 0 }")),
        ["sync.reconcile_every"]
    );
    assert_eq!(settings(&s("{ concurrency: 0 }")), ["sync.concurrency"]);
    assert_eq!(settings(&s("{ concurrency: 65 }")), ["sync.concurrency"]);
    assert_eq!(settings(&s("{ api_budget: 150% }")), ["sync.api_budget"]);
    assert_eq!(settings(&s("{ api_budget: 0% }")), ["sync.api_budget"]);
    assert_eq!(settings(&s("{ api_budget: half }")), ["sync.api_budget"]);
    let e = load(&s("{ reconcile_every: 0 }")).unwrap_err().to_string();
    assert!(e.contains("--reconcile"), "{e}");
}

#[test]
fn limits_rules() {
    let l = |t: &str| {
        with(
            "limits: { max_rows: 100000000, max_bytes: 50GB }",
            &format!("limits: {t}"),
        )
    };
    assert_eq!(
        load(&l("{ max_bytes: 500MB }")).unwrap().limits().max_bytes,
        500_000_000
    );
    assert_eq!(
        settings(&l("{ max_rows: 3000000000 }")),
        ["limits.max_rows"]
    );
    assert_eq!(settings(&l("{ max_bytes: 2TB }")), ["limits.max_bytes"]);
    assert_eq!(settings(&l("{ max_bytes: lots }")), ["limits.max_bytes"]);
    let gov = GOOD
        .replace(
            "https://acme.my.salesforce.com",
            "https://agency.my.salesforce.mil",
        )
        .replace("limits: { max_rows: 100000000, max_bytes: 50GB }\n", "");
    assert_eq!(load(&gov).unwrap().limits(), Limits::GOVERNMENT_DEFAULT);
}

#[test]
fn all_problems_are_reported_at_once() {
    let bad = with("developer_name: sales_eu", "developer_name: 1x")
        .replace("https://acme.my.salesforce.com", "http://acme.com");
    let s = settings(&bad);
    assert!(
        s.contains(&"developer_name".to_string()) && s.contains(&"domain_url".to_string()),
        "{s:?}"
    );
}

#[test]
fn builder_applies_the_same_rules() {
    let b = || {
        Connection::builder()
            .developer_name("lib")
            .domain_url("https://acme.my.salesforce.com")
    };
    let c = b()
        .client_credentials("k", "s".into())
        .api_type(ApiType::Rest)
        .api_version("45.0")
        .build()
        .unwrap();
    assert_eq!(c.api_type(), ApiType::Rest);
    let e = b()
        .client_credentials("k", "s".into())
        .api_version("45.0")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("bulkv2"), "{e}");
    assert!(b().build().is_err(), "credentials are required");
}

#[test]
fn json_schema_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/connection.schema.json"
    );
    let fresh = connection_json_schema();
    if std::env::var_os("SFDF_BLESS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    // Compared as JSON values: key order depends on whether some crate in the build turns
    // on serde_json's `preserve_order`.
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
    assert!(
        parse(&stored).is_some() && parse(&stored) == parse(&fresh),
        "schemas/connection.schema.json is stale: run `SFDF_BLESS=1 cargo test --workspace --lib -- json_schema_is_current`"
    );
}

#[test]
fn secret_files_are_regular_and_small() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("huge.txt"), "x".repeat(200_000)).unwrap();
    let env = env();
    let load_in = |text: &str| {
        Connection::from_yaml_with_env(text, "x", Some(dir.path()), &|k| {
            env.get(k).map(|v| v.to_string())
        })
    };
    for (reference, expected) in [
        ("file:/dev/zero", "not a regular file"),
        ("file:.", "not a regular file"),
        ("file:huge.txt", "at most 65536"),
    ] {
        let text = with("${SF_CLIENT_SECRET}", reference);
        match load_in(&text) {
            Err(Error::InvalidConnection { issues }) => {
                assert_eq!(issues[0].setting, "client_secret");
                assert!(issues[0].problem.contains(expected), "{issues:?}");
            }
            other => panic!("{reference}: {other:?}"),
        }
    }
    // A FIFO is refused without opening it: opening one blocks until a writer comes.
    let fifo = dir.path().join("fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let text = with("${SF_CLIENT_SECRET}", "file:fifo");
        let e = load_in(&text).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}

#[test]
fn domain_url_is_scheme_and_host_and_never_echoes_a_password() {
    for (url, expected) in [
        (
            "https://user:hunter2@acme.my.salesforce.com",
            "user name or password",
        ),
        ("https://acme.my.salesforce.com#frag", "query or fragment"),
        ("https://acme.my.salesforce.com/?x=1", "query or fragment"),
    ] {
        let text = with("https://acme.my.salesforce.com", url);
        let i = issues(&text);
        assert_eq!(i[0].setting, "domain_url", "{url}: {i:?}");
        assert!(i[0].problem.contains(expected), "{url}: {i:?}");
        let shown = load(&text).unwrap_err().to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn an_inline_password_is_judged_by_the_host_it_is_sent_to() {
    let pw = |service_url: &str| {
        format!(
            "connection_name: Old\ndeveloper_name: old\nauth_type: password\nusername: me\npassword: inline-pw\ndomain_url: http://127.0.0.1:4000\n{service_url}"
        )
    };
    // No service_url: the password would go to login.salesforce.com.
    assert_eq!(settings(&pw("")), ["password"]);
    assert_eq!(
        settings(&pw("service_url: https://login.salesforce.com\n")),
        ["password"]
    );
    load(&pw("service_url: http://127.0.0.1:4000\n")).unwrap();
}

#[test]
fn names_the_sql_engine_keeps_are_refused() {
    for name in ["information_schema", "public", "DataFusion"] {
        let i = issues(&with(
            "developer_name: sales_eu",
            &format!("developer_name: {name}"),
        ));
        assert_eq!(i[0].setting, "developer_name");
        assert!(i[0].problem.contains("keeps for itself"), "{i:?}");
    }
}

#[test]
fn yaml_errors_speak_to_people_and_suggest_keys() {
    let text = load(&with("domain_url:", "domian_url:"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("did you mean `domain_url`"), "{text}");
    let text = load(&with("    filter:", "    filtre:"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("did you mean `filter`"), "{text}");
    for bad in [
        with("connection_name: Sales EU", "connection_name:"),
        with(
            "description: Production org, EU",
            "description: a\ndescription: b",
        ),
    ] {
        let text = load(&bad).unwrap_err().to_string();
        for internal in ["Option<", "DuplicateKeyPolicy", "Options"] {
            assert!(!text.contains(internal), "{text}");
        }
    }
    // `Object:` with nothing after it is `{}`.
    let c = load(&with("  Opportunity: {}", "  Opportunity:")).unwrap();
    assert_eq!(c.object("Opportunity").unwrap().fields, None);
}
