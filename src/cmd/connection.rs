//! `sfdf connection`.

use std::process::ExitCode;

/// Subcommands of `sfdf connection`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs a `sfdf connection` subcommand.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {}
}
