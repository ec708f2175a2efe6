//! A connection as a DataFusion schema whose tables are the org's objects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result};

use super::table::ObjectTable;
use crate::session::Session;

/// One connection's objects, as a schema named by the connection's developer name.
///
/// Table names resolve ignoring case (`account`, `Account`, `ACCOUNT`), as SOQL does.
/// The object list is read once (describeGlobal, or the connection's `objects`); each
/// object is described the first time a query names it.
#[derive(Debug)]
pub struct ConnectionSchema {
    session: Session,
    /// Object names as the org spells them, sorted.
    names: Vec<String>,
    tables: Mutex<HashMap<String, Arc<ObjectTable>>>,
}

impl ConnectionSchema {
    /// Lists the objects `session` may query: those of the connection file, or else every
    /// queryable object of the org.
    pub async fn new(session: Session) -> crate::Result<Self> {
        let names = match session.connection().objects() {
            Some(selected) => {
                let mut names = Vec::with_capacity(selected.len());
                for object in selected {
                    // describe gives the org's spelling of a name written in any case.
                    names.push(session.describe(&object.name).await?.name.clone());
                }
                names
            }
            // Connecting already listed the objects (describeGlobal): no call here.
            None => session.object_names(),
        };
        Ok(Self::with_objects(session, names))
    }

    /// A schema over the given objects (no request is sent until a table is used).
    pub fn with_objects(session: Session, mut names: Vec<String>) -> Self {
        names.sort();
        names.dedup();
        Self {
            session,
            names,
            tables: Mutex::new(HashMap::new()),
        }
    }

    /// The session the tables read through.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The connection's developer name: this schema's name.
    pub fn name(&self) -> &str {
        self.session.connection().developer_name()
    }

    /// The org's spelling of an object name written in any case.
    pub fn object_name(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    /// The table of one object (described on first use).
    pub async fn object_table(&self, name: &str) -> crate::Result<Option<Arc<ObjectTable>>> {
        let Some(canonical) = self.object_name(name) else {
            return Ok(None);
        };
        let key = canonical.to_ascii_lowercase();
        if let Some(table) = self.lock().get(&key) {
            return Ok(Some(Arc::clone(table)));
        }
        let table = Arc::new(ObjectTable::new(self.session.clone(), canonical).await?);
        Ok(Some(Arc::clone(self.lock().entry(key).or_insert(table))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ObjectTable>>> {
        // The map only caches; a panic elsewhere cannot leave it inconsistent.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl SchemaProvider for ConnectionSchema {
    fn table_names(&self) -> Vec<String> {
        self.names.clone()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        let table = self.object_table(name).await?;
        Ok(table.map(|t| t as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.object_name(name).is_some()
    }
}

/// The session's default schema with one connection's objects as a fallback, so that
/// `FROM Account` works without `sales_eu.` when only one connection is registered.
///
/// Tables registered on the session (`register_table`, `CREATE TABLE`) go to, and are
/// found first in, the original default schema.
#[derive(Debug)]
pub struct DefaultSchema {
    own: Arc<dyn SchemaProvider>,
    fallback: Mutex<Option<Arc<ConnectionSchema>>>,
}

impl DefaultSchema {
    /// `own` first, then `fallback`.
    pub fn new(own: Arc<dyn SchemaProvider>, fallback: Option<Arc<ConnectionSchema>>) -> Self {
        Self {
            own,
            fallback: Mutex::new(fallback),
        }
    }

    /// The connection whose objects are reachable unqualified, if any.
    pub fn fallback(&self) -> Option<Arc<ConnectionSchema>> {
        self.fallback
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sets or clears the fallback connection.
    pub fn set_fallback(&self, fallback: Option<Arc<ConnectionSchema>>) {
        *self.fallback.lock().unwrap_or_else(PoisonError::into_inner) = fallback;
    }
}

#[async_trait]
impl SchemaProvider for DefaultSchema {
    fn owner_name(&self) -> Option<&str> {
        self.own.owner_name()
    }

    // Only the schema's own tables: the connection's are listed under its own name.
    fn table_names(&self) -> Vec<String> {
        self.own.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        if let Some(table) = self.own.table(name).await? {
            return Ok(Some(table));
        }
        match self.fallback() {
            Some(connection) => connection.table(name).await,
            None => Ok(None),
        }
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        self.own.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.own.deregister_table(name)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.own.table_exist(name) || self.fallback().is_some_and(|c| c.table_exist(name))
    }
}
