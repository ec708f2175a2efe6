//! `sfdf sql [FILE] [QUERY]`: SQL over a connection's objects, from the command line, a
//! script, or an interactive shell.

mod script;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::ast;
use sfdf_connector::provider;

use super::connection_arg::{self, ConnectionArg};
use super::output::OutputArgs;

/// Arguments of `sfdf sql`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub connection: ConnectionArg,
    /// SQL to run; several statements may be separated by `;`. Without it (and without
    /// -c / -f), statements are read from standard input: an interactive shell on a
    /// terminal, a script otherwise.
    pub query: Option<String>,
    /// SQL to run (repeatable; after QUERY, in order).
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub commands: Vec<String>,
    /// A file of SQL statements to run (repeatable; after the commands, in order).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// How many partitions scans and joins use (default: the number of CPUs).
    #[arg(long)]
    pub partitions: Option<usize>,
    /// Read through queryAll: deleted rows still in the recycle bin come too, with
    /// `IsDeleted = true` (same as `SET sfdf.include_deleted = true`).
    #[arg(long)]
    pub include_deleted: bool,
    /// Query the tables `sfdf sync` wrote under DIR instead of the live org, under the same
    /// names (no call to the org). With FILE, only that connection's tables; without,
    /// every connection's.
    #[arg(long, value_name = "DIR", conflicts_with = "include_deleted")]
    pub synced: Option<PathBuf>,
}

/// Runs `sfdf sql`.
pub(crate) async fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    args.resolve_env_connection();
    args.output.check()?;
    // Everything given on the command line is read and parsed before connecting: a typo
    // costs no token, and several result sets cannot all go to one --output file.
    let mut texts: Vec<String> = args.query.iter().chain(&args.commands).cloned().collect();
    for file in &args.files {
        texts.push(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read SQL file {}", file.display()))?,
        );
    }
    let mut results = 0;
    for text in &texts {
        let statements = DFParser::parse_sql(text).map_err(plain)?;
        results += statements.iter().filter(|s| returns_rows(s)).count();
    }
    refuse_several_results(&args.output, results)?;

    let ctx = match &args.synced {
        Some(dir) => synced_context(&args, dir).await?,
        None => {
            let (path, connection) = args.connection.load()?;
            provider::ContextBuilder::new()
                .target_partitions(args.partitions)
                .include_deleted(args.include_deleted)
                .connection(connection)
                .build()
                .await
                .with_context(|| format!("cannot open the connection in {}", path.display()))?
        }
    };
    let mut runner = Runner {
        ctx: &ctx,
        output: &args.output,
        timings: false,
        results: 0,
    };
    if !texts.is_empty() {
        for text in &texts {
            runner.run_text(text).await?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    script::run_stdin(&mut runner).await
}

/// A session over the synced tables under `dir` (only the connection file's, when one is
/// given): no login, no call to the org.
async fn synced_context(args: &Args, dir: &std::path::Path) -> anyhow::Result<SessionContext> {
    let developer_name = match &args.connection.file {
        Some(_) => Some(args.connection.load()?.1.developer_name().to_string()),
        None => None,
    };
    let ctx = provider::ContextBuilder::new()
        .target_partitions(args.partitions)
        .build()
        .await?;
    sfdf_sync::register_synced(&ctx, dir, developer_name.as_deref())
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(ctx)
}

fn refuse_several_results(output: &OutputArgs, results: usize) -> anyhow::Result<()> {
    if let Some(path) = &output.output
        && results > 1
    {
        anyhow::bail!(
            "{results} statements return rows, but --output {} holds one result: run them one at a time, each with its own --output (statements such as SET or CREATE VIEW may come along)",
            path.display()
        );
    }
    Ok(())
}

/// Whether a statement answers with rows (a query, `EXPLAIN`, `SHOW`, `DESCRIBE`) rather
/// than only changing the session (`SET`, `CREATE VIEW`, ..).
fn returns_rows(statement: &Statement) -> bool {
    match statement {
        Statement::Explain(_) => true,
        Statement::Statement(s) => matches!(
            s.as_ref(),
            ast::Statement::Query(_)
                | ast::Statement::Explain { .. }
                | ast::Statement::ExplainTable { .. }
                | ast::Statement::ShowTables { .. }
                | ast::Statement::ShowColumns { .. }
                | ast::Statement::ShowVariable { .. }
                | ast::Statement::ShowFunctions { .. }
        ),
        _ => false,
    }
}

/// Runs statements against one session, writing each result.
pub(crate) struct Runner<'a> {
    /// The session.
    pub ctx: &'a SessionContext,
    /// Where results go.
    pub output: &'a OutputArgs,
    /// Say each statement's rows and time on standard error (the interactive shell).
    pub timings: bool,
    /// Statements that returned rows so far (an --output file takes one).
    results: usize,
}

impl Runner<'_> {
    /// Parses `text` (one or more statements) and runs each; stops at the first error.
    pub(crate) async fn run_text(&mut self, text: &str) -> anyhow::Result<()> {
        let statements = provider::parse(self.ctx, text).map_err(plain)?;
        for statement in statements {
            if returns_rows(&statement) {
                self.results += 1;
                refuse_several_results(self.output, self.results)?;
            }
            self.run_statement(statement).await?;
        }
        Ok(())
    }

    async fn run_statement(&self, statement: Statement) -> anyhow::Result<()> {
        let started = Instant::now();
        let frame = provider::statement_to_dataframe(self.ctx, statement)
            .await
            .map_err(plain)?;
        let stream = frame.execute_stream().await.map_err(plain)?;
        let rows = self.output.write(stream).await?;
        if self.timings && !self.output.quiet {
            eprintln!("{rows} row(s) in {:.3} s", started.elapsed().as_secs_f64());
        }
        Ok(())
    }
}

/// DataFusion errors repeat their message in their source chain; keep the root's text, and
/// for an org error the connector's own message.
pub(crate) fn plain(error: DataFusionError) -> anyhow::Error {
    match error.find_root() {
        DataFusionError::External(inner) => anyhow::anyhow!("{inner}"),
        root => anyhow::anyhow!("{}", root.strip_backtrace()),
    }
}

impl Args {
    /// With `SFDF_CONNECTION` set, `sfdf sql "SELECT .."` means the query, not a file of
    /// that name: clap gives the one positional to FILE, so it moves to QUERY when it names
    /// no file.
    pub(crate) fn resolve_env_connection(&mut self) {
        // `sfdf sql --synced DIR "SELECT .."` needs no connection file: a lone word that is
        // no file is the query.
        if self.synced.is_some()
            && self.query.is_none()
            && self.connection.file.as_ref().is_some_and(|f| !f.exists())
        {
            self.query = self
                .connection
                .file
                .take()
                .map(|f| f.to_string_lossy().into_owned());
            return;
        }
        let Some(from_env) = std::env::var_os(connection_arg::ENV) else {
            return;
        };
        let Some(given) = &self.connection.file else {
            return;
        };
        if self.query.is_none() && given.as_os_str() != from_env && !given.exists() {
            self.query = Some(given.to_string_lossy().into_owned());
            self.connection.file = Some(PathBuf::from(from_env));
        }
    }

    /// Whether this run is the interactive shell (no SQL given, standard input a terminal).
    pub(crate) fn is_interactive(&self) -> bool {
        use std::io::IsTerminal;
        self.query.is_none()
            && self.commands.is_empty()
            && self.files.is_empty()
            && std::io::stdin().is_terminal()
    }
}
