//! Bulk API 2.0 extraction of Account rows from the emulated org into Arrow, next to a
//! plain download of the same kind of pages in the same run.
//!
//! `cargo bench --workspace --bench bulk_extract` (sizes: `SFDF_BENCH_ROWS=1000000,5000000`,
//! partitions: `SFDF_BENCH_PARTITIONS=4`, gzip: `SFDF_BENCH_GZIP=1`, decode-only input cap:
//! `SFDF_BENCH_DECODE_MB=1024`, a modelled network link next to loopback:
//! `SFDF_BENCH_LINK_MBPS=1000`).
//!
//! A third phase, **decode only**, downloads pages (up to the cap) into memory untimed and
//! then times `BulkCsvDecoder` over them on one thread, in the chunks they arrived in: the
//! decoder's own speed, with no network, runtime or channel in the way.
//!
//! The emulated org runs in a child process (this binary with `SFDF_BENCH_SERVE=rows`), so
//! the peak memory printed is the client's alone; the extraction runs in a fresh process too
//! (`SFDF_BENCH_EXTRACT`), so its peak is not what the allocator kept from earlier phases.
//! Peak memory is the process's peak RSS (`VmHWM`), reset before each timed phase through
//! `/proc/self/clear_refs`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use futures::StreamExt;
use sfdf_connector::extract::{BulkCsvDecoder, CsvFormat};
use sfdf_connector::{ApiType, Connection, HttpSettings, PlanOptions, Session};
use sfdf_testkit::plain_bulk::{PlainJob, VERSION};

