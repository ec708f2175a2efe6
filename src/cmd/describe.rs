//! `sfdf describe`.

use std::process::ExitCode;

/// Arguments of `sfdf describe`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sfdf describe`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sfdf describe` is not available in this build yet")
}
