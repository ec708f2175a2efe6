//! Serving a Bulk API 2.0 extract of Account: how fast the emulated org hands out result pages,
//! next to the same bytes from a plain HTTP server on the same machine.
//!
//! `cargo bench --workspace --bench serve_extract` (rows: `SFDF_BENCH_ROWS`, default 1,000,000).
//! Prints: time to make the org's rows, time until the job is complete (query + CSV rendering,
//! done once per job), then MB/s for downloading every page — plain and gzip — and the MB/s of a
//! plain server sending the identical bytes. The page loop is what a client is limited by.

use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Value as Json, json};
use sfdf_emulator::EmulatedOrg;

const V: &str = "v62.0";

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Makes the Account table (rows are generated on first use), leaving it as it was.
fn make_account_rows(org: &EmulatedOrg) -> Result<(), Box<dyn std::error::Error>> {
    let probe = org.create("Account", &[("Name", "bench probe".into())])?;
    org.hard_delete("Account", &probe)?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::var("SFDF_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let org = EmulatedOrg::builder()
        .rows(rows)
        .bulk_polls_in_progress(0)
        .start()
        .await?;
    let client = reqwest::Client::builder().no_gzip().build()?;
    let base = org.base_url().to_owned();
    let token = org.access_token();

    let t = Instant::now();
    make_account_rows(&org)?;
    let made = t.elapsed();
    let t = Instant::now();
    let describe: Json = client
        .get(format!(
            "{base}/services/data/{V}/sobjects/Account/describe"
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let fields: Vec<String> = describe["fields"]
        .as_array()
        .ok_or("describe has no fields")?
        .iter()
        .filter(|f| !matches!(f["type"].as_str(), Some("address" | "location" | "base64")))
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
    let soql = format!("SELECT {} FROM Account", fields.join(", "));

    let job: Json = client
        .post(format!("{base}/services/data/{V}/jobs/query"))
        .bearer_auth(&token)
        .json(&json!({"operation": "queryAll", "query": soql}))
        .send()
        .await?
        .json()
        .await?;
    let id = job["id"].as_str().ok_or("no job id")?.to_owned();
    loop {
        let info: Json = client
            .get(format!("{base}/services/data/{V}/jobs/query/{id}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        match info["state"].as_str() {
            Some("JobComplete") => break,
            Some("Failed" | "Aborted") => return Err(format!("job ended: {info}").into()),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let ready = t.elapsed();
    println!(
        "serve_extract: {rows} Account rows made in {:.2} s; job over {} columns (query + CSV rendered once) complete in {:.2} s",
        made.as_secs_f64(),
        fields.len(),
        ready.as_secs_f64()
    );

    // Every page, sequentially, the way simple-salesforce and jsforce read them.
    let mut pages: Vec<Bytes> = Vec::new();
    for gzip in [false, true] {
        let t = Instant::now();
        let mut locator: Option<String> = None;
        let mut bytes = 0usize;
        let mut records = 0usize;
        loop {
            let mut req = client
                .get(format!("{base}/services/data/{V}/jobs/query/{id}/results"))
                .bearer_auth(&token);
            if let Some(l) = &locator {
                req = req.query(&[("locator", l.as_str())]);
            }
            if gzip {
                req = req.header("Accept-Encoding", "gzip");
            }
            let resp = req.send().await?;
            let next = resp
                .headers()
                .get("sforce-locator")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("null")
                .to_owned();
            records += resp
                .headers()
                .get("sforce-numberofrecords")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            let body = resp.bytes().await?;
            bytes += body.len();
            if !gzip {
                pages.push(body);
            }
            if next == "null" {
                break;
            }
            locator = Some(next);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "serve_extract: emulator {} pages: {records} records, {:.1} MB in {:.2} s = {:.0} MB/s{}",
            if gzip { "gzip" } else { "plain" },
            mb(bytes),
            secs,
            mb(bytes) / secs,
            if gzip {
                " (first gzip read compresses; later reads are cached)"
            } else {
                ""
            },
        );
    }

    // The same bytes from a plain HTTP server: what the loopback and the client cost anyway.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route(
            "/page/{n}",
            get(
                |State(pages): State<std::sync::Arc<Vec<Bytes>>>, Path(n): Path<usize>| async move {
                    pages.get(n).cloned().unwrap_or_default()
                },
            ),
        )
        .with_state(std::sync::Arc::new(pages.clone()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let t = Instant::now();
    let mut bytes = 0usize;
    for n in 0..pages.len() {
        bytes += client
            .get(format!("http://{addr}/page/{n}"))
            .send()
            .await?
            .bytes()
            .await?
            .len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "serve_extract: plain HTTP server, same bytes: {:.1} MB in {:.2} s = {:.0} MB/s",
        mb(bytes),
        secs,
        mb(bytes) / secs
    );
    Ok(())
}
