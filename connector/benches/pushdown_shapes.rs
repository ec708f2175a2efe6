//! The query shapes of Pushdown II on a large object, each with and without its pushdown:
//! wall time, bytes the org sent and API calls.
//!
//! `cargo bench -p sfdf-connector --bench pushdown_shapes` (Accounts: `SFDF_BENCH_ROWS=500000`,
//! which makes 1,000,000 Contacts, the object queried; runs per variant:
//! `SFDF_BENCH_RUNS=3`). The emulated org runs in this process and counts the response
//! bytes it puts on the wire (`EmulatedOrg::bytes_sent`). The connection is `bulkv2`, the
//! default: without pushdown the rows come through Bulk API 2.0, the fastest way to read
//! them; pushed aggregates go through REST.
//!
//! Each shape names the setting that turns its pushdown off (`SET sfdf.pushdown.<shape> =
//! false`); a shape whose setting this build does not know is skipped.

use std::time::{Duration, Instant};

use datafusion::common::Result;
use datafusion::prelude::SessionContext;
use secrecy::SecretString;
use sfdf_connector::provider::{ContextBuilder, sql};
use sfdf_connector::{Connection, Session};
use sfdf_emulator::EmulatedOrg;

/// (shape, setting that turns it off, SQL).
const SHAPES: &[(&str, &str, &str)] = &[
    (
        "count",
        "aggregates",
        "SELECT count(*) FROM Contact WHERE Birthdate >= DATE '1980-01-01'",
    ),
    (
        "grouped aggregate",
        "aggregates",
        "SELECT DoNotCall, count(*), min(Birthdate), max(LastActivityDate) FROM Contact \
         GROUP BY DoNotCall ORDER BY DoNotCall",
    ),
    (
        "top-N",
        "topn",
        "SELECT LastName, Birthdate FROM Contact \
         ORDER BY Birthdate DESC NULLS LAST LIMIT 10",
    ),
    (
        "join keys",
        "join_keys",
        "SELECT c.LastName, a.Name FROM Contact c \
         JOIN (SELECT Id, Name FROM Account WHERE NumberOfEmployees = 77) a ON c.AccountId = a.Id",
    ),
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
    println!("| shape | pushdown | rows | time (median) | bytes from the org | API calls |");
    println!("|---|---|---:|---:|---:|---:|");
    for (shape, setting, query) in SHAPES {
        for pushed in [true, false] {
            let set = format!("SET sfdf.pushdown.{setting} = {pushed}");
            if sql(&ctx, &set).await.is_err() {
                eprintln!("{shape}: `sfdf.pushdown.{setting}` is not built yet; skipped");
                break;
            }
            // Once unmeasured: describe calls and the first connection are not the shape's cost.
            run(&ctx, query).await?;
            let mut times = Vec::with_capacity(runs);
            let (mut bytes, mut calls, mut count) = (0, 0, 0);
            for _ in 0..runs {
                let (b0, c0) = (org.bytes_sent(), session.calls_made());
                let started = Instant::now();
                count = run(&ctx, query).await?;
                times.push(started.elapsed());
                bytes = org.bytes_sent() - b0;
                calls = session.calls_made() - c0;
            }
            times.sort();
            println!(
                "| {shape} | {} | {count} | {} | {} | {calls} |",
                if pushed { "on" } else { "off" },
                millis(times[times.len() / 2]),
                thousands(bytes)
            );
        }
    }
    println!();
    for (shape, _, query) in SHAPES {
        println!("- {shape}: `{query}`");
    }
    Ok(())
}

async fn run(ctx: &SessionContext, query: &str) -> Result<usize> {
    let batches = sql(ctx, query).await?.collect().await?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
