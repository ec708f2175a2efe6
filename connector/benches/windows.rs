//! REST and SOAP extraction with one cursor vs SystemModstamp windows read in parallel:
//! wall time and API calls against the emulated org, with a modelled per-page latency.
//!
//! `cargo bench --workspace --bench windows --profile dev` (Accounts:
//! `SFDF_BENCH_ROWS=20000`; latency before each result page: `SFDF_BENCH_PAGE_MS=200`, a
//! stand-in for the time a real org takes to produce a 2,000-row query page; runs per
//! variant: `SFDF_BENCH_RUNS=3`, median printed).

use std::time::{Duration, Instant};

use futures::StreamExt;
use secrecy::SecretString;
use sfdf_connector::{ApiType, Connection, PlanOptions, Session, SoqlQuery};
use sfdf_emulator::EmulatedOrg;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn extract(session: &Session, partitions: usize) -> (usize, Duration, u64) {
    let query =
        SoqlQuery::new("Account").columns(["Id", "Name", "AnnualRevenue", "SystemModstamp"]);
    let options = PlanOptions {
        partitions,
        ..PlanOptions::default()
    };
    let calls = session.calls_made();
    let start = Instant::now();
    let plan = session.plan_with(&query, &options).await.expect("plan");
    // Every partition at once, as DataFusion reads them.
    let reads = (0..plan.partition_count()).map(|i| {
        let stream = plan.open(i).expect("partition");
        async move {
            stream
                .map(|b| b.expect("batch").num_rows())
                .fold(0, |a, n| async move { a + n })
                .await
        }
    });
    let rows: usize = futures::future::join_all(reads).await.into_iter().sum();
    (rows, start.elapsed(), session.calls_made() - calls)
}

#[tokio::main]
async fn main() {
    let rows = env("SFDF_BENCH_ROWS", 20_000) as usize;
    let page_ms = env("SFDF_BENCH_PAGE_MS", 200);
    let runs = env("SFDF_BENCH_RUNS", 3).max(1);
    let org = EmulatedOrg::builder()
        .rows(rows)
        .seed(42)
        .start()
        .await
        .expect("emulated org");
    org.records("Account")
        .expect("data generated before timing");
    org.faults().slow_pages(Duration::from_millis(page_ms));
    println!("{rows} Accounts, {page_ms} ms before each result page, median of {runs} runs");
    println!(
        "{:<6} {:>10} {:>8} {:>10} {:>9}",
        "api", "partitions", "rows", "time", "API calls"
    );
    for api in [ApiType::Rest, ApiType::Soap] {
        let connection = Connection::builder()
            .developer_name("bench")
            .domain_url(org.base_url())
            .client_credentials(
                org.client_id(),
                SecretString::from(org.client_secret().to_owned()),
            )
            .api_type(api)
            .build()
            .expect("connection");
        let session = Session::connect(&connection).await.expect("session");
        for partitions in [1, 4, 8] {
            let mut times = Vec::new();
            let mut last = (0, 0);
            for _ in 0..runs {
                let (n, time, calls) = extract(&session, partitions).await;
                times.push(time);
                last = (n, calls);
            }
            times.sort();
            let median = times[times.len() / 2];
            println!(
                "{:<6} {:>10} {:>8} {:>9.2}s {:>9}",
                api.to_string(),
                partitions,
                last.0,
                median.as_secs_f64(),
                last.1
            );
        }
    }
}
