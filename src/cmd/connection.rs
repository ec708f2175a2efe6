//! `sfdf connection`: check connection files and test them against the org.

use std::path::PathBuf;
use std::process::ExitCode;

use sfdf_connector::{Connection, StepStatus};

/// Subcommands of `sfdf connection`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// "Save & Test": token, identity, API access, object list and a one-row query; on
    /// failure, the likely reasons in plain words.
    Test {
        /// The connection file (YAML).
        file: PathBuf,
    },
    /// Check a connection file's settings without contacting the org.
    Validate {
        /// The connection file (YAML).
        file: PathBuf,
    },
    /// Print the JSON Schema of connection files (for editors).
    Schema,
}

/// Runs a `sfdf connection` subcommand.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Schema => {
            print!("{}", sfdf_connector::config::connection_json_schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { file } => {
            let conn = Connection::from_yaml_file(&file)?;
            for w in conn.warnings() {
                eprintln!("warning: {w}");
            }
            println!(
                "{}: valid ({} `{}`, {} via {} API {}, {})",
                file.display(),
                conn.connection_name(),
                conn.developer_name(),
                conn.domain_url(),
                conn.api_type(),
                conn.api_version(),
                conn.auth_type_label()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Test { file } => {
            let conn = Connection::from_yaml_file(&file)?;
            println!(
                "Testing {} ({}) at {}",
                conn.connection_name(),
                conn.developer_name(),
                conn.domain_url()
            );
            let report = sfdf_connector::test_connection(&conn).await;
            for w in &report.warnings {
                println!("warning: {w}");
            }
            for step in &report.steps {
                let mark = match step.status {
                    StepStatus::Passed => "ok  ",
                    StepStatus::Failed => "FAIL",
                    StepStatus::Skipped => "skip",
                };
                if step.detail.is_empty() {
                    println!("  [{mark}] {}", step.name);
                } else {
                    println!("  [{mark}] {}: {}", step.name, step.detail);
                }
                if !step.likely_causes.is_empty() {
                    println!("         likely reasons:");
                    for cause in &step.likely_causes {
                        println!("         - {cause}");
                    }
                }
            }
            if report.passed() {
                println!("Connection works.");
                Ok(ExitCode::SUCCESS)
            } else {
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
