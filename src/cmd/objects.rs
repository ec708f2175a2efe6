//! `sfdf objects`.

use std::process::ExitCode;

/// Arguments of `sfdf objects`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sfdf objects`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sfdf objects` is not available in this build yet")
}
