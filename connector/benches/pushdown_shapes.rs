//! The query shapes of Pushdown II on a large object, each with and without its pushdown:
//! wall time, bytes the org sent and API calls.
//!
//! `cargo bench --workspace --bench pushdown_shapes` from the workspace root (Accounts:
//! `SFDF_BENCH_ROWS=500000`, which makes 1,000,000 Contacts, the object queried; runs per
//! variant: `SFDF_BENCH_RUNS=3`; some shapes only: `SFDF_BENCH_SHAPES=top-N,join keys`).
//! The emulated org runs in this process and counts the response bytes it puts on the wire
//! (`EmulatedOrg::bytes_sent`). The connection is `bulkv2`, the default: without pushdown
//! the rows come through Bulk API 2.0, the fastest way to read them; pushed aggregates and
//! small top-Ns go through REST.
//!
//! Each shape names the setting that turns its pushdown off (`SET sfdf.pushdown.<setting> =
//! false`) and a piece of SOQL only its pushdown sends. Every run checks the SOQL the org
//! received: with the pushdown on it must carry that piece, with it off it must not, and
//! both must give as many rows; so the bench fails instead of printing a row that measured
//! something else. The join-keys shape's small side keeps ~13 of 500,000 Accounts: with
//! much smaller orgs it may keep none, and then no Contact query is sent at all.

mod common;

use std::time::Instant;

use datafusion::common::Result;
use secrecy::SecretString;
use sfdf_connector::provider::{ContextBuilder, sql};
use sfdf_connector::{Connection, Session};
use sfdf_emulator::EmulatedOrg;

use common::{millis, run, thousands};

/// One query shape of Pushdown II.
struct Shape {
    name: &'static str,
    /// `sfdf.pushdown.<setting>` turns its pushdown off.
    setting: &'static str,
    sql: &'static str,
    /// A piece of SOQL that the org receives when, and only when, the shape is pushed.
    pushed: &'static str,
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "count",
        setting: "aggregates",
        sql: "SELECT count(*) FROM Contact WHERE Birthdate >= DATE '1980-01-01'",
        pushed: "SELECT COUNT() FROM Contact",
    },
    Shape {
        name: "grouped aggregate",
        setting: "aggregates",
        sql: "SELECT DoNotCall, count(*), min(Birthdate), max(LastActivityDate) FROM Contact \
              GROUP BY DoNotCall ORDER BY DoNotCall",
        pushed: "GROUP BY DoNotCall",
    },
    Shape {
        name: "top-N",
        setting: "topn",
        sql: "SELECT LastName, Birthdate FROM Contact \
              ORDER BY Birthdate DESC NULLS LAST LIMIT 10",
        pushed: "ORDER BY Birthdate DESC NULLS LAST LIMIT 10",
    },
    // The small side first: DataFusion's hash join builds its left input (no statistics
    // swap them) and hands its keys to the scan of the right one.
    Shape {
        name: "join keys",
        setting: "join_keys",
        sql: "SELECT c.LastName, a.Name \
              FROM (SELECT Id, Name FROM Account WHERE NumberOfEmployees <= 10) a \
              JOIN Contact c ON c.AccountId = a.Id",
        pushed: "AccountId IN (",
    },
];

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let rows = env_number("SFDF_BENCH_ROWS", 500_000);
    let runs = env_number("SFDF_BENCH_RUNS", 3).max(1);
    let chosen = std::env::var("SFDF_BENCH_SHAPES").ok();
    let shapes: Vec<&Shape> = SHAPES
        .iter()
        .filter(|s| {
            chosen
                .as_ref()
                .is_none_or(|c| c.split(',').any(|n| n.trim() == s.name))
        })
        .collect();
    let generating = Instant::now();
    let org = EmulatedOrg::builder().rows(rows).seed(42).start().await?;
    let contacts = org.records("Contact").map(|r| r.len()).unwrap_or(0);
    eprintln!(
        "generated {rows} Accounts, {contacts} Contacts in {:.0?}",
        generating.elapsed()
    );
    let connection = Connection::builder()
        .developer_name("bench")
        .domain_url(org.base_url())
        .client_credentials(
            org.client_id(),
            SecretString::from(org.client_secret().to_owned()),
        )
        .build()?;
    let session = Session::connect(&connection).await?;
    let ctx = ContextBuilder::new()
        .target_partitions(Some(4))
        .session(session.clone())
        .build()
        .await?;

    println!(
        "{contacts} Contacts in the emulated org (bulkv2 connection); median of {runs} runs after one unmeasured; target partitions 4\n"
    );
    // The SOQL each shape sent with its pushdown on, printed under the table.
    let mut pushed_soql = Vec::new();
    println!("| shape | pushdown | rows | time (median) | bytes from the org | API calls |");
    println!("|---|---|---:|---:|---:|---:|");
    for &shape in &shapes {
        let mut rows_pushed = None;
        for pushed in [true, false] {
            sql(
                &ctx,
                &format!("SET sfdf.pushdown.{} = {pushed}", shape.setting),
            )
            .await?;
            // Once unmeasured: describe calls and the first connection are not the shape's cost.
            run(&ctx, shape.sql).await?;
            let mut times = Vec::with_capacity(runs);
            let (mut bytes, mut calls, mut count, mut sent) = (0, 0, 0, Vec::new());
            for _ in 0..runs {
                org.clear_requests();
                let (b0, c0) = (org.bytes_sent(), session.calls_made());
                let started = Instant::now();
                count = run(&ctx, shape.sql).await?;
                times.push(started.elapsed());
                bytes = org.bytes_sent() - b0;
                calls = session.calls_made() - c0;
                sent = check_pushed(shape, pushed, &org)?;
            }
            // Both ways answer the same query: a pushdown that changed the answer is a bug.
            if *rows_pushed.get_or_insert(count) != count {
                return Err(format!(
                    "{}: {count} rows without the pushdown, {rows_pushed:?} with it",
                    shape.name
                )
                .into());
            }
            times.sort();
            println!(
                "| {} | {} | {count} | {} | {} | {calls} |",
                shape.name,
                if pushed { "on" } else { "off" },
                millis(times[times.len() / 2]),
                thousands(bytes)
            );
            if pushed {
                pushed_soql.push(sent);
            }
        }
    }
    println!();
    for (shape, soql) in shapes.iter().zip(&pushed_soql) {
        println!(
            "- {}: `{}` → `{}`",
            shape.name,
            shape.sql,
            soql.join("`, `")
        );
    }
    Ok(())
}

/// The SOQL the org received since its log was cleared; an error unless it carries the
/// shape's pushed piece exactly when the pushdown is on.
fn check_pushed(shape: &Shape, pushed: bool, org: &EmulatedOrg) -> Result<Vec<String>, String> {
    let sent: Vec<String> = org.requests().into_iter().filter_map(|r| r.soql).collect();
    if sent.iter().any(|soql| soql.contains(shape.pushed)) != pushed {
        return Err(format!(
            "{}: with sfdf.pushdown.{} = {pushed} the org received {sent:?}, which {} `{}`",
            shape.name,
            shape.setting,
            if pushed { "lacks" } else { "has" },
            shape.pushed
        ));
    }
    Ok(sent)
}
