//! Sync of Account rows from the emulated org into Delta, next to a plain download of the
//! same Bulk result pages (bytes read and dropped: the floor of any sync) and an extraction
//! of the same rows into Arrow that writes nothing; then two incremental syncs, each after 1%
//! of the rows changed: first the most recently created 1% (where most changes fall in a
//! real org), then 1% spread evenly over the object (every 100th row: the worst case for a
//! merge, which rewrites every file holding a changed row).
//!
//! `cargo bench --workspace --bench sync` (sizes: `SFDF_BENCH_ROWS=1000000,5000000`; a
//! modelled link next to loopback: `SFDF_BENCH_LINK_MBPS=1000`; API: `SFDF_BENCH_API=bulkv2`).
//!
//! The emulated org runs in a child process (this binary with `SFDF_BENCH_SERVE`), and each
//! phase in a fresh process of its own (`SFDF_BENCH_PHASE`), so the peak RSS printed
//! (`VmHWM`) is that phase's alone. The parent asks the org's process to change Accounts (a
//! line `change recent N` or `change spread N` on its standard input) between the syncs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sfdf_connector::{ApiType, Connection, HttpSettings, ObjectSelection, Session};
use sfdf_emulator::{EmulatedOrg, Value};
use sfdf_testkit::plain_bulk::PlainJob;

fn main() {
    if let Ok(rows) = std::env::var("SFDF_BENCH_SERVE") {
        serve(rows.parse().expect("SFDF_BENCH_SERVE=rows"));
        return;
    }
    if let Ok(args) = std::env::var("SFDF_BENCH_PHASE") {
        phase(&args);
        return;
    }
    let sizes: Vec<usize> = std::env::var("SFDF_BENCH_ROWS")
        .unwrap_or_else(|_| "1000000,5000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SFDF_BENCH_ROWS: numbers"))
        .collect();
    let api = std::env::var("SFDF_BENCH_API").unwrap_or_else(|_| "bulkv2".into());
    let link: Option<u64> = std::env::var("SFDF_BENCH_LINK_MBPS")
        .ok()
        .and_then(|v| v.parse().ok());
    println!("Account sync into Delta vs extraction alone; api {api}");
    println!(
        "| rows | link | phase | time | share of full | API calls | MB from the org | peak RSS |"
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|");
    for rows in sizes {
        // The emulated org keeps every row in memory (~4.5 KB an Account) and renders a
        // job's whole CSV result at once: ~5 GB a million rows at its peak (measured at 1M
        // and 2M; a margin on top).
        let needed = rows as u64 * 6_000;
        if let Some(available) = memory_available().filter(|&a| a < needed) {
            println!(
                "| {rows} | | skipped: the emulated org needs ~{:.0} GB at this size, {:.0} GB is available | | | | | |",
                needed as f64 / 1e9,
                available as f64 / 1e9
            );
            continue;
        }
        for link in [None, link]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            run_size(rows, link, &api);
        }
    }
}

struct Figures {
    rows: u64,
    seconds: f64,
    calls: u64,
    bytes: u64,
    peak_rss: u64,
}

fn run_size(rows: usize, link: Option<u64>, api: &str) {
    let (mut org, mut control, base, id, secret) = start_org(rows, link);
    let target = tempfile::tempdir().unwrap();
    let args = |phase: &str| {
        format!(
            "{phase} {base} {id} {secret} {} {api}",
            target.path().display()
        )
    };
    let plain = run_phase(&args("plain"));
    let download = run_phase(&args("download"));
    let full = run_phase(&args("full"));
    let mut change = |pattern: &str| {
        writeln!(control, "change {pattern} {}", rows / 100).unwrap();
        control.flush().unwrap();
        wait_for_marker(&base, Duration::from_secs(600));
        run_phase(&args("incremental"))
    };
    let recent = change("recent");
    let spread = change("spread");
    let link_text = link.map_or("loopback".to_string(), |l| format!("{l} MB/s"));
    for (name, f) in [
        ("plain download", &plain),
        ("extract only", &download),
        ("full sync", &full),
        ("incremental, 1% changed: recent", &recent),
        ("incremental, 1% changed: spread", &spread),
    ] {
        println!(
            "| {rows} | {link_text} | {name} ({} rows) | {:.2} s | {:.1}% | {} ({:.1}%) | {:.1} ({:.2}%) | {:.0} MiB |",
            f.rows,
            f.seconds,
            100.0 * f.seconds / full.seconds,
            f.calls,
            100.0 * f.calls as f64 / full.calls.max(1) as f64,
            f.bytes as f64 / 1e6,
            100.0 * f.bytes as f64 / full.bytes.max(1) as f64,
            f.peak_rss as f64 / 1048576.0
        );
    }
    drop(control);
    let _ = org.wait();
}

fn marker(base: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "sfdf-bench-{}-changed",
        base.replace([':', '/'], "_")
    ))
}

