//! The data sync filter checked against describe before any job starts.

use crate::error::{Error, Result};
use crate::schema::ObjectSchema;
use crate::session::Session;

impl Session {
    /// Checks a filter's field names and types against describe (one relationship hop is
    /// checked against the parent's describe; deeper paths are left to the org) and that
    /// every direct field is filterable.
    pub async fn check_filter(&self, object: &ObjectSchema, filter: &soql::Expr) -> Result<()> {
        let mut paths = Vec::new();
        crate::extract::filter_paths(filter, &mut paths);
        let mut metas = vec![object.to_soql_meta()];
        let mut deep = false;
        for path in &paths {
            match path.segments.len() {
                1 => {
                    let name = path.segments[0].name();
                    match object.field(name) {
                        Some(f) if !f.filterable => {
                            return Err(Error::Filter {
                                object: object.name.clone(),
                                message: format!(
                                    "field `{}` cannot be filtered on (describe says filterable: false)",
                                    f.name
                                ),
                            });
                        }
                        _ => {}
                    }
                }
                2 => {
                    let rel = path.segments[0].name();
                    let parent = object
                        .fields
                        .iter()
                        .find(|f| {
                            f.relationship_name
                                .as_deref()
                                .is_some_and(|r| r.eq_ignore_ascii_case(rel))
                        })
                        .and_then(|f| f.reference_to.first().cloned());
                    if let Some(parent) = parent
                        && !metas.iter().any(|m| m.name.eq_ignore_ascii_case(&parent))
                    {
                        match self.describe(&parent).await {
                            Ok(p) => metas.push(p.to_soql_meta()),
                            Err(_) => deep = true,
                        }
                    }
                }
                _ => deep = true,
            }
        }
        if deep {
            return Ok(());
        }
        soql::check_where(filter, &object.name, &metas).map_err(|e| Error::Filter {
            object: object.name.clone(),
            message: e.to_string(),
        })
    }
}
