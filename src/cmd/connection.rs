//! `sfdf connection`: check connection files and test them against the org.

use std::process::ExitCode;

use sfdf_connector::StepStatus;

use super::connection_arg::ConnectionArg;
use super::output::{Format, OutputArgs, out_line, text_batch};

/// Subcommands of `sfdf connection`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// "Save & Test": token, identity, API access, object list and a one-row query; on
    /// failure, the likely reasons in plain words.
    Test {
        #[command(flatten)]
        connection: ConnectionArg,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check a connection file's settings without contacting the org.
    Validate {
        #[command(flatten)]
        connection: ConnectionArg,
    },
    /// Print the JSON Schema of connection files (for editors).
    Schema,
}

/// Runs a `sfdf connection` subcommand.
pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Schema => {
            out_line(sfdf_connector::config::connection_json_schema().trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { connection } => {
            let (file, conn) = connection.load()?;
            out_line(format_args!(
                "{}: valid ({} `{}`, {} via {} API {}, {})",
                file.display(),
                conn.connection_name(),
                conn.developer_name(),
                conn.domain_url(),
                conn.api_type(),
                conn.api_version(),
                conn.auth_type_label()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Test { connection, output } => {
            output.check()?;
            let (_, conn) = connection.load()?;
            if !output.quiet {
                eprintln!(
                    "Testing {} ({}) at {}",
                    conn.connection_name(),
                    conn.developer_name(),
                    conn.domain_url()
                );
            }
            let report = sfdf_connector::test_connection(&conn).await;
            let rows: Vec<Vec<Option<String>>> = report
                .steps
                .iter()
                .map(|step| {
                    let status = match step.status {
                        StepStatus::Passed => "ok",
                        StepStatus::Failed => "FAIL",
                        StepStatus::Skipped => "skip",
                    };
                    vec![
                        Some(step.name.to_owned()),
                        Some(status.to_owned()),
                        Some(step.detail.clone()),
                        Some(step.likely_causes.join("; ")),
                    ]
                })
                .collect();
            // A table for people keeps the reasons out of the cells: they are sentences.
            let for_people = output.format() == Format::Table;
            let columns: &[&str] = if for_people {
                &["step", "status", "detail"]
            } else {
                &["step", "status", "detail", "likely_reasons"]
            };
            output.write_batch(text_batch(columns, &rows)?).await?;
            if let Some(failed) = report.failure().filter(|_| for_people) {
                eprintln!("likely reasons ({} failed):", failed.name);
                for cause in &failed.likely_causes {
                    eprintln!("  - {cause}");
                }
            }
            if report.passed() {
                if !output.quiet {
                    eprintln!("Connection works.");
                }
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("Connection test failed.");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
