//! Checking a query against object metadata, with the org's errors.
//!
//! Reports the first problem in the order an org finds them: the `FROM`
//! object, then the select list, then `WHERE` and the later clauses.

mod grouping;
mod metadata;
mod semijoin;

pub use metadata::{ChildRelationship, FieldMeta, FieldType, Metadata, ObjectMeta};

use crate::ast::{
    CompareOp, Expr, FieldExpr, FieldPath, Function, FunctionArg, FunctionKind, InValues, Query,
    SelectItem,
};
use crate::error::{ErrorCode, QueryError};
use crate::literal::Literal;
use crate::span::Span;

const CUSTOM_FIELD_HINT: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
const CUSTOM_OBJECT_HINT: &str = "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.";
const CUSTOM_RELATIONSHIP_HINT: &str = "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";

/// Parses and checks `text`; errors carry row, column and the org's message.
pub fn check_text(text: &str, metadata: &dyn Metadata) -> Result<Query, QueryError> {
    let query = crate::parse(text)?;
    check(&query, metadata).map_err(|e| e.locate(text))?;
    Ok(query)
}

/// Checks a parsed query. Errors carry spans; call [`QueryError::locate`]
/// with the query text to get row, column and the org's full message.
pub fn check(query: &Query, metadata: &dyn Metadata) -> Result<(), QueryError> {
    let object = metadata
        .object(query.from.object.name())
        .ok_or_else(|| unknown_object(query.from.object.name(), query.from.object.span))?;
    Checker { metadata }.query(query, object)
}

/// Checks a `WHERE` condition (a sync filter) on `object`.
pub fn check_where(expr: &Expr, object: &str, metadata: &dyn Metadata) -> Result<(), QueryError> {
    let meta = metadata
        .object(object)
        .ok_or_else(|| unknown_object(object, Span::NONE))?;
    let scope = Scope { object: meta };
    semijoin::check_semi_joins(expr)?;
    Checker { metadata }.condition(expr, &scope)
}

fn unknown_object(name: &str, span: Span) -> QueryError {
    QueryError::new(
        ErrorCode::InvalidType,
        format!("sObject type '{name}' is not supported. {CUSTOM_OBJECT_HINT}"),
        Some(span),
    )
}

/// What paths are resolved against: the object of the query they are written in. Paths are
/// unaliased ([`Query::unaliased`]) before they get here.
struct Scope<'m> {
    object: &'m ObjectMeta,
}

struct Checker<'m> {
    metadata: &'m dyn Metadata,
}

impl<'m> Checker<'m> {
    fn query(&self, query: &Query, object: &'m ObjectMeta) -> Result<(), QueryError> {
        self.aliases(query, object)?;
        // Subqueries keep their own aliases: each level is unaliased when it is checked.
        let query = &query.unaliased_level();
        let scope = Scope { object };
        for item in &query.select {
            match item {
                SelectItem::Field(f) => {
                    self.field_expr(&f.expr, &scope)?;
                }
                SelectItem::Fields(..) => {}
                SelectItem::Subquery(sub) => {
                    let rel = &sub.from.object;
                    let child = object.child_relationship(rel.name()).ok_or_else(|| {
                        QueryError::new(
                            ErrorCode::InvalidType,
                            format!(
                                "Didn't understand relationship '{}' in FROM part of query call. {CUSTOM_RELATIONSHIP_HINT}",
                                rel.name()
                            ),
                            Some(rel.span),
                        )
                    })?;
                    if let Some(child_meta) = self.metadata.object(&child.child_object) {
                        self.query(sub, child_meta)?;
                    }
                }
                SelectItem::TypeOf(t) => {
                    if object.relationship(t.field.name()).is_none() {
                        return Err(bad_relationship(t.field.name(), t.field.span));
                    }
                    for when in &t.when {
                        let target = self
                            .metadata
                            .object(when.object.name())
                            .ok_or_else(|| unknown_object(when.object.name(), when.object.span))?;
                        let inner = Scope { object: target };
                        for path in &when.fields {
                            self.path(path, &inner)?;
                        }
                    }
                }
            }
        }
        if let Some(w) = &query.where_clause {
            semijoin::check_semi_joins(w)?;
            self.condition(w, &scope)?;
        }
        if let Some(g) = &query.group_by {
            for key in &g.keys {
                self.field_expr(key, &scope)?;
            }
        }
        if let Some(h) = &query.having {
            self.condition(h, &scope)?;
        }
        for key in &query.order_by {
            self.field_expr(&key.expr, &scope)?;
        }
        grouping::check_grouping(query)
    }

