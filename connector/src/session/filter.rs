//! The data sync filter checked against describe before any job starts.
//!
//! Every field path is followed through any number of relationship hops
//! (`Account.Owner.Name` on Contact: Contact → Account → User). A polymorphic lookup
//! (`Case.Owner` → Group or User) leads on to the first target that has the next segment,
//! as the org resolves it. Each object is described once per session (the session caches
//! describes), and the last field's type is checked against the literal with `soql`'s
//! checker over exactly the objects the path went through.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::Session;
use crate::error::{Error, Result};
use crate::schema::ObjectSchema;

/// A path followed to its last field.
#[derive(Clone)]
struct Resolved {
    /// The objects passed through, the root first, with the lookup narrowed to the target
    /// taken (so the checker follows the same hop).
    metas: Vec<soql::ObjectMeta>,
    /// The object the last field is on.
    object: Arc<ObjectSchema>,
    /// The last field's name as describe spells it; `None` for a polymorphic `Type`.
    field: Option<String>,
}

impl Session {
    /// Checks a filter against describe: every field path through any number of
    /// relationship hops (polymorphic lookups too), that the field filtered on is
    /// filterable, and that each value fits its field's type. Errors name the object,
    /// the path and what to change in `objects.<Object>.filter`; nothing is sent but
    /// describe calls (each object once per session).
    pub async fn check_filter(&self, object: &ObjectSchema, filter: &soql::Expr) -> Result<()> {
        let place = Place {
            owner: object.name.clone(),
            within: String::new(),
            unseen: Default::default(),
        };
        self.check_filter_at(object, filter, &place).await
    }

    async fn check_filter_at(
        &self,
        object: &ObjectSchema,
        filter: &soql::Expr,
        place: &Place,
    ) -> Result<()> {
        let root = Arc::new(object.clone());
        let mut conditions = Vec::new();
        conditions_of(filter, &mut conditions);
        // Each distinct path is followed once, in the order the filter names them.
        let mut resolved: HashMap<String, Resolved> = HashMap::new();
        for path in conditions.iter().filter_map(|c| path_of(c)) {
            let key = path.to_string().to_ascii_lowercase();
            if let std::collections::hash_map::Entry::Vacant(slot) = resolved.entry(key) {
                slot.insert(self.resolve(&root, path, place).await?);
            }
        }
        for condition in conditions {
            self.check_condition(&root, condition, &resolved, place)
                .await?;
        }
        Ok(())
    }

    /// One comparison, `IN` or `INCLUDES` whose path resolved: filterability, then the
    /// value's type.
    async fn check_condition(
        &self,
        root: &Arc<ObjectSchema>,
        condition: &soql::Expr,
        resolved: &HashMap<String, Resolved>,
        place: &Place,
    ) -> Result<()> {
        let Some(path) = path_of(condition) else {
            return Ok(());
        };
        let Some(resolved) = resolved.get(&path.to_string().to_ascii_lowercase()) else {
            return Ok(());
        };
        let Some(field_name) = &resolved.field else {
            return Ok(());
        };
        if let Some(field) = resolved.object.field(field_name)
            && !field.filterable
        {
            return Err(filter_error(
                place,
                path,
                format!(
                    "`{}.{}` cannot be filtered on (describe says filterable: false); filter on another field",
                    resolved.object.name, field.name
                ),
            ));
        }
        let mut metas = resolved.metas.clone();
        if let soql::Expr::In(c) = condition
            && let soql::InValues::Subquery(sub) = &c.values
        {
            let inner = self
                .describe(sub.from.object.name())
                .await
                .map_err(|e| filter_error(place, path, format!("the subquery's object: {e}")))?;
            if let Some(w) = &sub.where_clause {
                let inside = Place {
                    owner: place.owner.clone(),
                    within: format!(" (in the subquery on {})", inner.name),
                    unseen: Arc::clone(&place.unseen),
                };
                Box::pin(self.check_filter_at(&inner, w, &inside)).await?;
            }
            metas.push(inner.to_soql_meta());
        }
        soql::check_where(condition, &root.name, &metas).map_err(|e| {
            filter_error(
                place,
                path,
                format!(
                    "{e}; change the value (or the field) in objects.{}.filter",
                    place.owner
                ),
            )
        })
    }

