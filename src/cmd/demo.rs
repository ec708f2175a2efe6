//! `sfdf demo`: the whole product against an emulated org, in-process, in seconds.

use std::process::ExitCode;

use crate::outln;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use sfdf_connector::provider::{ContextBuilder, SoqlScanExec, sql};
use sfdf_connector::{Connection, Session};
use sfdf_emulator::{EmulatedOrg, Value};
use sfdf_recipes::{Plan, PlanSettings, Recipe};

/// The demo's connection file, built in so the demo runs from any directory.
const CONNECTION_FILE: &str = include_str!("../../examples/demo-connection.yaml");
const CONNECTION_PATH: &str = "examples/demo-connection.yaml";
/// The recipe the demo runs, built in like the connection file.
const RECIPE_FILE: &str = include_str!("../../examples/won_by_industry.recipe.yaml");
const RECIPE_PATH: &str = "examples/won_by_industry.recipe.yaml";
/// The file's domain, where `sfdf emulator` listens by default; replaced by the demo's own.
const FILE_DOMAIN: &str = "http://127.0.0.1:8643";

/// Arguments of `sfdf demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Accounts in the emulated org (2 Contacts and 1 Opportunity per Account).
    #[arg(long, default_value_t = 2000)]
    pub rows: usize,
    /// Seed of the generated data: the same seed gives the same org.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// The demo's questions: (title, SQL). Names are written as people type them: SQL
/// resolves them ignoring case, as SOQL does.
const QUERIES: &[(&str, &str)] = &[
    (
        "Top Energy accounts by revenue (filter, projection and limit in SOQL)",
        "SELECT Name, AnnualRevenue, NumberOfEmployees FROM account \
         WHERE industry = 'Energy' AND annualrevenue > 1000000 \
         ORDER BY AnnualRevenue DESC LIMIT 5",
    ),
    (
        "Accounts and revenue by industry (aggregate in DataFusion)",
        "SELECT Industry, count(*) AS accounts, sum(AnnualRevenue) AS revenue \
         FROM Account WHERE Industry IS NOT NULL \
         GROUP BY Industry ORDER BY revenue DESC NULLS LAST LIMIT 8",
    ),
    (
        "Won business by industry and quarter (join Opportunity to Account)",
        "SELECT a.Industry, \
                concat(date_part('year', o.CloseDate), '-Q', date_part('quarter', o.CloseDate)) AS quarter, \
                count(*) AS won, sum(o.Amount) AS won_amount \
         FROM opportunity o JOIN account a ON o.AccountId = a.Id \
         WHERE o.IsWon AND o.CloseDate < DATE '2026-01-01' \
           AND a.Industry IN ('Energy', 'Technology', 'Banking') \
         GROUP BY 1, 2 ORDER BY quarter DESC, won_amount DESC NULLS LAST LIMIT 10",
    ),
    (
        "Accounts with the most contacts and open pipeline (three-way join)",
        "WITH contacts AS (SELECT AccountId, count(*) AS contacts FROM Contact GROUP BY AccountId), \
              pipeline AS (SELECT AccountId, count(*) AS open_deals, sum(Amount) AS open_amount \
                           FROM Opportunity WHERE NOT IsClosed GROUP BY AccountId) \
         SELECT a.Name, c.contacts, p.open_deals, p.open_amount \
         FROM Account a JOIN contacts c ON c.AccountId = a.Id \
                        JOIN pipeline p ON p.AccountId = a.Id \
         ORDER BY p.open_amount DESC NULLS LAST LIMIT 5",
    ),
];

