//! `CREATE EXTERNAL TABLE … STORED AS SALESFORCE LOCATION 'connection.yaml'` in any
//! DataFusion session: one object of the org the connection file names, as a table.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session as DfSession, TableProvider, TableProviderFactory};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::CreateExternalTable;
use tokio::sync::Mutex;

use super::ObjectTable;
use crate::config::Connection;
use crate::session::Session;

/// The `STORED AS` name the factory is registered under.
pub const STORED_AS: &str = "SALESFORCE";

/// Makes Salesforce objects tables of any DataFusion session through SQL:
///
/// ```sql
/// CREATE EXTERNAL TABLE accounts STORED AS SALESFORCE LOCATION 'connection.yaml'
///   OPTIONS ('object' 'Account');
/// ```
///
/// `LOCATION` is a connection file ([`Connection::from_yaml_file`]); the object is the
/// `object` option, or else the table's name. The table is the object as the connection
/// configures it (its fields and data sync filter), with the same pushdown as a table of a
/// registered connection ([`ObjectTable`]). Each connection file is authenticated once per
/// factory; its session is shared by every table created from it. Register it with
/// [`register_table_factory`] (the [`ContextBuilder`](super::ContextBuilder) does).
#[derive(Debug, Default)]
pub struct SalesforceTableFactory {
    sessions: Mutex<HashMap<PathBuf, Session>>,
}

impl SalesforceTableFactory {
    /// A factory with no session opened yet.
    pub fn new() -> Self {
        Self::default()
    }

    async fn session(&self, location: &str) -> crate::Result<Session> {
        let path = PathBuf::from(location);
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let mut sessions = self.sessions.lock().await;
        if let Some(session) = sessions.get(&key) {
            return Ok(session.clone());
        }
        let connection = Connection::from_yaml_file(&path)?;
        let session = Session::authenticate(&connection).await?;
        sessions.insert(key, session.clone());
        Ok(session)
    }
}

#[async_trait]
impl TableProviderFactory for SalesforceTableFactory {
    async fn create(
        &self,
        _state: &dyn DfSession,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let table = cmd.name.table();
        if !cmd.schema.fields().is_empty() {
            return Err(DataFusionError::Plan(format!(
                "CREATE EXTERNAL TABLE {table} STORED AS {STORED_AS}: the columns come from the org's describe; leave out the column list (choose fields with `fields` in the connection file)"
            )));
        }
        // DataFusion's planner files options without a dot under `format.`.
        let option = |key: &str| key.strip_prefix("format.").unwrap_or(key).to_string();
        if let Some(key) = cmd
            .options
            .keys()
            .map(|k| option(k))
            .find(|k| k != "object")
        {
            return Err(DataFusionError::Plan(format!(
                "CREATE EXTERNAL TABLE {table} STORED AS {STORED_AS}: unknown option `{key}`; the only option is 'object' (the object's API name)"
            )));
        }
        let [location] = cmd.locations.as_slice() else {
            return Err(DataFusionError::Plan(format!(
                "CREATE EXTERNAL TABLE {table} STORED AS {STORED_AS}: LOCATION must name one connection file (it names {})",
                cmd.locations.len()
            )));
        };
        let object = cmd
            .options
            .iter()
            .find(|(k, _)| option(k) == "object")
            .map_or(table, |(_, v)| v.as_str());
        let session = self.session(location).await?;
        Ok(Arc::new(ObjectTable::new(session, object).await?))
    }
}

/// Registers a [`SalesforceTableFactory`] on `ctx` under [`STORED_AS`], so
/// `CREATE EXTERNAL TABLE … STORED AS SALESFORCE` works in it.
pub fn register_table_factory(ctx: &SessionContext) {
    ctx.state_ref()
        .write()
        .table_factories_mut()
        .insert(STORED_AS.into(), Arc::new(SalesforceTableFactory::new()));
}
