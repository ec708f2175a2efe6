//! No error says the same thing twice: an error whose message includes its cause's text
//! does not also return that cause from `source()` (the convention written down in
//! `sfdf_connector::error`). Each test walks the whole `source()` chain of a real error, the
//! way anyhow's `{:#}` and loggers print it.

use std::error::Error as StdError;

use sfdf_connector::{Connection, HttpSettings, RetryConfig, Session};
use sfdf_emulator::{EmulatedOrg, Failure};

use crate::support::org;

/// Asserts that no link of `error`'s chain repeats the text of a link below it, and that
/// the chain printed on one line names no part twice.
fn said_once(error: &(dyn StdError + 'static)) {
    let mut links = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        links.push(e.to_string());
        next = e.source();
    }
    for (i, inner) in links.iter().enumerate().skip(1) {
        for outer in &links[..i] {
            assert!(
                !outer.contains(inner.as_str()),
                "`{inner}` is said by its cause and again by `{outer}`"
            );
        }
    }
    let printed = links.join(": ");
    let mut seen = std::collections::HashSet::new();
    for part in printed.split(": ").filter(|p| p.len() > 3) {
        assert!(seen.insert(part), "`{part}` is said twice in: {printed}");
    }
}

fn connection_to(url: &str, id: &str, secret: &str) -> Connection {
    Connection::builder()
        .developer_name("errors")
        .domain_url(url)
        .client_credentials(id, secret.to_owned().into())
        .http(HttpSettings {
            retry: RetryConfig {
                max_retries: 1,
                ..RetryConfig::fast()
            },
            ..HttpSettings::default()
        })
        .build()
        .expect("valid connection")
}

#[tokio::test]
async fn token_failures_are_said_once() {
    let org = org(10).await;
    let refused = Session::connect(&connection_to(org.base_url(), org.client_id(), "wrong"))
        .await
        .expect_err("wrong secret");
    said_once(&refused);
    org.faults().fail_next(10, Failure::EdgeMaintenance);
    let edge = Session::connect(&connection_to(
        org.base_url(),
        org.client_id(),
        org.client_secret(),
    ))
    .await
    .expect_err("edge page");
    said_once(&edge);
    said_once(
        anyhow::Error::from(edge)
            .context("cannot open the connection")
            .as_ref(),
    );
}

#[tokio::test]
async fn transport_failures_are_said_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = Session::connect(&connection_to(
        &format!("http://127.0.0.1:{port}"),
        "x",
        "y",
    ))
    .await
    .expect_err("nothing listens");
    said_once(&refused);

    let tls = EmulatedOrg::builder()
        .rows(10)
        .tls_bind("127.0.0.1:0".parse().expect("addr"))
        .start()
        .await
        .expect("org");
    let untrusted = Session::connect(&connection_to(
        tls.tls_base_url().expect("https"),
        tls.client_id(),
        tls.client_secret(),
    ))
    .await
    .expect_err("self-signed");
    said_once(&untrusted);
}

#[tokio::test]
async fn configuration_and_other_crates_errors_are_said_once() {
    let yaml = Connection::from_yaml_str("connection_name: [unclosed").expect_err("bad YAML");
    said_once(&yaml);
    let rules = Connection::from_yaml_str(
        "connection_name: X\ndeveloper_name: 1x\ndomain_url: http://example.com\n",
    )
    .expect_err("broken rules");
    said_once(&rules);
    let query = soql::Error::from(soql::parse("SELECT Id FROM").expect_err("no object"));
    said_once(&query);
    let recipe = sfdf_recipes::Recipe::from_file("/no/such/recipe.yaml").expect_err("no file");
    said_once(&recipe);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let listen = EmulatedOrg::builder()
        .bind(taken.local_addr().expect("addr"))
        .start()
        .await
        .expect_err("port in use");
    said_once(&listen);
}

#[test]
fn the_check_itself_catches_a_repeated_cause() {
    #[derive(Debug)]
    struct Repeats(std::io::Error);
    impl std::fmt::Display for Repeats {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "reading: {}", self.0)
        }
    }
    impl StdError for Repeats {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
    let error = Repeats(std::io::Error::other("disk on fire"));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| said_once(&error)));
    assert!(caught.is_err(), "a repeated cause is caught");
}