    /// Follows `path` from `root` hop by hop, describing each object reached.
    async fn resolve(
        &self,
        root: &Arc<ObjectSchema>,
        path: &soql::FieldPath,
        place: &Place,
    ) -> Result<Resolved> {
        let mut segments: Vec<&str> = path.segments.iter().map(|s| s.name()).collect();
        // `Contact.Account.Name` on Contact: the object's own name may lead the path.
        if segments.len() > 1
            && segments[0].eq_ignore_ascii_case(&root.name)
            && relationship(root, segments[0]).is_none()
        {
            segments.remove(0);
        }
        let Some((last, hops)) = segments.split_last() else {
            return Err(filter_error(place, path, "empty field path".into()));
        };
        let mut object = Arc::clone(root);
        let mut trail = vec![root.name.clone()];
        let mut metas = Vec::new();
        for (i, hop) in hops.iter().enumerate() {
            let Some(lookup) = relationship(&object, hop) else {
                return Err(filter_error(
                    place,
                    path,
                    no_relationship(&object, hop, &trail),
                ));
            };
            let next = segments[i + 1];
            let next_is_hop = i + 1 < hops.len();
            let (target, tried) = self
                .follow(&lookup.reference_to, next, next_is_hop, place)
                .await?;
            let mut meta = object.to_soql_meta();
            let Some(target) = target else {
                if !next_is_hop
                    && next.eq_ignore_ascii_case("Type")
                    && lookup.reference_to.len() > 1
                {
                    // A polymorphic lookup's `Type` names the record's object (`What.Type = 'Account'`).
                    metas.push(meta);
                    return Ok(Resolved {
                        metas,
                        object,
                        field: None,
                    });
                }
                let via = format!(
                    "{}.{}",
                    object.name,
                    lookup.relationship_name.as_deref().unwrap_or(hop)
                );
                return Err(filter_error(
                    place,
                    path,
                    dead_end(&via, next, next_is_hop, &tried, &trail),
                ));
            };
            narrow(&mut meta, hop, &target.name);
            metas.push(meta);
            trail.push(target.name.clone());
            object = target;
        }
        let Some(field) = field_named(&object, last) else {
            return Err(filter_error(place, path, no_field(&object, last, &trail)));
        };
        metas.push(object.to_soql_meta());
        Ok(Resolved {
            metas,
            object,
            field: Some(field),
        })
    }

    /// The first of a lookup's targets that has `next` (a relationship when `next_is_hop`,
    /// else a field), else the only visible target; and what each target tried said.
    async fn follow(
        &self,
        targets: &[String],
        next: &str,
        next_is_hop: bool,
        place: &Place,
    ) -> Result<(Option<Arc<ObjectSchema>>, Vec<String>)> {
        let mut tried = Vec::new();
        let mut visible = Vec::new();
        for name in targets {
            let hidden = format!("{name} (not visible to the connecting user)");
            let key = name.to_ascii_lowercase();
            if place.is_unseen(&key) {
                tried.push(hidden);
                continue;
            }
            let target = match self.describe(name).await {
                Ok(t) => t,
                // A target the user cannot see (e.g. `Group` behind `Owner`) is skipped, and
                // not asked about again (the session caches only what exists).
                Err(Error::Object { .. }) => {
                    place.mark_unseen(key);
                    tried.push(hidden);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let found = if next_is_hop {
                relationship(&target, next).is_some()
            } else {
                field_named(&target, next).is_some()
            };
            if found {
                return Ok((Some(target), tried));
            }
            let what = if next_is_hop { "relationship" } else { "field" };
            tried.push(format!("{} (no {what} `{next}`)", target.name));
            visible.push(target);
        }
        // A plain lookup: the error is about its one object (told at the next step).
        if targets.len() == 1 && visible.len() == 1 {
            return Ok((visible.pop(), tried));
        }
        Ok((None, tried))
    }
}

/// The comparisons, `IN`s and `INCLUDES` of a condition.
fn conditions_of<'a>(expr: &'a soql::Expr, out: &mut Vec<&'a soql::Expr>) {
    match expr {
        soql::Expr::And(parts) | soql::Expr::Or(parts) => {
            parts.iter().for_each(|p| conditions_of(p, out))
        }
        soql::Expr::Not(inner) => conditions_of(inner, out),
        other => out.push(other),
    }
}

/// The field path a comparison, `IN` or `INCLUDES` reads (`None` when its left side is
/// not a field, and for `AND`/`OR`/`NOT`).
fn path_of(condition: &soql::Expr) -> Option<&soql::FieldPath> {
    match condition {
        soql::Expr::Compare(c) => c.lhs.path(),
        soql::Expr::In(c) => c.lhs.path(),
        soql::Expr::Includes(c) => c.lhs.path(),
        soql::Expr::And(_) | soql::Expr::Or(_) | soql::Expr::Not(_) => None,
    }
}

/// The lookup whose relationship name is `name`.
fn relationship<'a>(object: &'a ObjectSchema, name: &str) -> Option<&'a crate::schema::FieldInfo> {
    object.fields.iter().find(|f| {
        f.relationship_name
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(name))
    })
}

