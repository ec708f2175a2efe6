//! Synced tables served to SQL under the names of the live ones.

use std::path::Path;
use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::prelude::SessionContext;

use crate::delta::DeltaDir;

/// Registers the synced tables under `target` on `ctx`: per connection folder a schema
/// named by the developer name (`emu.Account`), and with one connection its tables also
/// unqualified (`Account`), as the live tables are. `only` limits it to one connection's
/// folder. Returns the qualified names registered.
pub async fn register_synced(
    ctx: &SessionContext,
    target: &Path,
    only: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut connections = Vec::new();
    let entries = std::fs::read_dir(target)
        .map_err(|e| format!("cannot read the synced folder {}: {e}", target.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.path().is_dir() && only.is_none_or(|o| o == name) {
            connections.push(name);
        }
    }
    connections.sort();
    if connections.is_empty() {
        return Err(match only {
            Some(o) => format!(
                "no synced tables of connection `{o}` in {}: run `sfdf sync` first",
                target.display()
            ),
            None => format!(
                "no synced tables in {}: run `sfdf sync` first",
                target.display()
            ),
        });
    }
    let state = ctx.state();
    let options = state.config().options();
    let catalog_name = options.catalog.default_catalog.clone();
    let default_schema = options.catalog.default_schema.clone();
    let catalog = ctx
        .catalog(&catalog_name)
        .ok_or_else(|| format!("the default catalog `{catalog_name}` does not exist"))?;
    let unqualified = connections.len() == 1;
    let mut registered = Vec::new();
    for connection in &connections {
        let schema = Arc::new(MemorySchemaProvider::new());
        let folder = target.join(connection);
        let mut objects: Vec<_> = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
            .flatten()
            .filter(|e| e.path().join("_delta_log").is_dir())
            .collect();
        objects.sort_by_key(|e| e.file_name());
        for entry in objects {
            let object = entry.file_name().to_string_lossy().to_string();
            let dir = DeltaDir::open(&entry.path())
                .await
                .map_err(|e| e.to_string())?;
            if !dir.exists() {
                continue;
            }
            let provider = dir.provider(ctx).await.map_err(|e| e.to_string())?;
            schema
                .register_table(object.clone(), Arc::clone(&provider))
                .map_err(|e| e.to_string())?;
            if unqualified && let Some(public) = catalog.schema(&default_schema) {
                public
                    .register_table(object.clone(), provider)
                    .map_err(|e| e.to_string())?;
            }
            registered.push(format!("{connection}.{object}"));
        }
        catalog
            .register_schema(connection, schema)
            .map_err(|e| e.to_string())?;
    }
    Ok(registered)
}
