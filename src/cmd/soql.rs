//! `sfdf soql`.

use std::process::ExitCode;

/// Subcommands of `sfdf soql`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs a `sfdf soql` subcommand.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {}
}
