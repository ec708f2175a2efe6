//! Bulk API 2.0 extraction of Account rows from the emulated org into Arrow, next to a
//! plain download of the same kind of pages in the same run.
//!
//! `cargo bench -p sfdf-connector --bench bulk_extract` (sizes: `SFDF_BENCH_ROWS=1000000,5000000`,
//! partitions: `SFDF_BENCH_PARTITIONS=4`, gzip: `SFDF_BENCH_GZIP=1`).
//!
//! The emulated org runs in a child process (this binary with `SFDF_BENCH_SERVE=rows`), so
//! the peak memory printed is the client's alone. Peak memory is the process's peak RSS
//! (`VmHWM`), reset before each timed phase through `/proc/self/clear_refs`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sfdf_connector::{ApiType, Connection, HttpSettings, PlanOptions, Session};

const VERSION: &str = "62.0";

fn main() {
    if let Ok(rows) = std::env::var("SFDF_BENCH_SERVE") {
        serve(rows.parse().expect("SFDF_BENCH_SERVE=rows"));
        return;
    }
    let sizes: Vec<usize> = std::env::var("SFDF_BENCH_ROWS")
        .unwrap_or_else(|_| "1000000,5000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SFDF_BENCH_ROWS: numbers"))
        .collect();
    let partitions: usize = std::env::var("SFDF_BENCH_PARTITIONS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(4);
    let gzip = std::env::var("SFDF_BENCH_GZIP").is_ok_and(|v| v == "1");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "bulkv2 extraction vs plain download; {partitions} pages in flight; gzip {}",
        if gzip { "on" } else { "off" }
    );
    println!("| rows | phase | rows/s | MB/s (CSV) | time | peak RSS of the client |");
    println!("|---:|---|---:|---:|---:|---:|");
    for rows in sizes {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("SFDF_BENCH_SERVE", rows.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the emulated org");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let (base, id, secret) = (parts[0].clone(), parts[1].clone(), parts[2].clone());
        rt.block_on(async {
            // Both phases once untimed first: the org generates its rows on first use.
            let _ = plain(&base, &id, &secret, partitions, gzip).await;
            let p = plain(&base, &id, &secret, partitions, gzip).await;
            let e = extract(&base, &id, &secret, partitions, gzip).await;
            print_row(rows, "plain download", p);
            print_row(rows, "extraction into Arrow", e);
            println!(
                "| {rows} | extraction / plain | | {:.0} % | | |",
                100.0 * e.bytes as f64
                    / e.time.as_secs_f64()
                    / (p.bytes as f64 / p.time.as_secs_f64())
            );
        });
        drop(child.stdin.take());
        let _ = child.wait();
    }
}

#[derive(Clone, Copy)]
struct Figures {
    rows: u64,
    bytes: u64,
    time: Duration,
    peak_rss: u64,
}

fn print_row(rows: usize, phase: &str, f: Figures) {
    let secs = f.time.as_secs_f64();
    println!(
        "| {rows} | {phase} | {:.0} | {:.0} | {:.2} s | {:.0} MB |",
        f.rows as f64 / secs,
        f.bytes as f64 / 1e6 / secs,
        secs,
        f.peak_rss as f64 / 1e6
    );
}