/// Runs `sfdf demo`.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let steps = 5 + QUERIES.len() + SYNC_STEPS;
    let mut step = 0;
    let mut next = |what: &str| -> std::io::Result<()> {
        step += 1;
        super::output::out_line(format_args!("\n[{step}/{steps}] {what}"))
    };

    next("Starting an emulated Salesforce org in this process")?;
    let org = EmulatedOrg::builder()
        .rows(args.rows)
        .seed(args.seed)
        .start()
        .await
        .context("cannot start the emulated org")?;
    outln!(
        "      listening on {} ({:.1} s)",
        org.base_url(),
        started.elapsed().as_secs_f64()
    )?;

    next(&format!("Reading {CONNECTION_PATH}"))?;
    if !CONNECTION_FILE.contains(FILE_DOMAIN) {
        anyhow::bail!(
            "{CONNECTION_PATH} no longer names the emulator's default address {FILE_DOMAIN}; \
             the demo replaces that address with its own emulated org's, so restore `domain_url: {FILE_DOMAIN}`"
        );
    }
    let text = CONNECTION_FILE.replace(FILE_DOMAIN, org.base_url());
    let connection = Connection::from_yaml_with_env(&text, CONNECTION_PATH, None, &|_| None)?;
    outln!(
        "      connection `{}` (developer name `{}`), api {} v{}",
        connection.connection_name(),
        connection.developer_name(),
        connection.api_type(),
        connection.api_version().major()
    )?;

    next("Testing the connection: token, identity, objects, a tiny query")?;
    let session = test_connection(&connection).await?;

    next("Objects visible to the connection")?;
    let names = session.object_names();
    outln!("      {} objects: {}", names.len(), names.join(", "))?;

    let ctx = ContextBuilder::new()
        .session(session.clone())
        .build()
        .await?;
    for (title, query) in QUERIES {
        next(title)?;
        run_query(&ctx, &session, query)
            .await
            .with_context(|| format!("demo query failed: {query}"))?;
    }

    next(&format!(
        "Running the recipe {RECIPE_PATH} (lookup join, fiscal quarters, aggregate)"
    ))?;
    run_recipe(&text)
        .await
        .with_context(|| format!("the demo recipe {RECIPE_PATH} failed"))?;

    sync_steps(&org, &session, &mut next)
        .await
        .context("the demo's sync failed")?;

    outln!(
        "\nDone in {:.1} s, {} API calls. Next: `sfdf emulator` in one terminal and \
         `sfdf sql {CONNECTION_PATH}` in another for a SQL shell over the same org.",
        started.elapsed().as_secs_f64(),
        session.calls_made()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the example recipe in a temporary folder beside a copy of the connection file
/// pointed at the demo's org, and shows the output's first rows.
async fn run_recipe(connection_text: &str) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sfdf-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = async {
        std::fs::write(dir.join("demo-connection.yaml"), connection_text)?;
        let path = dir.join("won_by_industry.recipe.yaml");
        std::fs::write(&path, RECIPE_FILE)?;
        let plan = Plan::new(Recipe::from_file(&path)?, PlanSettings::default()).await?;
        for output in plan.run(&mut |_| {}).await? {
            let name = output.path.strip_prefix(&dir).unwrap_or(&output.path);
            outln!(
                "      output `{}`: {} rows to {} in {:.2} s",
                output.node,
                output.rows,
                name.display(),
                output.elapsed.as_secs_f64()
            )?;
            let text = std::fs::read_to_string(&output.path)?;
            for line in text.lines().take(6) {
                outln!("      {line}")?;
            }
        }
        anyhow::Ok(())
    }
    .await;
    // The outputs were only for show.
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn test_connection(connection: &Connection) -> anyhow::Result<Session> {
    let session = Session::connect(connection).await.context("login failed")?;
    outln!("      ok  token for {}", session.instance_url())?;
    let identity = session
        .fetch_identity()
        .await
        .context("identity check failed")?;
    outln!(
        "      ok  runs as {} (org {})",
        identity
            .username
            .or(identity.user_id)
            .unwrap_or_else(|| "an unnamed user".into()),
        identity.org_id.unwrap_or_else(|| "unknown".into())
    )?;
    outln!(
        "      ok  {} queryable objects",
        session.object_names().len()
    )?;
    let query = session
        .query_for("Account")
        .await?
        .columns(["Id"])
        .limit(Some(1));
    let rows: usize = {
        use futures::TryStreamExt;
        let batches: Vec<_> = session.plan(&query).await?.stream().try_collect().await?;
        batches.iter().map(|b| b.num_rows()).sum()
    };
    outln!(
        "      ok  tiny query `{}` returned {rows} row",
        query.to_soql()?
    )?;
    Ok(session)
}

async fn run_query(ctx: &SessionContext, session: &Session, query: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let calls = session.calls_made();
    outln!("      SQL:  {}", one_line(query))?;
    let frame = sql(ctx, query).await?;
    let (state, plan) = frame.into_parts();
    let physical = state.create_physical_plan(&plan).await?;
    for scan in scans(&physical) {
        outln!(
            "      SOQL: {} ({}, {} partition(s))",
            scan.soql(),
            scan.extract_plan().api_type(),
            scan.extract_plan().partition_count()
        )?;
    }
    let batches = collect(physical, ctx.task_ctx()).await?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    for line in pretty_format_batches(&batches)?.to_string().lines() {
        outln!("      {line}")?;
    }
    outln!(
        "      {rows} row(s) in {:.2} s, {} API call(s)",
        started.elapsed().as_secs_f64(),
        session.calls_made() - calls
    )?;
    Ok(())
}

fn scans(plan: &Arc<dyn ExecutionPlan>) -> Vec<&SoqlScanExec> {
    let mut found = Vec::new();
    if let Some(scan) = plan.downcast_ref::<SoqlScanExec>() {
        found.push(scan);
    }
    for child in plan.children() {
        found.extend(scans(child));
    }
    found
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The objects the demo syncs, and its sync steps (full, changes, incremental, SQL).
const SYNCED: &[&str] = &["Account", "Opportunity"];
const SYNC_STEPS: usize = 4;

/// The sync part of the demo: a full sync, changes on the org, an incremental sync, SQL
/// over the synced table. The tables go to a fresh folder under the system's temp dir,
/// removed at the end.
async fn sync_steps(
    org: &EmulatedOrg,
    session: &Session,
    next: &mut impl FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let target = std::env::temp_dir().join(format!("sfdf-demo-sync-{}", std::process::id()));
    let result = sync_steps_in(&target, org, session, next).await;
    let _ = std::fs::remove_dir_all(&target);
    result
}

async fn sync_steps_in(
    target: &std::path::Path,
    org: &EmulatedOrg,
    session: &Session,
    next: &mut impl FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut options = sfdf_sync::SyncOptions::new(target);
    options.objects = SYNCED.iter().map(|s| s.to_string()).collect();

    next(&format!(
        "Full sync of {} into Delta tables under {}",
        SYNCED.join(" and "),
        target.display()
    ))?;
    let reports = sfdf_sync::sync(session, &options)
        .await
        .map_err(anyhow::Error::msg)?;
    print_reports(&reports)?;

    next("Changes on the org: 5 Accounts updated, 2 deleted, 1 created")?;
    let accounts: Vec<_> = org
        .records("Account")?
        .into_iter()
        .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
        .collect();
    for record in accounts.iter().take(5) {
        org.update(
            "Account",
            record.id(),
            &[("Rating", Value::Text("Hot".into()))],
        )?;
    }
    for record in accounts.iter().skip(5).take(2) {
        org.delete("Account", record.id())?;
    }
    org.create(
        "Account",
        &[
            ("Name", Value::Text("Demo Newcomer Ltd".into())),
            ("Industry", Value::Text("Energy".into())),
        ],
    )?;

    next("Incremental sync: only the changes, merged by Id")?;
    let reports = sfdf_sync::sync(session, &options)
        .await
        .map_err(anyhow::Error::msg)?;
    print_reports(&reports)?;

    next("SQL over the synced table (no call to the org)")?;
    let ctx = SessionContext::new();
    sfdf_sync::register_synced(&ctx, target, None)
        .await
        .map_err(anyhow::Error::msg)?;
    let query = "SELECT Rating, count(*) AS accounts FROM account \
                 GROUP BY Rating ORDER BY accounts DESC, Rating NULLS LAST";
    outln!("      SQL:  {query}")?;
    let batches = sql(&ctx, query).await?.collect().await?;
    for line in pretty_format_batches(&batches)?.to_string().lines() {
        outln!("      {line}")?;
    }
    Ok(())
}

fn print_reports(reports: &[sfdf_sync::ObjectReport]) -> anyhow::Result<()> {
    for report in reports {
        outln!("      {}", report.line())?;
        if let Some(error) = &report.error {
            anyhow::bail!("the demo's sync of {} failed: {error}", report.object);
        }
    }
    Ok(())
}
