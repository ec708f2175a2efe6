//! `sfdf sql FILE [QUERY]`: SQL over a connection's objects, once or in a shell.

mod output;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use sfdf_connector::provider;

pub use output::{Destination, Format};

/// Arguments of `sfdf sql`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The connection file (YAML).
    pub file: PathBuf,
    /// SQL to run; several statements may be separated by `;`. Without it, an interactive
    /// shell starts.
    pub query: Option<String>,
    /// How to write results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write results to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// How many partitions scans and joins use (default: the number of CPUs).
    #[arg(long)]
    pub partitions: Option<usize>,
}

/// Runs `sfdf sql`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let connection = sfdf_connector::Connection::from_yaml_file(&args.file)?;
    for warning in connection.warnings() {
        eprintln!("warning: {warning}");
    }
    let ctx = provider::SessionBuilder::new()
        .target_partitions(args.partitions)
        .connection(connection)
        .build()
        .await
        .with_context(|| format!("cannot open the connection in {}", args.file.display()))?;
    let destination = Destination {
        path: args.output.clone(),
    };
    match &args.query {
        Some(query) => {
            run_text(&ctx, query, args.format, &destination, false).await?;
            Ok(ExitCode::SUCCESS)
        }
        None => shell(&ctx, args.format, &destination).await,
    }
}

/// Parses `text` (one or more statements) and runs each, writing its results.
pub async fn run_text(
    ctx: &SessionContext,
    text: &str,
    format: Format,
    destination: &Destination,
    timings: bool,
) -> anyhow::Result<()> {
    let statements = provider::parse(ctx, text).map_err(plain)?;
    for statement in statements {
        run_statement(ctx, statement, format, destination, timings).await?;
    }
    Ok(())
}

async fn run_statement(
    ctx: &SessionContext,
    statement: Statement,
    format: Format,
    destination: &Destination,
    timings: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let work = async {
        let frame = provider::statement_to_dataframe(ctx, statement)
            .await
            .map_err(plain)?;
        let stream = frame.execute_stream().await.map_err(plain)?;
        output::write(stream, format, destination).await
    };
    // Ctrl-C drops the query (planning included): its streams go, and with them the
    // org's query jobs are aborted.
    let rows = tokio::select! {
        rows = work => rows?,
        _ = tokio::signal::ctrl_c() => {
            // Dropping the query sends the job abort from a background task; give it a
            // moment before the process (and its runtime) may end.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            anyhow::bail!("query cancelled (Ctrl-C); its Bulk job was aborted");
        }
    };
    if timings {
        eprintln!("{rows} row(s) in {:.3} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

const HELP: &str = "\
Statements end with `;` and may span lines. Names resolve ignoring case, as in SOQL.
  \\d            list tables
  \\d NAME       describe a table
  \\q            quit (or Ctrl-D)
  EXPLAIN ...    show the plan, including each scan's SOQL";

async fn shell(
    ctx: &SessionContext,
    format: Format,
    destination: &Destination,
) -> anyhow::Result<ExitCode> {
    let mut editor = DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".sfdf_history"));
    if let Some(path) = &history {
        // No history yet is fine.
        let _ = editor.load_history(path);
    }
    eprintln!("sfdf SQL shell. End statements with `;`. \\? for help, \\q to quit.");
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "sfdf> "
        } else {
            "  ... "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && trimmed.starts_with('\\') {
                    let _ = editor.add_history_entry(trimmed);
                    match backslash_command(trimmed) {
                        Some(sql) => report(run_text(ctx, &sql, format, destination, true).await),
                        None if matches!(trimmed, "\\q" | "\\quit") => break,
                        None => eprintln!("{HELP}"),
                    }
                    continue;
                }
                if buffer.is_empty()
                    && matches!(trimmed.to_ascii_lowercase().as_str(), "quit" | "exit")
                {
                    break;
                }
                if !buffer.is_empty() {
                    buffer.push('\n');
                }
                buffer.push_str(&line);
                if trimmed.ends_with(';') {
                    let text = std::mem::take(&mut buffer);
                    let _ = editor.add_history_entry(text.as_str());
                    report(run_text(ctx, &text, format, destination, true).await);
                }
            }
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C while typing drops the statement being written, as psql does.
                buffer.clear();
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(ExitCode::SUCCESS)
}

fn backslash_command(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    match (words.next()?, words.next()) {
        ("\\d", None) => Some("SHOW TABLES;".into()),
        // The name is passed as an identifier: quoting keeps it a single name.
        ("\\d", Some(name)) => Some(format!("DESCRIBE {};", name.replace(['"', ';'], ""))),
        _ => None,
    }
}

/// DataFusion errors repeat their message in their source chain; keep the root's text, and
/// for an org error the connector's own message.
pub(crate) fn plain(error: DataFusionError) -> anyhow::Error {
    match error.find_root() {
        DataFusionError::External(inner) => anyhow::anyhow!("{inner}"),
        root => anyhow::anyhow!("{}", root.strip_backtrace()),
    }
}

fn report(result: anyhow::Result<()>) {
    if let Err(e) = result {
        eprintln!("error: {e:#}");
    }
}
