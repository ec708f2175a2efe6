//! The connection file argument every command that talks to an org shares.

use std::path::PathBuf;

use anyhow::Context as _;
use sfdf_connector::Connection;

/// The environment variable naming the connection file when the command line does not.
pub(crate) const ENV: &str = "SFDF_CONNECTION";

/// `FILE`: the connection file (YAML), or `$SFDF_CONNECTION`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ConnectionArg {
    /// The connection file (YAML); default: the file named by $SFDF_CONNECTION.
    #[arg(value_name = "FILE", env = ENV)]
    pub file: Option<PathBuf>,
}

impl ConnectionArg {
    /// The file, or an error that says how to give one.
    pub(crate) fn path(&self) -> anyhow::Result<PathBuf> {
        self.file
            .clone()
            .context("no connection file: give it as FILE, or set SFDF_CONNECTION to its path")
    }

    /// Reads and validates the file; its warnings go to standard error.
    pub(crate) fn load(&self) -> anyhow::Result<(PathBuf, Connection)> {
        let path = self.path()?;
        let connection = Connection::from_yaml_file(&path)?;
        for warning in connection.warnings() {
            eprintln!("warning: {warning}");
        }
        Ok((path, connection))
    }
}