/// A field's name as describe spells it: columns, and fields that are not columns
/// (compounds, base64) which a filter may still name.
fn field_named(object: &ObjectSchema, name: &str) -> Option<String> {
    object.field(name).map(|f| f.name.clone()).or_else(|| {
        object
            .skipped
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| s.name.clone())
    })
}

/// Points the lookup `relationship` of `meta` at `target` only, so the checker takes the
/// hop the path took (it otherwise follows a polymorphic lookup's first target).
fn narrow(meta: &mut soql::ObjectMeta, relationship: &str, target: &str) {
    if let Some(f) = meta.fields.iter_mut().find(|f| {
        f.relationship_name
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(relationship))
    }) {
        f.reference_to = vec![target.to_string()];
    }
}

/// Whose filter is checked, for messages: the configured object, and where inside it.
struct Place {
    /// The object whose `objects.<Object>.filter` holds the condition.
    owner: String,
    /// Empty, or ` (in the subquery on Case)` inside a semi-join.
    within: String,
    /// Objects describe said the user cannot see (lower case), asked about once.
    unseen: Arc<Mutex<HashSet<String>>>,
}

impl Place {
    fn is_unseen(&self, key: &str) -> bool {
        self.unseen.lock().is_ok_and(|u| u.contains(key))
    }
    fn mark_unseen(&self, key: String) {
        if let Ok(mut u) = self.unseen.lock() {
            u.insert(key);
        }
    }
}

fn filter_error(place: &Place, path: &soql::FieldPath, message: String) -> Error {
    Error::Filter {
        object: place.owner.clone(),
        message: format!(
            "`{path}`{} in objects.{}.filter: {message}",
            place.within, place.owner
        ),
        cause: None,
    }
}

fn no_relationship(object: &ObjectSchema, hop: &str, trail: &[String]) -> String {
    let mut names: Vec<&str> = object
        .fields
        .iter()
        .filter_map(|f| f.relationship_name.as_deref())
        .collect();
    names.sort_unstable();
    let hint = match field_named(object, hop) {
        Some(f) => format!(" (`{f}` is a field, not a relationship: it has no fields to follow)"),
        None => String::new(),
    };
    format!(
        "{} has no relationship `{hop}`{hint} (path {}); relationships of {}: {}. Fix the path in the filter",
        object.name,
        trail.join(" → "),
        object.name,
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )
}

fn no_field(object: &ObjectSchema, name: &str, trail: &[String]) -> String {
    let hint = match relationship(object, name) {
        Some(lookup) => format!(
            " (`{name}` is a relationship: name one of its fields, e.g. `{name}.Name`, or filter on `{}`)",
            lookup.name
        ),
        None => format!(
            "; `sfdf describe FILE {}` lists its fields (custom fields end in `__c`)",
            object.name
        ),
    };
    format!(
        "{} has no field `{name}` visible to the connecting user (path {}){hint}",
        object.name,
        trail.join(" → ")
    )
}

fn dead_end(
    via: &str,
    next: &str,
    next_is_hop: bool,
    tried: &[String],
    trail: &[String],
) -> String {
    let what = if next_is_hop { "relationship" } else { "field" };
    let tried = if tried.is_empty() {
        "it names no object".to_string()
    } else {
        format!("tried {}", tried.join(", "))
    };
    format!(
        "none of the objects `{via}` can point to has the {what} `{next}` ({tried}; path {}). Fix the path in the filter",
        trail.join(" → ")
    )
}