fn serve(rows: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let org = sfdf_emulator::EmulatedOrg::builder()
            .rows(rows)
            .start()
            .await
            .unwrap();
        println!(
            "{} {} {}",
            org.base_url(),
            org.client_id(),
            org.client_secret()
        );
        std::io::stdout().flush().unwrap();
        // Serve until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            while std::io::stdin()
                .read_line(&mut s)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await
        .unwrap();
    });
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The connector: plan, run the job (untimed), then read every partition concurrently.
async fn extract(base: &str, id: &str, secret: &str, partitions: usize, gzip: bool) -> Figures {
    let conn = Connection::builder()
        .developer_name("bench")
        .domain_url(base)
        .client_credentials(id, secret.to_string().into())
        .api_type(ApiType::BulkV2)
        .api_version(VERSION)
        .http(HttpSettings {
            max_concurrency: partitions,
            gzip,
            ..HttpSettings::default()
        })
        .build()
        .unwrap();
    let session = Session::connect(&conn).await.unwrap();
    let query = session.query_for("Account").await.unwrap();
    let plan = session
        .plan_with(
            &query,
            &PlanOptions {
                partitions,
                ..PlanOptions::default()
            },
        )
        .await
        .unwrap();
    plan.prepare().await.unwrap();
    reset_peak_rss();
    let start = Instant::now();
    let rows = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..plan.partition_count())
        .map(|i| {
            let mut stream = plan.open(i).unwrap();
            let rows = Arc::clone(&rows);
            tokio::spawn(async move {
                while let Some(batch) = stream.next().await {
                    rows.fetch_add(batch.unwrap().num_rows() as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    Figures {
        rows: rows.load(Ordering::Relaxed),
        bytes: plan.bytes_read(),
        time: start.elapsed(),
        peak_rss: peak_rss(),
    }
}

/// A plain client: the same job and pages over reqwest, bytes counted and dropped.
async fn plain(base: &str, id: &str, secret: &str, partitions: usize, gzip: bool) -> Figures {
    let http = reqwest::Client::builder().gzip(gzip).build().unwrap();
    let token: serde_json::Value = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let data = format!("{base}/services/data/v{VERSION}");
    let describe: serde_json::Value = http
        .get(format!("{data}/sobjects/Account/describe"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fields: Vec<&str> = describe["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !matches!(f["type"].as_str(), Some("address" | "location" | "base64")))
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let soql = format!("SELECT {} FROM Account", fields.join(", "));
    let job: serde_json::Value = http
        .post(format!("{data}/jobs/query"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"operation": "query", "query": soql}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_id = job["id"].as_str().unwrap().to_string();
    loop {
        let info: serde_json::Value = http
            .get(format!("{data}/jobs/query/{job_id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if info["state"] == "JobComplete" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut links = Vec::new();
    let mut next = Some(format!("{data}/jobs/query/{job_id}/resultPages"));
    while let Some(url) = next.take() {
        let doc: serde_json::Value = http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for chunk in doc["resultChunks"].as_array().into_iter().flatten() {
            links.push(format!("{data}{}", chunk["resultLink"].as_str().unwrap()));
        }
        next = doc["nextRecordsUrl"].as_str().map(|u| format!("{data}{u}"));
    }
    reset_peak_rss();
    let start = Instant::now();
    let bytes = Arc::new(AtomicU64::new(0));
    let rows = Arc::new(AtomicU64::new(0));
    futures::stream::iter(links)
        .map(|url| {
            let (http, token, bytes, rows) = (
                http.clone(),
                token.clone(),
                Arc::clone(&bytes),
                Arc::clone(&rows),
            );
            async move {
                let resp = http
                    .get(url)
                    .bearer_auth(token)
                    .header("Accept", "text/csv")
                    .send()
                    .await
                    .unwrap();
                let n: u64 = resp
                    .headers()
                    .get("Sforce-NumberOfRecords")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                rows.fetch_add(n, Ordering::Relaxed);
                let mut body = resp.bytes_stream();
                while let Some(chunk) = body.next().await {
                    bytes.fetch_add(chunk.unwrap().len() as u64, Ordering::Relaxed);
                }
            }
        })
        .buffer_unordered(partitions)
        .collect::<Vec<()>>()
        .await;
    let time = start.elapsed();
    let _ = http
        .delete(format!("{data}/jobs/query/{job_id}"))
        .bearer_auth(&token)
        .send()
        .await;
    Figures {
        rows: rows.load(Ordering::Relaxed),
        bytes: bytes.load(Ordering::Relaxed),
        time,
        peak_rss: peak_rss(),
    }
}
