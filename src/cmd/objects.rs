//! `sfdf objects [FILE]`: the objects the connection's user may see.

use std::process::ExitCode;

use sfdf_connector::Session;

use super::connection_arg::ConnectionArg;
use super::output::{OutputArgs, out_line, text_batch};

/// Arguments of `sfdf objects`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub connection: ConnectionArg,
    /// Only names, one per line (for scripts).
    #[arg(long, conflicts_with_all = ["format", "output"])]
    pub names: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `sfdf objects`.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    args.output.check()?;
    let (_, conn) = args.connection.load()?;
    let session = Session::authenticate(&conn).await?;
    let objects = session.objects().await?;
    if args.names {
        for o in &objects {
            out_line(&o.name)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let yes = |b: bool| Some(if b { "yes" } else { "no" }.to_owned());
    let rows: Vec<Vec<Option<String>>> = objects
        .iter()
        .map(|o| {
            vec![
                Some(o.name.clone()),
                Some(o.label.clone()),
                yes(o.custom),
                yes(o.replicateable),
            ]
        })
        .collect();
    let batch = text_batch(&["name", "label", "custom", "replicateable"], &rows)?;
    args.output.write_batch(batch).await?;
    if !args.output.quiet {
        eprintln!("{} objects visible to the connecting user", objects.len());
    }
    Ok(ExitCode::SUCCESS)
}
