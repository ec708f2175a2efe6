//! `sfdf describe [FILE] OBJECT`: one object's fields with their Salesforce and Arrow types.

use std::process::ExitCode;

use sfdf_connector::{CompoundRole, Session};

use super::connection_arg::ConnectionArg;
use super::output::{OutputArgs, text_batch};

/// Arguments of `sfdf describe`.
#[derive(Debug, clap::Args)]
#[command(allow_missing_positional = true)]
pub(crate) struct Args {
    #[command(flatten)]
    pub connection: ConnectionArg,
    /// The object's API name, e.g. `Account`.
    pub object: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `sfdf describe`.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    args.output.check()?;
    let (_, conn) = args.connection.load()?;
    let session = Session::authenticate(&conn).await?;
    let object = session.describe(&args.object).await?;
    let yes = |b: bool| Some(if b { "yes" } else { "no" }.to_owned());
    let rows: Vec<Vec<Option<String>>> = object
        .fields
        .iter()
        .map(|f| {
            let mut sf = f.sf_type.clone();
            if let CompoundRole::Component(c) = &f.compound {
                sf.push_str(&format!(" (part of {c})"));
            }
            vec![
                Some(f.name.clone()),
                Some(sf),
                Some(f.data_type.to_string()),
                yes(f.nillable),
                yes(f.filterable),
            ]
        })
        .collect();
    if !args.output.quiet {
        eprintln!(
            "{} ({}){}",
            object.name,
            object.label,
            if object.custom { ", custom" } else { "" }
        );
    }
    let batch = text_batch(
        &[
            "field",
            "salesforce_type",
            "arrow_type",
            "nullable",
            "filterable",
        ],
        &rows,
    )?;
    args.output.write_batch(batch).await?;
    if !args.output.quiet {
        for s in &object.skipped {
            eprintln!("not a column: {} ({}): {}", s.name, s.sf_type, s.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}
