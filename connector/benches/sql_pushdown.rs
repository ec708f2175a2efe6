//! A selective SQL query over the emulated org, with and without pushdown: wall time,
//! bytes the org sent and API calls.
//!
//! `cargo bench --workspace --bench sql_pushdown` from the workspace root (Accounts:
//! `SFDF_BENCH_ROWS=20000`, runs per variant: `SFDF_BENCH_RUNS=5`). The emulated org runs in
//! this process and counts the response bytes it puts on the wire (`EmulatedOrg::bytes_sent`).
//!
//! Variants:
//! - `pushdown`: fields, filters and LIMIT pushed into SOQL (what `sfdf sql` does);
//! - `projection only`: fields pushed, every filter applied by DataFusion;
//! - `nothing pushed`: every field of every row fetched, then filtered.
//!
//! The query shapes pushed beyond fields, filters and `LIMIT` (aggregates, top-N, join keys)
//! are measured by the `pushdown_shapes` bench.

mod common;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use secrecy::SecretString;
use sfdf_connector::provider::{ConnectionSchema, ContextBuilder, ObjectTable};
use sfdf_connector::{Connection, Session};
use sfdf_emulator::EmulatedOrg;

use common::{millis, run, thousands};

const QUERY: &str = "SELECT Name, AnnualRevenue FROM Account \
                     WHERE NumberOfEmployees > 150000 AND AnnualRevenue > 4000000000 \
                     ORDER BY AnnualRevenue DESC";

/// An object table with pushdown switched off, to measure what pushdown saves.
#[derive(Debug)]
struct Unpushed {
    inner: Arc<ObjectTable>,
    projection: bool,
}

#[async_trait]
impl TableProvider for Unpushed {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![
            TableProviderFilterPushDown::Unsupported;
            filters.len()
        ])
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if self.projection {
            return self.inner.scan(state, projection, &[], None).await;
        }
        // Every field, then DataFusion projects.
        let all = self.inner.scan(state, None, &[], None).await?;
        match projection {
            Some(p) => Ok(Arc::new(
                datafusion::physical_plan::projection::ProjectionExec::try_new(
                    p.iter().map(|&i| {
                        let field = self.inner.schema().field(i).clone();
                        let column: Arc<dyn datafusion::physical_expr::PhysicalExpr> = Arc::new(
                            datafusion::physical_expr::expressions::Column::new(field.name(), i),
                        );
                        (column, field.name().clone())
                    }),
                    all,
                )?,
            )),
            None => Ok(all),
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = env_number("SFDF_BENCH_ROWS", 20_000);
    let runs = env_number("SFDF_BENCH_RUNS", 5).max(1);
    let org = EmulatedOrg::builder().rows(rows).seed(42).start().await?;
    let connection = Connection::builder()
        .developer_name("bench")
        .domain_url(org.base_url())
        .client_credentials(
            org.client_id(),
            SecretString::from(org.client_secret().to_owned()),
        )
        .build()?;
    let session = Session::connect(&connection).await?;

    println!("{QUERY}");
    println!("{rows} Accounts in the emulated org; median of {runs} runs; target partitions 4\n");
    println!("| variant | rows | time (median) | bytes from the org | API calls |");
    println!("|---|---:|---:|---:|---:|");
    for (variant, mode) in [
        ("pushdown", None),
        ("projection only", Some(true)),
        ("nothing pushed", Some(false)),
    ] {
        let ctx = ContextBuilder::new()
            .target_partitions(Some(4))
            .session(session.clone())
            .build()
            .await?;
        if let Some(projection) = mode {
            // The same table under another name, with pushdown switched off.
            let schema = ConnectionSchema::new(session.clone()).await?;
            let table = schema
                .object_table("Account")
                .await?
                .ok_or("no Account table")?;
            ctx.register_table(
                "account_unpushed",
                Arc::new(Unpushed {
                    inner: table,
                    projection,
                }),
            )?;
        }
        let query = match mode {
            None => QUERY.to_owned(),
            Some(_) => QUERY.replace("FROM Account", "FROM account_unpushed"),
        };
        measure(variant, &ctx, &query, runs, &org, &session).await?;
    }

    Ok(())
}

/// Runs `query` `runs` times and prints its row: rows, median time, bytes and calls of
/// the last run.
async fn measure(
    variant: &str,
    ctx: &SessionContext,
    query: &str,
    runs: usize,
    org: &EmulatedOrg,
    session: &Session,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs);
    let (mut bytes, mut calls, mut count) = (0, 0, 0);
    for _ in 0..runs {
        let (b0, c0) = (org.bytes_sent(), session.calls_made());
        let started = Instant::now();
        let batches = run(ctx, query).await?;
        times.push(started.elapsed());
        bytes = org.bytes_sent() - b0;
        calls = session.calls_made() - c0;
        count = batches;
    }
    times.sort();
    println!(
        "| {variant} | {count} | {} | {} | {calls} |",
        millis(times[times.len() / 2]),
        thousands(bytes)
    );
    Ok(())
}
