//! `sfdf soql`: check and normalize SOQL without an org.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;

/// Subcommands of `sfdf soql`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Check SOQL syntax: print the normalized query and exit 0, or print the
    /// error as an org reports it (MALFORMED_QUERY, row, column) and exit 1.
    Check(CheckArgs),
}

/// Arguments of `sfdf soql check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The query to check, e.g. "SELECT Id FROM Account WHERE Name = 'Acme'".
    #[arg(required_unless_present = "stdin", conflicts_with = "stdin")]
    query: Option<String>,
    /// Check one query per line from standard input and print one line per
    /// input line: `ok`, or `CODE at Row:R:Column:C: message`. Exits 1 if any fails.
    #[arg(long)]
    stdin: bool,
}

/// Runs a `sfdf soql` subcommand.
pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.stdin {
        let mut failed = false;
        for line in std::io::stdin().lock().lines() {
            let line = line.context("cannot read standard input")?;
            let verdict = check_line(&line);
            failed |= verdict != "ok" && !verdict.is_empty();
            writeln!(out, "{verdict}")?;
        }
        return Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let query = args.query.unwrap_or_default();
    match soql::parse(&query) {
        Ok(parsed) => {
            writeln!(out, "{parsed}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            writeln!(out, "{}", org_style(&err))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// The error code on its own line, then the org's message (query row, caret,
/// `ERROR at Row:R:Column:C`, detail).
fn org_style(err: &soql::ParseError) -> String {
    let message = err.to_string();
    format!(
        "{}\n{}",
        err.error_code(),
        message.strip_prefix('\n').unwrap_or(&message)
    )
}

/// One output line for one input line; blank input gives a blank line so the
/// output stays aligned with the input.
fn check_line(line: &str) -> String {
    if line.trim().is_empty() {
        return String::new();
    }
    match soql::parse(line) {
        Ok(_) => "ok".to_owned(),
        Err(err) => match err.position() {
            Some(p) => format!(
                "{} at Row:{}:Column:{}: {}",
                err.error_code(),
                p.row,
                p.column,
                err.detail
            ),
            None => format!("{}: {}", err.error_code(), err.detail),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_verdicts() {
        assert_eq!(check_line("select id from account"), "ok");
        assert_eq!(check_line("  "), "");
        assert_eq!(
            check_line("SELECT Id FRM Account"),
            "MALFORMED_QUERY at Row:1:Column:11: unexpected token: 'FRM'"
        );
        assert_eq!(
            check_line("SELEKT Id FROM Account"),
            "MALFORMED_QUERY: unexpected token: SELEKT"
        );
    }

    #[test]
    fn org_style_error_block() {
        let err = soql::parse("SELECT Id FRM Account").err();
        assert_eq!(
            err.map(|e| org_style(&e)).as_deref(),
            Some(
                "MALFORMED_QUERY\nSELECT Id FRM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"
            )
        );
    }
}
