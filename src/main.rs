//! `sfdf`: Salesforce org data in Apache DataFusion.
//!
//! One module per command under `cmd/`; this file only parses the command line,
//! sets up logging and maps errors to exit codes.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Salesforce org data in Apache DataFusion: query, sync and transform.
#[derive(Debug, Parser)]
#[command(name = "sfdf", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole product against an emulated org, in-process: the newcomer's first command.
    Demo(cmd::demo::Args),
    /// Serve an emulated Salesforce org on loopback (OAuth, REST, Bulk API 2.0, SOAP).
    Emulator(cmd::emulator::Args),
    /// Check and normalize SOQL queries.
    #[command(subcommand)]
    Soql(cmd::soql::Command),
    /// Work with connection files.
    #[command(subcommand)]
    Connection(cmd::connection::Command),
    /// List the objects a connection may see.
    Objects(cmd::objects::Args),
    /// Describe one object's fields: Salesforce type, Arrow type, nullable, filterable.
    Describe(cmd::describe::Args),
    /// Query the org with SQL: one query, or an interactive shell.
    Sql(cmd::sql::Args),
    /// Check, explain and run recipes: transforms declared in YAML.
    #[command(subcommand)]
    Recipe(cmd::recipe::Command),
    /// Copy the connection's objects into Delta tables, full or incremental.
    Sync(cmd::sync::Args),
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Command::Sql(args) = &mut cli.command {
        args.resolve_env_connection();
    }
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The emulator serves until Ctrl-C, and the interactive shell cancels the running
    // statement on Ctrl-C and goes on: both handle it themselves.
    let handles_ctrl_c = match &cli.command {
        Command::Emulator(_) => true,
        Command::Sql(args) => args.is_interactive(),
        _ => false,
    };
    let result = runtime.block_on(async move {
        let work = run(cli.command);
        let result = if handles_ctrl_c {
            work.await
        } else {
            tokio::select! {
                result = work => result,
                _ = tokio::signal::ctrl_c() => Err(anyhow::Error::new(Cancelled)),
            }
        };
        // The command is over (and dropped, with its streams): on every exit path, wait
        // for the Bulk jobs it leaves to be deleted before the runtime ends.
        finish_job_cleanup().await;
        result
    });
    match result {
        Ok(code) => code,
        // The reader of standard output went away (`| head`): it had what it wanted.
        Err(e) if cmd::output::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.is::<Cancelled>() => {
            eprintln!(
                "sfdf: cancelled (Ctrl-C); a running query's Bulk job was aborted and no output file was replaced"
            );
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("error: {}", cmd::error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C stopped the command.
#[derive(Debug)]
struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled (Ctrl-C)")
    }
}

impl std::error::Error for Cancelled {}

/// How long the end of a run waits for Bulk job DELETEs: long enough for the retry policy
/// to ride out a short outage, short enough that a gone org does not hang the shell.
const CLEANUP_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Waits for the Bulk jobs of this run to be deleted at the org: a job whose reader was
/// dropped (an error, `| head`, Ctrl-C) is deleted on a background task, which would end
/// with the runtime. Bounded by [`CLEANUP_WAIT`]; a (second) Ctrl-C stops waiting.
async fn finish_job_cleanup() {
    let left = tokio::select! {
        left = sfdf_connector::wait_for_job_cleanup(CLEANUP_WAIT) => left,
        _ = tokio::signal::ctrl_c() => sfdf_connector::wait_for_job_cleanup(std::time::Duration::ZERO).await,
    };
    if left > 0 {
        eprintln!(
            "warning: {left} Bulk job(s) could not be deleted at the org before exiting; Salesforce deletes them after 7 days"
        );
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(args) => cmd::demo::run(args).await,
        Command::Emulator(args) => cmd::emulator::run(args).await,
        Command::Soql(command) => cmd::soql::run(command).await,
        Command::Connection(command) => cmd::connection::run(command).await,
        Command::Objects(args) => cmd::objects::run(args).await,
        Command::Describe(args) => cmd::describe::run(args).await,
        Command::Sql(args) => cmd::sql::run(args).await,
        Command::Recipe(command) => cmd::recipe::run(command).await,
        Command::Sync(args) => cmd::sync::run(args).await,
    }
}

/// Logs go to standard error, filtered by `SFDF_LOG` (or `RUST_LOG`), e.g.
/// `SFDF_LOG=sfdf_connector=debug`; default `warn`. Colours only on a terminal.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = ["SFDF_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|var| tracing_subscriber::EnvFilter::try_from_env(var).ok())
        // deltalake's own warnings are about its internals (metrics it derived), not the user's data.
        .unwrap_or_else(|| {
            tracing_subscriber::EnvFilter::new("warn,deltalake_core=error,buoyant_kernel=error")
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
