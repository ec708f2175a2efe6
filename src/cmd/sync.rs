//! `sfdf sync FILE`: copy the connection's objects into Delta tables, full or incremental.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sfdf_connector::{Connection, Session};
use sfdf_sync::SyncOptions;

/// Arguments of `sfdf sync`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The connection file (YAML).
    pub file: PathBuf,
    /// Sync only this object (repeatable); default: the connection's `objects:`.
    #[arg(long = "object", value_name = "NAME")]
    pub objects: Vec<String>,
    /// Read every row again and replace the table (one commit), even where an incremental
    /// sync would do.
    #[arg(long)]
    pub full: bool,
    /// After an incremental sync, also remove rows the org deleted for good (hard deletes,
    /// purged recycle bin): getDeleted within its 15 days, else an Id-only comparison.
    #[arg(long)]
    pub reconcile: bool,
    /// The folder of the tables: `<target>/<developer name>/<object>/` (default:
    /// `$SFDF_SYNC_DIR`, else `~/.local/share/sfdf/sync`).
    #[arg(long, value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// How far before the checkpoint an incremental sync reads again, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = sfdf_sync::DEFAULT_LOOKBACK.as_secs())]
    pub lookback: u64,
    /// Print the summary as one JSON document (for schedulers).
    #[arg(long)]
    pub json: bool,
}

/// Runs `sfdf sync`.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let connection = Connection::from_yaml_file(&args.file)?;
    for w in connection.warnings() {
        eprintln!("warning: {w}");
    }
    let session = Session::connect(&connection).await?;
    let mut options = SyncOptions::new(args.target.unwrap_or_else(sfdf_sync::default_target));
    options.objects = args.objects;
    options.full = args.full;
    options.reconcile = args.reconcile;
    options.lookback = Duration::from_secs(args.lookback);
    let objects = sfdf_sync::objects_to_sync(&session, &options).map_err(anyhow::Error::msg)?;
    // Progress on a terminal only: rows, bytes and API calls of the object being synced.
    let bar = (std::io::stderr().is_terminal() && !args.json).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    if let Some(bar) = &bar {
        let bar = bar.clone();
        options.progress = Some(sfdf_sync::ProgressFn(std::sync::Arc::new(move |p| {
            bar.set_message(format!(
                "{}: {} rows, {:.1} MB, {} API calls",
                p.object,
                p.rows,
                p.bytes as f64 / 1e6,
                p.api_calls
            ));
        })));
    }
    let mut reports = Vec::new();
    for object in &objects {
        if let Some(bar) = &bar {
            bar.set_message(format!("{object}: starting"));
        }
        let report = sfdf_sync::sync_object(&session, object, &options).await;
        if !args.json {
            match &bar {
                Some(bar) => bar.suspend(|| println!("{}", report.line())),
                None => println!("{}", report.line()),
            }
        }
        reports.push(report);
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let failed = reports.iter().filter(|r| !r.ok()).count();
    if args.json {
        let doc = serde_json::json!({
            "connection": connection.developer_name(),
            "target": options.target.display().to_string(),
            "objects": reports,
            "failed": failed,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else if failed > 0 {
        eprintln!(
            "{failed} of {} object(s) failed; their tables keep their previous version",
            reports.len()
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
