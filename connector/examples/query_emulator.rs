//! SQL over an emulated Salesforce org, the way an embedding program does it.
//!
//! ```text
//! cargo run -p sfdf-connector --example query_emulator
//! ```

use datafusion::common::Result;
use datafusion::error::DataFusionError;
use secrecy::SecretString;
use sfdf_connector::Connection;
use sfdf_connector::provider::{ContextBuilder, sql};
use sfdf_emulator::EmulatedOrg;

fn external(e: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

#[tokio::main]
async fn main() -> Result<()> {
    // A local org with generated Accounts, Contacts and Opportunities.
    let org = EmulatedOrg::builder()
        .rows(500)
        .seed(7)
        .start()
        .await
        .map_err(external)?;

    let connection = Connection::builder()
        .developer_name("demo")
        .domain_url(org.base_url())
        .client_credentials(
            org.client_id(),
            SecretString::from(org.client_secret().to_owned()),
        )
        .build()
        .map_err(external)?;

    // One call registers the connection: its objects become tables of schema `demo`, and,
    // as the only connection, are reachable unqualified too.
    let ctx = ContextBuilder::new().connection(connection).build().await?;

    // Names resolve ignoring case, as in SOQL; results keep the org's spelling.
    let query = "SELECT name, annualrevenue FROM account WHERE industry = 'Energy' \
                 ORDER BY AnnualRevenue DESC LIMIT 5";
    sql(&ctx, query).await?.show().await?;

    // EXPLAIN shows the SOQL each scan sends, its API and its API calls.
    sql(&ctx, &format!("EXPLAIN {query}")).await?.show().await?;

    // Joins and aggregates run in DataFusion over pushed-down scans.
    sql(
        &ctx,
        "SELECT a.Industry, count(*) AS opportunities, sum(o.Amount) AS amount
           FROM demo.Opportunity o JOIN demo.Account a ON o.AccountId = a.Id
          WHERE o.IsWon
          GROUP BY a.Industry ORDER BY amount DESC",
    )
    .await?
    .show()
    .await?;
    Ok(())
}