    /// Resolves a path to its field's metadata; `None` when a hop leads to an
    /// object the metadata does not describe (nothing more can be checked).
    fn path(
        &self,
        path: &FieldPath,
        scope: &Scope<'m>,
    ) -> Result<Option<&'m FieldMeta>, QueryError> {
        Ok(self.resolve(path, scope)?.map(|(field, _)| field))
    }

    /// Resolves a path to its field and the object the field is on.
    fn resolve(
        &self,
        path: &FieldPath,
        scope: &Scope<'m>,
    ) -> Result<Option<(&'m FieldMeta, &'m ObjectMeta)>, QueryError> {
        let mut segments = path.segments.as_slice();
        if segments.len() > 1 {
            let first = segments[0].name();
            let is_self = scope.object.name.eq_ignore_ascii_case(first)
                && scope.object.relationship(first).is_none();
            if is_self {
                segments = &segments[1..];
            }
        }
        let mut object = scope.object;
        let (last, hops) = segments
            .split_last()
            .ok_or_else(|| QueryError::malformed("empty field path", path.span))?;
        for hop in hops {
            let lookup = object
                .relationship(hop.name())
                .ok_or_else(|| bad_relationship(hop.name(), path.span))?;
            // A polymorphic lookup can reach several objects; the first one
            // described is the one checked.
            match lookup
                .reference_to
                .iter()
                .find_map(|t| self.metadata.object(t))
            {
                Some(next) => object = next,
                None => return Ok(None),
            }
        }
        object
            .field(last.name())
            .map(|f| Some((f, object)))
            .ok_or_else(|| {
                QueryError::new(
                    ErrorCode::InvalidField,
                    format!(
                        "No such column '{}' on entity '{}'. {CUSTOM_FIELD_HINT}",
                        last.name(),
                        object.name
                    ),
                    Some(path.span),
                )
                .with_field(path.to_string())
            })
    }

    /// The type of a field expression, when known.
    fn field_expr(
        &self,
        expr: &FieldExpr,
        scope: &Scope<'m>,
    ) -> Result<Option<FieldType>, QueryError> {
        match expr {
            FieldExpr::Path(p) => Ok(self.path(p, scope)?.map(|f| f.field_type)),
            FieldExpr::Call(call) => {
                let mut inner = None;
                for arg in &call.args {
                    if let FunctionArg::Field(f) = arg {
                        inner = self.field_expr(f, scope)?;
                    }
                }
                Ok(match (call.function.kind(), call.function) {
                    (_, Function::DayOnly) => Some(FieldType::Date),
                    (FunctionKind::Date, _) => Some(FieldType::Int),
                    (_, Function::Count | Function::CountDistinct) => Some(FieldType::Int),
                    (_, Function::Avg) => Some(FieldType::Double),
                    (_, Function::Distance) => Some(FieldType::Double),
                    (_, Function::Format | Function::ToLabel) => Some(FieldType::String),
                    _ => inner,
                })
            }
        }
    }

    fn condition(&self, expr: &Expr, scope: &Scope<'m>) -> Result<(), QueryError> {
        match expr {
            Expr::And(terms) | Expr::Or(terms) => {
                terms.iter().try_for_each(|t| self.condition(t, scope))
            }
            Expr::Not(inner) => self.condition(inner, scope),
            Expr::Compare(c) => {
                let Some(ty) = self.field_expr(&c.lhs, scope)? else {
                    return Ok(());
                };
                let name = c.lhs.to_string();
                if c.op == CompareOp::Like && !(ty.is_text() && ty != FieldType::MultiPicklist) {
                    return Err(bad_operator(ty, "LIKE", &name, c.span));
                }
                let ordered = !matches!(c.op, CompareOp::Eq | CompareOp::Ne | CompareOp::Like);
                if ordered && matches!(ty, FieldType::Boolean | FieldType::MultiPicklist) {
                    return Err(bad_operator(ty, c.op.as_str(), &name, c.span));
                }
                literal_fits(ty, &c.value, &name, c.value_span)
            }
            Expr::In(c) => {
                let ty = self.field_expr(&c.lhs, scope)?;
                match &c.values {
                    InValues::List(values) => match ty {
                        Some(ty) => {
                            let name = c.lhs.to_string();
                            values
                                .iter()
                                .try_for_each(|v| literal_fits(ty, v, &name, c.lhs.span()))
                        }
                        None => Ok(()),
                    },
                    InValues::Subquery(sub) => {
                        let meta =
                            self.metadata
                                .object(sub.from.object.name())
                                .ok_or_else(|| {
                                    unknown_object(sub.from.object.name(), sub.from.object.span)
                                })?;
                        self.query(sub, meta)?;
                        self.same_target(c, sub, scope, meta)
                    }
                }
            }
            Expr::Includes(c) => match self.field_expr(&c.lhs, scope)? {
                Some(FieldType::MultiPicklist) | None => Ok(()),
                Some(_) => Err(QueryError::new(
                    ErrorCode::InvalidQueryFilterOperator,
                    "includes or excludes operator only valid on multipicklist field",
                    Some(c.lhs.span()),
                )
                .with_field(c.lhs.to_string())),
            },
        }
    }
}

