//! `sfdf demo`.

use std::process::ExitCode;

/// Arguments of `sfdf demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sfdf demo`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sfdf demo` is not available in this build yet")
}