/// Waits until the org's process says (with a marker file) that it applied the changes.
fn wait_for_marker(base: &str, limit: Duration) {
    let path = marker(base);
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < limit, "the org did not apply the changes");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_file(path);
}

fn start_org(rows: usize, link: Option<u64>) -> (Child, ChildStdin, String, String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env("SFDF_BENCH_SERVE", rows.to_string());
    if let Some(l) = link {
        cmd.env("SFDF_BENCH_LINK", (l * 1_000_000).to_string());
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the emulated org");
    let control = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || for _ in out.lines() {});
    let parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    (
        child,
        control,
        parts[0].clone(),
        parts[1].clone(),
        parts[2].clone(),
    )
}

fn serve(rows: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut org = EmulatedOrg::builder().rows(rows);
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
        let base = org.base_url().to_string();
        let org = std::sync::Arc::new(org);
        let serving = std::sync::Arc::clone(&org);
        // Serve until the parent closes our stdin; `change N` touches N live Accounts.
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            while std::io::stdin()
                .read_line(&mut line)
                .map(|n| n > 0)
                .unwrap_or(false)
            {
                if let Some(what) = line.trim().strip_prefix("change ") {
                    let (pattern, n) = what.split_once(' ').unwrap();
                    let n: usize = n.parse().unwrap();
                    // Records come in creation order: the newest are the last.
                    let live = serving.live_ids("Account").unwrap();
                    let ids: Vec<String> = match pattern {
                        "recent" => live[live.len().saturating_sub(n)..].to_vec(),
                        _ => live.into_iter().step_by(100).take(n).collect(),
                    };
                    for id in ids {
                        serving
                            .update("Account", &id, &[("Phone", Value::Text("555-0199".into()))])
                            .unwrap();
                    }
                    std::fs::write(marker(&base), b"").unwrap();
                }
                line.clear();
            }
        })
        .await
        .unwrap();
    });
}

fn run_phase(args: &str) -> Figures {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("SFDF_BENCH_PHASE", args)
        .output()
        .expect("phase runs");
    assert!(
        out.status.success(),
        "phase {args} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text
        .split_whitespace()
        .map(|x| x.parse().expect("numbers"))
        .collect();
    Figures {
        rows: v[0] as u64,
        seconds: v[1],
        calls: v[2] as u64,
        bytes: v[3] as u64,
        peak_rss: v[4] as u64,
    }
}

fn phase(args: &str) {
    let a: Vec<&str> = args.split_whitespace().collect();
    let (phase, base, id, secret, target, api) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let f = rt.block_on(async {
        let conn = Connection::builder()
            .developer_name("bench")
            .domain_url(base)
            .client_credentials(id, secret.to_string().into())
            .api_type(match api {
                "rest" => ApiType::Rest,
                "soap" => ApiType::Soap,
                _ => ApiType::BulkV2,
            })
            .api_version("62.0")
            .object(ObjectSelection::new("Account"))
            .http(HttpSettings::default())
            .build()
            .unwrap();
        let session = Session::connect(&conn).await.unwrap();
        let calls = session.calls_made();
        let started = Instant::now();
        let mut calls_by_hand = None;
        let (rows, bytes) = match phase {
            "plain" => {
                let query = session.query_for("Account").await.unwrap();
                let plan = session.plan(&query).await.unwrap();
                // As a sync reads them: 4 pages at a time, the job's creation timed too.
                let job = PlainJob::run(base, id, secret, false, Some(plan.soql())).await;
                let (rows, bytes) = job.download(4).await;
                job.delete().await;
                calls_by_hand = Some(job.calls + job.links.len() as u64);
                (rows, bytes)
            }
            "download" => {
                let query = session.query_for("Account").await.unwrap();
                let plan = session.plan(&query).await.unwrap();
                let mut streams = futures::stream::select_all(
                    (0..plan.partition_count()).map(|i| plan.open(i).unwrap()),
                );
                let mut rows = 0u64;
                while let Some(batch) = streams.next().await {
                    rows += batch.unwrap().num_rows() as u64;
                }
                (rows, plan.bytes_read())
            }
            "full" | "incremental" => {
                let mut options = sfdf_sync::SyncOptions::new(target);
                options.full = phase == "full";
                let report = sfdf_sync::sync_object(&session, "Account", &options).await;
                assert!(report.ok(), "{}", report.line());
                eprintln!("{}", report.line());
                (report.rows_read, report.bytes)
            }
            other => panic!("unknown phase {other}"),
        };
        Figures {
            rows,
            seconds: started.elapsed().as_secs_f64(),
            calls: calls_by_hand.unwrap_or(session.calls_made() - calls),
            bytes,
            peak_rss: peak_rss(),
        }
    });
    println!(
        "{} {} {} {} {}",
        f.rows, f.seconds, f.calls, f.bytes, f.peak_rss
    );
}

/// `MemAvailable` of `/proc/meminfo`, in bytes (`None` where there is none).
fn memory_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
