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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SFDF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
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
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Emulator(args) => cmd::emulator::run(args).await,
            Command::Soql(command) => cmd::soql::run(command).await,
            Command::Connection(command) => cmd::connection::run(command).await,
            Command::Objects(args) => cmd::objects::run(args).await,
            Command::Describe(args) => cmd::describe::run(args).await,
            Command::Sql(args) => cmd::sql::run(args).await,
            Command::Recipe(command) => cmd::recipe::run(command).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
