//! `FROM` aliases written out: `a.Industry` in `FROM Contact c, c.Account a` is
//! `Account.Industry` on Contact. The checker and evaluators see paths through this one rule.

use crate::ast::{
    Expr, FieldExpr, FieldPath, From, FunctionArg, GroupBy, Ident, InValues, OrderBy, Query,
    SelectItem,
};

impl From {
    /// `path` as written in this `FROM`'s scope, rewritten to start at the object: the object's
    /// alias is dropped and a relationship alias becomes its relationship path. Paths that
    /// start with neither come back as they are.
    pub fn expand(&self, path: &FieldPath) -> FieldPath {
        FieldPath {
            segments: self.expand_segments(&path.segments, self.relationships.len()),
            span: path.span,
        }
    }

    /// The relationship path of the `index`th relationship alias, from the object.
    pub(crate) fn relationship_prefix(&self, index: usize) -> Vec<Ident> {
        let path = &self.relationships[index].path;
        // The first segment names the object, its alias or an earlier relationship alias:
        // only earlier aliases are looked at, so a chain always ends.
        let mut out = match self.alias_index(path.segments[0].name(), index) {
            Some(i) => self.relationship_prefix(i),
            None => Vec::new(),
        };
        out.extend(path.segments[1..].iter().cloned());
        out
    }

    /// The last of the first `known` relationship aliases named `name`.
    pub(crate) fn alias_index(&self, name: &str, known: usize) -> Option<usize> {
        self.relationships[..known]
            .iter()
            .rposition(|r| r.alias.as_ref().is_some_and(|a| a.is(name)))
    }

    /// Expands `segments` with the object alias and the first `known` relationship aliases.
    fn expand_segments(&self, segments: &[Ident], known: usize) -> Vec<Ident> {
        let Some((first, rest)) = segments.split_first() else {
            return Vec::new();
        };
        // A lone segment is a field, never an alias.
        if rest.is_empty() {
            return segments.to_vec();
        }
        if let Some(i) = self.alias_index(first.name(), known) {
            let mut out = self.relationship_prefix(i);
            out.extend(rest.iter().cloned());
            return out;
        }
        if self.alias.as_ref().is_some_and(|a| a.is(first.name())) {
            return rest.to_vec();
        }
        segments.to_vec()
    }
}

impl Query {
    /// The same query with its `FROM` aliases written out and dropped, in every subquery too
    /// (a subquery's `FROM Account.Contacts` becomes `FROM Contacts`):
    /// each path starts at its query's object (`SELECT a.Name FROM Contact c, c.Account a`
    /// becomes `SELECT Account.Name FROM Contact`). Spans stay where the paths were written.
    pub fn unaliased(&self) -> Query {
        let mut query = self.clone();
        unalias(&mut query, true);
        query
    }

    /// [`Query::unaliased`] for this level only: subqueries keep their aliases.
    pub(crate) fn unaliased_level(&self) -> Query {
        let mut query = self.clone();
        unalias(&mut query, false);
        query
    }
}

fn unalias(query: &mut Query, deep: bool) {
    // `FROM a.Contacts` names the relationship through the outer alias, dropped here too.
    let object = query.from.object.clone();
    let from = std::mem::replace(&mut query.from, From::object(object));
    let expand = |path: &mut FieldPath| *path = from.expand(path);
    for item in &mut query.select {
        match item {
            SelectItem::Field(f) => field_expr(&mut f.expr, &expand),
            SelectItem::Subquery(sub) if deep => unalias(sub, deep),
            SelectItem::Subquery(_) => {}
            SelectItem::Fields(..) | SelectItem::TypeOf(_) => {}
        }
    }
    if let Some(w) = &mut query.where_clause {
        condition(w, &expand, deep);
    }
    if let Some(GroupBy { keys, .. }) = &mut query.group_by {
        keys.iter_mut().for_each(|k| field_expr(k, &expand));
    }
    if let Some(h) = &mut query.having {
        condition(h, &expand, deep);
    }
    for OrderBy { expr, .. } in &mut query.order_by {
        field_expr(expr, &expand);
    }
}

fn field_expr(expr: &mut FieldExpr, expand: &impl Fn(&mut FieldPath)) {
    match expr {
        FieldExpr::Path(p) => expand(p),
        FieldExpr::Call(c) => {
            for arg in &mut c.args {
                if let FunctionArg::Field(f) = arg {
                    field_expr(f, expand);
                }
            }
        }
    }
}

fn condition(expr: &mut Expr, expand: &impl Fn(&mut FieldPath), deep: bool) {
    match expr {
        Expr::And(terms) | Expr::Or(terms) => {
            terms.iter_mut().for_each(|t| condition(t, expand, deep))
        }
        Expr::Not(inner) => condition(inner, expand, deep),
        Expr::Compare(c) => field_expr(&mut c.lhs, expand),
        Expr::In(c) => {
            field_expr(&mut c.lhs, expand);
            if deep && let InValues::Subquery(sub) = &mut c.values {
                unalias(sub, deep);
            }
        }
        Expr::Includes(c) => field_expr(&mut c.lhs, expand),
    }
}
