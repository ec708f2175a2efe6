//! What the SQL benches share: running a query and printing its figures.

use std::time::Duration;

use datafusion::common::Result;
use datafusion::prelude::SessionContext;
use sfdf_connector::provider::sql;

/// Runs `query` to the end; returns its row count.
pub(crate) async fn run(ctx: &SessionContext, query: &str) -> Result<usize> {
    let batches = sql(ctx, query).await?.collect().await?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

/// `d` in milliseconds, one decimal.
pub(crate) fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
