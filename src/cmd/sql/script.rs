//! Statements from standard input: an interactive shell on a terminal, a script otherwise.
//!
//! Both read the same way (a statement ends with `;` and may span lines; `\d`, `\q`); they
//! differ on errors. The shell reports an error and goes on, as psql does; a script stops
//! at the first failing statement and exits non-zero, so that `sfdf sql conn.yaml < job.sql`
//! never goes on silently after a failure.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::Runner;

const HELP: &str = "\
Statements end with `;` and may span lines. Names resolve ignoring case, as in SOQL.
  \\d            list tables
  \\d NAME       describe a table
  \\q            quit (or Ctrl-D)
  EXPLAIN ...    show the plan, including each scan's SOQL";

/// Where lines come from.
enum Lines {
    Shell {
        editor: Box<DefaultEditor>,
        history: Option<PathBuf>,
    },
    Script(std::io::StdinLock<'static>),
}

enum Line {
    Text(String),
    /// Ctrl-C while typing: drop the statement being written.
    Interrupted,
    End,
}

impl Lines {
    fn next(&mut self, continuing: bool) -> anyhow::Result<Line> {
        match self {
            Lines::Shell { editor, .. } => {
                let prompt = if continuing { "  ... " } else { "sfdf> " };
                match editor.readline(prompt) {
                    Ok(line) => Ok(Line::Text(line)),
                    Err(ReadlineError::Interrupted) => Ok(Line::Interrupted),
                    Err(ReadlineError::Eof) => Ok(Line::End),
                    Err(e) => Err(e.into()),
                }
            }
            Lines::Script(stdin) => {
                let mut line = String::new();
                if stdin.read_line(&mut line)? == 0 {
                    return Ok(Line::End);
                }
                let end = line.trim_end_matches(['\n', '\r']).len();
                line.truncate(end);
                Ok(Line::Text(line))
            }
        }
    }

    fn remember(&mut self, text: &str) {
        if let Lines::Shell { editor, .. } = self {
            let _ = editor.add_history_entry(text);
        }
    }

    fn is_shell(&self) -> bool {
        matches!(self, Lines::Shell { .. })
    }
}

/// Reads statements from standard input until `\q` or its end.
pub(super) async fn run_stdin(runner: &mut Runner<'_>) -> anyhow::Result<ExitCode> {
    let mut lines = if std::io::stdin().is_terminal() {
        let mut editor = DefaultEditor::new()?;
        let history =
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".sfdf_history"));
        if let Some(path) = &history {
            // No history yet is fine.
            let _ = editor.load_history(path);
        }
        if !runner.output.quiet {
            eprintln!("sfdf SQL shell. End statements with `;`. \\? for help, \\q to quit.");
        }
        runner.timings = true;
        Lines::Shell {
            editor: Box::new(editor),
            history,
        }
    } else {
        Lines::Script(std::io::stdin().lock())
    };
    let result = read_loop(runner, &mut lines).await;
    if let Lines::Shell {
        editor,
        history: Some(path),
    } = &mut lines
    {
        let _ = editor.save_history(path);
    }
    result.map(|()| ExitCode::SUCCESS)
}

async fn read_loop(runner: &mut Runner<'_>, lines: &mut Lines) -> anyhow::Result<()> {
    let mut buffer = String::new();
    loop {
        let line = match lines.next(!buffer.is_empty())? {
            Line::Text(line) => line,
            Line::Interrupted => {
                // Ctrl-C while typing drops the statement being written, as psql does.
                buffer.clear();
                continue;
            }
            // A last statement without `;` still runs.
            Line::End => return run(runner, lines, &buffer).await,
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            lines.remember(trimmed);
            match backslash_command(trimmed) {
                Some(sql) => run(runner, lines, &sql).await?,
                None if matches!(trimmed, "\\q" | "\\quit") => return Ok(()),
                None => eprintln!("{HELP}"),
            }
            continue;
        }
        if buffer.is_empty() && matches!(trimmed.to_ascii_lowercase().as_str(), "quit" | "exit") {
            return Ok(());
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if trimmed.ends_with(';') {
            let text = std::mem::take(&mut buffer);
            lines.remember(&text);
            run(runner, lines, &text).await?;
        }
    }
}

/// Runs one chunk of statements. In the shell an error is reported and Ctrl-C cancels
/// the statement, and the shell goes on; in a script both end the run.
async fn run(runner: &mut Runner<'_>, lines: &Lines, text: &str) -> anyhow::Result<()> {
    if text.trim().is_empty() {
        return Ok(());
    }
    if !lines.is_shell() {
        return runner.run_text(text).await;
    }
    let outcome = tokio::select! {
        outcome = runner.run_text(text) => outcome,
        _ = tokio::signal::ctrl_c() => {
            // Dropping the query sends the Bulk job's abort from a background task; give
            // it a moment to go out.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            Err(anyhow::anyhow!("query cancelled (Ctrl-C); its Bulk job was aborted"))
        }
    };
    if let Err(e) = outcome {
        if super::super::output::is_closed_pipe(&e) {
            return Err(e);
        }
        eprintln!("error: {}", super::super::error_text(&e));
    }
    Ok(())
}

fn backslash_command(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    match (words.next()?, words.next()) {
        ("\\d", None) => Some("SHOW TABLES;".into()),
        // The name is passed as an identifier: quoting keeps it a single name.
        ("\\d", Some(name)) => Some(format!("DESCRIBE {};", name.replace(['"', ';'], ""))),
        _ => None,
    }
}