fn main() {
    if let Ok(rows) = std::env::var("SFDF_BENCH_SERVE") {
        serve(rows.parse().expect("SFDF_BENCH_SERVE=rows"));
        return;
    }
    if let Ok(args) = std::env::var("SFDF_BENCH_EXTRACT") {
        extract_here(&args);
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
    let decode_limit: u64 = std::env::var("SFDF_BENCH_DECODE_MB")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1024)
        * 1_000_000;
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
    let link: Option<u64> = std::env::var("SFDF_BENCH_LINK_MBPS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|mbps| mbps * 1_000_000);
    for rows in sizes {
        // One org at a time (an emulated org of 5M rows takes gigabytes). The modelled link
        // runs first but prints after loopback (the headline: decoder-bound); decoding alone
        // runs last, as holding the pages in memory inflates later peaks.
        let slow = link.map(|link| {
            let (mut org, base, id, secret) = start_org(rows, Some(link));
            let at = format!(", link {} MB/s", link / 1_000_000);
            let lines = rt.block_on(async {
                compare(rows, &base, &id, &secret, partitions, gzip, &at)
                    .await
                    .1
            });
            drop(org.stdin.take());
            let _ = org.wait();
            lines
        });
        let (mut org, base, id, secret) = start_org(rows, None);
        rt.block_on(async {
            let (schema, lines) = compare(rows, &base, &id, &secret, partitions, gzip, "").await;
            print!("{lines}{}", slow.unwrap_or_default());
            let job = PlainJob::run(&base, &id, &secret, gzip, None).await;
            let pages = fetch(&job, decode_limit).await;
            job.delete().await;
            let d = decode_only(&pages, &schema, false);
            print_row(rows, "decode only, one core (pages in memory)", d);
            print_cpu(rows, "decode only, per CPU-second of the thread", d);
            let a = decode_only(&pages, &schema, true);
            print_row(rows, "decode only, one core, arrow-csv (before)", a);
            print_cpu(rows, "decode only, arrow-csv, per CPU-second", a);
        });
        drop(org.stdin.take());
        let _ = org.wait();
    }
}

/// Plain download vs extraction against one org; returns the extraction schema and the
/// table rows to print. One job at a time: the org holds a job's results in memory.
async fn compare(
    rows: usize,
    base: &str,
    id: &str,
    secret: &str,
    partitions: usize,
    gzip: bool,
    at: &str,
) -> (SchemaRef, String) {
    // Both phases once untimed first: the org generates its rows on first use.
    let job = PlainJob::run(base, id, secret, gzip, None).await;
    let _ = plain(&job, partitions).await;
    let p = plain(&job, partitions).await;
    job.delete().await;
    let e = extract_in_child(base, id, secret, partitions, gzip);
    let schema = plan_account(base, id, secret, partitions, gzip)
        .await
        .schema();
    let lines = format!(
        "{}\n{}\n| {rows} | extraction / plain{at} | | {:.0} % | | |\n",
        row(rows, &format!("plain download{at}"), p),
        row(rows, &format!("extraction into Arrow{at}"), e),
        100.0 * e.bytes as f64 / e.time.as_secs_f64() / (p.bytes as f64 / p.time.as_secs_f64())
    );
    (schema, lines)
}

/// Starts the emulated org in a child process (optionally behind a modelled link of
/// `link` bytes/s); returns it with its base URL and client credentials.
fn start_org(rows: usize, link: Option<u64>) -> (Child, String, String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env("SFDF_BENCH_SERVE", rows.to_string());
    if let Some(l) = link {
        cmd.env("SFDF_BENCH_LINK", l.to_string());
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the emulated org");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // Keep reading: a closed pipe would kill the org at its next line of output.
    std::thread::spawn(move || for _ in out.lines() {});
    let parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let (base, id, secret) = (parts[0].clone(), parts[1].clone(), parts[2].clone());
    (child, base, id, secret)
}

#[derive(Clone, Copy)]
struct Figures {
    rows: u64,
    bytes: u64,
    time: Duration,
    peak_rss: u64,
    /// CPU time of the measuring thread (decode-only phases): under load from other
    /// processes, wall time overstates the decoder's cost; this does not.
    cpu: Duration,
}

/// User + system CPU time of the calling thread (`/proc/thread-self/stat`, clock ticks).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the `(comm)`, which may hold spaces: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn print_cpu(rows: usize, phase: &str, f: Figures) {
    let secs = f.cpu.as_secs_f64().max(0.01);
    println!(
        "| {rows} | {phase} | {:.0} | {:.0} | {:.2} s CPU | |",
        f.rows as f64 / secs,
        f.bytes as f64 / 1e6 / secs,
        secs
    );
}

fn print_row(rows: usize, phase: &str, f: Figures) {
    println!("{}", row(rows, phase, f));
}

fn row(rows: usize, phase: &str, f: Figures) -> String {
    let secs = f.time.as_secs_f64();
    format!(
        "| {rows} | {phase} | {:.0} | {:.0} | {:.2} s | {:.0} MB |",
        f.rows as f64 / secs,
        f.bytes as f64 / 1e6 / secs,
        secs,
        f.peak_rss as f64 / 1e6
    )
}

fn serve(rows: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut org = sfdf_emulator::EmulatedOrg::builder().rows(rows);
        if let Some(link) = std::env::var("SFDF_BENCH_LINK")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            org = org.link_speed(link);
        }
        let org = org.start().await.unwrap();
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

/// The connector's plan over every Account column (planning sends no job).
async fn plan_account(
    base: &str,
    id: &str,
    secret: &str,
    partitions: usize,
    gzip: bool,
) -> sfdf_connector::ExtractPlan {
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
    session
        .plan_with(
            &query,
            &PlanOptions {
                partitions,
                ..PlanOptions::default()
            },
        )
        .await
        .unwrap()
}

/// The connector: plan, run the job (untimed), then read every partition concurrently.
async fn extract(base: &str, id: &str, secret: &str, partitions: usize, gzip: bool) -> Figures {
    let plan = plan_account(base, id, secret, partitions, gzip).await;
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
        cpu: Duration::ZERO,
    }
}

/// [`extract`] in a fresh process (this binary with `SFDF_BENCH_EXTRACT`), so its peak
/// memory is its own, not what the allocator kept from earlier phases.
fn extract_in_child(base: &str, id: &str, secret: &str, partitions: usize, gzip: bool) -> Figures {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(
            "SFDF_BENCH_EXTRACT",
            format!("{base} {id} {secret} {partitions} {}", u8::from(gzip)),
        )
        .stderr(Stdio::inherit())
        .output()
        .expect("run the extraction process");
    let line = String::from_utf8_lossy(&out.stdout);
    let n: Vec<u64> = line
        .split_whitespace()
        .map(|v| v.parse().expect("figures from the extraction process"))
        .collect();
    Figures {
        rows: n[0],
        bytes: n[1],
        time: Duration::from_nanos(n[2]),
        peak_rss: n[3],
        cpu: Duration::ZERO,
    }
}

