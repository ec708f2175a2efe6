//! Printing the syntax tree as normalized SOQL.
//!
//! Keywords print upper-case, names as written, one space between tokens.
//! String literals are always escaped and names are validated on
//! construction, so printed text always parses back to the same tree.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::CompareOp;
use crate::ast::{
    CategorySelector, Comparison, Direction, Expr, FieldExpr, FieldPath, FieldsKind, ForClause,
    FunctionArg, FunctionCall, GroupingKind, Ident, InValues, NullsOrder, OrderBy, Query,
    SelectItem, UpdateClause, With,
};
use crate::literal::{Literal, write_datetime, write_quoted};

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Display for FieldPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            f.write_str(seg.name())?;
        }
        Ok(())
    }
}

impl Display for FunctionCall {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.function.name())?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match arg {
                FunctionArg::Field(e) => write!(f, "{e}")?,
                FunctionArg::Literal(l) => write!(f, "{l}")?,
            }
        }
        f.write_char(')')
    }
}

impl Display for FieldExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FieldExpr::Path(p) => write!(f, "{p}"),
            FieldExpr::Call(c) => write!(f, "{c}"),
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Boolean(true) => f.write_str("TRUE"),
            Literal::Boolean(false) => f.write_str("FALSE"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::String(s) => write_quoted(f, s, false),
            Literal::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Literal::DateTime(dt) => write_datetime(f, dt),
            Literal::Relative(r) => write!(f, "{r}"),
            Literal::Currency { code, amount } => write!(f, "{}{amount}", code.as_str()),
        }
    }
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.lhs, self.op.as_str())?;
        match (&self.value, self.op) {
            (Literal::String(s), CompareOp::Like) => write_quoted(f, s, true),
            (v, _) => write!(f, "{v}"),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(terms) | Expr::Or(terms) => {
                let joiner = if matches!(self, Expr::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                for (i, term) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(joiner)?;
                    }
                    write_term(f, term)?;
                }
                Ok(())
            }
            // Parentheses only around AND/OR: each pair is a nesting level
            // the parser counts, so printing never nests deeper than the input.
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                write_term(f, inner)
            }
            Expr::Compare(c) => write!(f, "{c}"),
            Expr::In(c) => {
                write!(f, "{} {}IN (", c.lhs, if c.negated { "NOT " } else { "" })?;
                match &c.values {
                    InValues::List(values) => write_list(f, values)?,
                    InValues::Subquery(q) => write!(f, "{q}")?,
                }
                f.write_char(')')
            }
            Expr::Includes(c) => {
                let word = if c.excludes { "EXCLUDES" } else { "INCLUDES" };
                write!(f, "{} {word} (", c.lhs)?;
                write_list(f, &c.values)?;
                f.write_char(')')
            }
        }
    }
}

fn write_term(f: &mut Formatter<'_>, term: &Expr) -> fmt::Result {
    match term {
        Expr::And(_) | Expr::Or(_) => write!(f, "({term})"),
        _ => write!(f, "{term}"),
    }
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Field(field) => {
                write!(f, "{}", field.expr)?;
                if let Some(alias) = &field.alias {
                    write!(f, " {alias}")?;
                }
                Ok(())
            }
            SelectItem::Fields(kind, _) => f.write_str(match kind {
                FieldsKind::All => "FIELDS(ALL)",
                FieldsKind::Standard => "FIELDS(STANDARD)",
                FieldsKind::Custom => "FIELDS(CUSTOM)",
            }),
            SelectItem::Subquery(q) => write!(f, "({q})"),
            SelectItem::TypeOf(t) => {
                write!(f, "TYPEOF {}", t.field)?;
                for w in &t.when {
                    write!(f, " WHEN {} THEN ", w.object)?;
                    write_list(f, &w.fields)?;
                }
                if let Some(otherwise) = &t.otherwise {
                    f.write_str(" ELSE ")?;
                    write_list(f, otherwise)?;
                }
                f.write_str(" END")
            }
        }
    }
}

impl Display for OrderBy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.direction {
            Some(Direction::Asc) => f.write_str(" ASC")?,
            Some(Direction::Desc) => f.write_str(" DESC")?,
            None => {}
        }
        match self.nulls {
            Some(NullsOrder::First) => f.write_str(" NULLS FIRST"),
            Some(NullsOrder::Last) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl Display for With {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            With::SecurityEnforced => f.write_str("SECURITY_ENFORCED"),
            With::UserMode => f.write_str("USER_MODE"),
            With::SystemMode => f.write_str("SYSTEM_MODE"),
            With::DataCategory(filters) => {
                f.write_str("DATA CATEGORY ")?;
                for (i, filter) in filters.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" AND ")?;
                    }
                    let selector = match filter.selector {
                        CategorySelector::At => "AT",
                        CategorySelector::Above => "ABOVE",
                        CategorySelector::Below => "BELOW",
                        CategorySelector::AboveOrBelow => "ABOVE_OR_BELOW",
                    };
                    write!(f, "{} {selector} ", filter.group)?;
                    if filter.categories.len() == 1 {
                        write!(f, "{}", filter.categories[0])?;
                    } else {
                        f.write_char('(')?;
                        write_list(f, &filter.categories)?;
                        f.write_char(')')?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        write_list(f, &self.select)?;
        f.write_str(" FROM ")?;
        if let Some(parent) = &self.from.parent {
            write!(f, "{parent}.")?;
        }
        write!(f, "{}", self.from.object)?;
        if let Some(alias) = &self.from.alias {
            write!(f, " {alias}")?;
        }
        for rel in &self.from.relationships {
            write!(f, ", {}", rel.path)?;
            if let Some(alias) = &rel.alias {
                write!(f, " {alias}")?;
            }
        }
        if let Some(scope) = &self.using_scope {
            write!(f, " USING SCOPE {scope}")?;
        }
        if let Some(w) = &self.where_clause {
            write!(f, " WHERE {w}")?;
        }
        if let Some(with) = &self.with {
            write!(f, " WITH {with}")?;
        }
        if let Some(g) = &self.group_by {
            f.write_str(" GROUP BY ")?;
            match g.kind {
                GroupingKind::Plain => write_list(f, &g.keys)?,
                GroupingKind::Rollup | GroupingKind::Cube => {
                    let word = if g.kind == GroupingKind::Rollup {
                        "ROLLUP"
                    } else {
                        "CUBE"
                    };
                    write!(f, "{word}(")?;
                    write_list(f, &g.keys)?;
                    f.write_char(')')?;
                }
            }
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            write_list(f, &self.order_by)?;
        }
        if let Some(n) = self.limit {
            write!(f, " LIMIT {n}")?;
        }
        if let Some(n) = self.offset {
            write!(f, " OFFSET {n}")?;
        }
        match self.for_clause {
            Some(ForClause::View) => f.write_str(" FOR VIEW")?,
            Some(ForClause::Reference) => f.write_str(" FOR REFERENCE")?,
            Some(ForClause::Update) => f.write_str(" FOR UPDATE")?,
            None => {}
        }
        match self.update {
            Some(UpdateClause::Tracking) => f.write_str(" UPDATE TRACKING")?,
            Some(UpdateClause::Viewstat) => f.write_str(" UPDATE VIEWSTAT")?,
            None => {}
        }
        if self.all_rows {
            f.write_str(" ALL ROWS")?;
        }
        Ok(())
    }
}
