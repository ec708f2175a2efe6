//! `sfdf sql`.

use std::process::ExitCode;

/// Arguments of `sfdf sql`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sfdf sql`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sfdf sql` is not available in this build yet")
}
