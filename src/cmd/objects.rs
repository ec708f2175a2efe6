//! `sfdf objects FILE`: the objects the connection's user may see.

use std::path::PathBuf;
use std::process::ExitCode;

use sfdf_connector::{Connection, Session};

/// Arguments of `sfdf objects`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The connection file (YAML).
    pub file: PathBuf,
    /// Only names, one per line (for scripts).
    #[arg(long)]
    pub names: bool,
}

/// Runs `sfdf objects`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let conn = Connection::from_yaml_file(&args.file)?;
    for w in conn.warnings() {
        eprintln!("warning: {w}");
    }
    let session = Session::authenticate(&conn).await?;
    let objects = session.objects().await?;
    if args.names {
        for o in &objects {
            println!("{}", o.name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let width = objects
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:width$}  {:6}  {:13}  label",
        "name", "custom", "replicateable"
    );
    for o in &objects {
        println!(
            "{:width$}  {:6}  {:13}  {}",
            o.name,
            if o.custom { "yes" } else { "" },
            if o.replicateable { "yes" } else { "" },
            o.label
        );
    }
    eprintln!("{} objects visible to the connecting user", objects.len());
    Ok(ExitCode::SUCCESS)
}