impl<'m> Checker<'m> {
    /// The `FROM` list's relationship aliases must start at the object, its alias or an
    /// earlier relationship alias and follow lookups; a subquery's `FROM Account.Contacts`
    /// must name the outer object or its alias.
    fn aliases(&self, query: &Query, object: &'m ObjectMeta) -> Result<(), QueryError> {
        let from = &query.from;
        let names_object = |name: &str| {
            name.eq_ignore_ascii_case(&object.name)
                || from.alias.as_ref().is_some_and(|a| a.is(name))
        };
        for (i, rel) in from.relationships.iter().enumerate() {
            let root = &rel.path.segments[0];
            if !names_object(root.name()) && from.alias_index(root.name(), i).is_none() {
                return Err(QueryError::new(
                    ErrorCode::InvalidType,
                    format!(
                        "Didn't understand relationship '{}' in FROM part of query call: '{}' is not {}, its alias or an earlier alias. {CUSTOM_RELATIONSHIP_HINT}",
                        rel.path,
                        root.name(),
                        object.name
                    ),
                    Some(rel.path.span),
                ));
            }
            let mut current = object;
            for hop in from.relationship_prefix(i) {
                let lookup = current
                    .relationship(hop.name())
                    .ok_or_else(|| bad_relationship(hop.name(), rel.path.span))?;
                match lookup
                    .reference_to
                    .iter()
                    .find_map(|t| self.metadata.object(t))
                {
                    Some(next) => current = next,
                    None => break,
                }
            }
        }
        for item in &query.select {
            if let SelectItem::Subquery(sub) = item
                && let Some(parent) = &sub.from.parent
                && !names_object(parent.name())
            {
                return Err(QueryError::new(
                    ErrorCode::InvalidType,
                    format!(
                        "Didn't understand relationship '{}.{}' in FROM part of query call. {CUSTOM_RELATIONSHIP_HINT}",
                        parent.name(),
                        sub.from.object.name()
                    ),
                    Some(parent.span),
                ));
            }
        }
        Ok(())
    }

    /// The outer field and the subquery's field must identify the same kind
    /// of record (`Id IN (SELECT AccountId ..)`).
    fn same_target(
        &self,
        c: &crate::ast::InCondition,
        sub: &Query,
        scope: &Scope<'m>,
        sub_object: &'m ObjectMeta,
    ) -> Result<(), QueryError> {
        let sub = &sub.unaliased_level();
        let (FieldExpr::Path(outer), Some(inner)) = (&c.lhs, semijoin::single_field(sub)) else {
            return Ok(());
        };
        let inner_scope = Scope { object: sub_object };
        let (Some(outer_meta), Some(inner_meta)) = (
            self.resolve(outer, scope)?,
            self.resolve(inner, &inner_scope)?,
        ) else {
            return Ok(());
        };
        let (Some(a), Some(b)) = (targets(outer_meta), targets(inner_meta)) else {
            return Ok(());
        };
        if a.iter()
            .any(|x| b.iter().any(|y| x.eq_ignore_ascii_case(y)))
        {
            return Ok(());
        }
        Err(QueryError::malformed(
            format!(
                "The selected field '{inner}' in the subquery and the left operand field in the where expression in the outer query '{outer}' should point to the same object type"
            ),
            c.span,
        ))
    }
}

/// The objects an Id or reference field identifies; `None` for other types.
fn targets<'a>((field, object): (&'a FieldMeta, &'a ObjectMeta)) -> Option<Vec<&'a str>> {
    match field.field_type {
        FieldType::Id => Some(vec![object.name.as_str()]),
        FieldType::Reference => Some(field.reference_to.iter().map(String::as_str).collect()),
        _ => None,
    }
}

fn bad_relationship(name: &str, span: Span) -> QueryError {
    QueryError::new(
        ErrorCode::InvalidField,
        format!(
            "Didn't understand relationship '{name}' in field path. {CUSTOM_RELATIONSHIP_HINT}"
        ),
        Some(span),
    )
    .with_field(name)
}

fn bad_operator(ty: FieldType, op: &str, field: &str, span: Span) -> QueryError {
    QueryError::new(
        ErrorCode::InvalidQueryFilterOperator,
        format!(
            "invalid operator on {} field '{field}': {op}",
            ty.soql_name()
        ),
        Some(span),
    )
    .with_field(field)
}

/// Whether a literal may be compared with a field of type `ty`, with the
/// org's message when not.
fn literal_fits(ty: FieldType, lit: &Literal, field: &str, span: Span) -> Result<(), QueryError> {
    let ok = match lit {
        Literal::Null => true,
        Literal::String(_) => ty.is_text() || ty == FieldType::Time,
        Literal::Number(_) => ty.is_numeric(),
        Literal::Currency { .. } => ty == FieldType::Currency,
        Literal::Boolean(_) => ty == FieldType::Boolean,
        Literal::Date(_) => ty == FieldType::Date,
        Literal::DateTime(_) => ty == FieldType::DateTime,
        Literal::Relative(_) => matches!(ty, FieldType::Date | FieldType::DateTime),
    };
    if ok || matches!(ty, FieldType::AnyType) {
        return Ok(());
    }
    let quoting = if ty.is_text() {
        "should be enclosed in quotes"
    } else {
        "should not be enclosed in quotes"
    };
    let type_name = if ty.is_text() {
        "string"
    } else {
        ty.soql_name()
    };
    Err(QueryError::new(
        ErrorCode::InvalidField,
        format!("value of filter criterion for field '{field}' must be of type {type_name} and {quoting}"),
        Some(span),
    )
    .with_field(field))
}