/// The child side of [`extract_in_child`]: prints `rows bytes nanos peak_rss`.
fn extract_here(args: &str) {
    let a: Vec<&str> = args.split_whitespace().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let f = rt.block_on(extract(
        a[0],
        a[1],
        a[2],
        a[3].parse().unwrap(),
        a[4] == "1",
    ));
    println!(
        "{} {} {} {}",
        f.rows,
        f.bytes,
        f.time.as_nanos(),
        f.peak_rss
    );
}

/// Page bodies of `job`, as the chunks they arrived in, until `limit` bytes.
async fn fetch(job: &PlainJob, limit: u64) -> Vec<Vec<bytes::Bytes>> {
    let mut pages = Vec::new();
    let mut total = 0u64;
    for url in &job.links {
        if total >= limit {
            break;
        }
        let resp = job
            .http
            .get(url)
            .bearer_auth(&job.token)
            .header("Accept", "text/csv")
            .send()
            .await
            .unwrap();
        let mut chunks = Vec::new();
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.unwrap();
            total += chunk.len() as u64;
            chunks.push(chunk);
        }
        pages.push(chunks);
    }
    pages
}
/// Plain download: the job's pages over reqwest, bytes counted and dropped.
async fn plain(job: &PlainJob, partitions: usize) -> Figures {
    reset_peak_rss();
    let start = Instant::now();
    let (rows, bytes) = job.download(partitions).await;
    let time = start.elapsed();
    Figures {
        rows,
        bytes,
        time,
        peak_rss: peak_rss(),
        cpu: Duration::ZERO,
    }
}

/// The decoder alone, on this thread, over pages already in memory; `arrow` measures Arrow's
/// CSV decoder instead (what `BulkCsvDecoder` wrapped before; `time` read as text).
fn decode_only(pages: &[Vec<bytes::Bytes>], schema: &SchemaRef, arrow: bool) -> Figures {
    // Columns in the order of the pages' header row (the plain job's SOQL order).
    let header: Vec<u8> = pages
        .first()
        .map(|p| p.concat())
        .unwrap_or_default()
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default()
        .to_vec();
    let fields: Vec<_> = String::from_utf8_lossy(&header)
        .trim_end()
        .split(',')
        .map(|n| {
            let n = n.trim_matches('"');
            let f = schema
                .fields()
                .iter()
                .find(|f| f.name().eq_ignore_ascii_case(n))
                .unwrap_or_else(|| panic!("{n} is not in the extraction schema"));
            Arc::clone(f)
        })
        .collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    reset_peak_rss();
    let start = Instant::now();
    let cpu = thread_cpu();
    let (mut rows, mut bytes) = (0u64, 0u64);
    if arrow {
        let wire: SchemaRef = Arc::new(Schema::new(
            schema
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Time32(_) => Field::new(f.name(), DataType::Utf8, true),
                    _ => f.as_ref().clone(),
                })
                .collect::<Vec<_>>(),
        ));
        for page in pages {
            let mut d = arrow_csv::ReaderBuilder::new(Arc::clone(&wire))
                .with_header(true)
                .with_batch_size(8192)
                .build_decoder();
            for chunk in page {
                bytes += chunk.len() as u64;
                let mut data: &[u8] = chunk;
                while !data.is_empty() {
                    let n = d.decode(data).unwrap();
                    data = &data[n..];
                    if d.capacity() == 0 {
                        rows += d.flush().unwrap().map_or(0, |b| b.num_rows() as u64);
                    }
                }
            }
            d.decode(&[]).unwrap();
            rows += d.flush().unwrap().map_or(0, |b| b.num_rows() as u64);
        }
        return Figures {
            rows,
            bytes,
            time: start.elapsed(),
            peak_rss: peak_rss(),
            cpu: thread_cpu() - cpu,
        };
    }
    for page in pages {
        let mut d =
            BulkCsvDecoder::new("bench", Arc::clone(&schema), CsvFormat::default(), 8192, 0);
        for chunk in page {
            for b in d.push(chunk).unwrap() {
                rows += b.num_rows() as u64;
            }
        }
        for b in d.finish().unwrap() {
            rows += b.num_rows() as u64;
        }
        bytes += d.bytes();
    }
    Figures {
        rows,
        bytes,
        time: start.elapsed(),
        peak_rss: peak_rss(),
        cpu: thread_cpu() - cpu,
    }
}
