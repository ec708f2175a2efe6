//! `sfdf emulator`.

use std::process::ExitCode;

/// Arguments of `sfdf emulator`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sfdf emulator`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sfdf emulator` is not available in this build yet")
}
