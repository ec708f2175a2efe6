//! The clauses of a `SELECT` statement.

use super::{Parser, is_reserved};
use crate::ast::{
    CategorySelector, DataCategoryFilter, Direction, FieldsKind, ForClause, From, GroupBy,
    GroupingKind, NullsOrder, OrderBy, Query, RelationshipAlias, SelectField, SelectItem, TypeOf,
    TypeOfWhen, UpdateClause, With,
};
use crate::error::QueryError;
use crate::lexer::Tok;
use crate::span::Span;

impl Parser<'_> {
    /// `SELECT ... ` up to (not including) the end of input or a closing parenthesis.
    /// `child`: a parent-to-child subquery, whose `FROM` may name the relationship through
    /// the outer object (`FROM Account.Contacts`).
    pub(super) fn query(&mut self, child: bool) -> Result<Query, QueryError> {
        self.enter()?;
        let start = self.expect_kw("SELECT")?;
        let mut select = Vec::new();
        loop {
            select.push(self.select_item()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_kw("FROM")?;
        let from = self.source_list(child)?;
        let using_scope = if self.eat_kw("USING") {
            self.expect_kw("SCOPE")?;
            Some(self.any_ident()?)
        } else {
            None
        };
        let where_clause = if self.eat_kw("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        let with = if self.eat_kw("WITH") {
            Some(self.with_clause()?)
        } else {
            None
        };
        let group_by = if self.eat_kw("GROUP") {
            self.expect_kw("BY")?;
            Some(self.group_by()?)
        } else {
            None
        };
        let having = if self.eat_kw("HAVING") {
            Some(self.condition()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.is_kw("ORDER") {
            self.bump();
            self.expect_kw("BY")?;
            loop {
                order_by.push(self.order_item()?);
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.count()?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            Some(self.count()?)
        } else {
            None
        };
        let (mut for_clause, mut update) = (None, None);
        loop {
            if for_clause.is_none() && self.is_kw("FOR") {
                self.bump();
                for_clause = Some(if self.eat_kw("VIEW") {
                    ForClause::View
                } else if self.eat_kw("REFERENCE") {
                    ForClause::Reference
                } else {
                    self.expect_kw("UPDATE")?;
                    ForClause::Update
                });
            } else if update.is_none() && self.is_kw("UPDATE") {
                self.bump();
                update = Some(if self.eat_kw("TRACKING") {
                    UpdateClause::Tracking
                } else {
                    self.expect_kw("VIEWSTAT")?;
                    UpdateClause::Viewstat
                });
            } else {
                break;
            }
        }
        let all_rows = if self.eat_kw("ALL") {
            self.expect_kw("ROWS")?;
            true
        } else {
            false
        };
        self.leave();
        Ok(Query {
            select,
            from,
            using_scope,
            where_clause,
            with,
            group_by,
            having,
            order_by,
            limit,
            offset,
            for_clause,
            update,
            all_rows,
            span: Span::new(start.start, self.prev_end()),
        })
    }

    /// `Object [alias] [, relationship.path [alias] ..]`.
    fn source_list(&mut self, child: bool) -> Result<From, QueryError> {
        let first = self.any_ident()?;
        let (parent, object) = if child && self.is_punct(".") && self.word_at(1).is_some() {
            self.bump();
            (Some(first), self.any_ident()?)
        } else {
            (None, first)
        };
        let alias = self.alias()?;
        let mut relationships = Vec::new();
        while self.eat_punct(",") {
            let path = self.field_path()?;
            if path.segments.len() < 2 {
                return Err(self.error_at(
                    format!(
                        "'{path}' is not a relationship path: after the FROM object the list holds only relationship aliases such as {}.Account a",
                        alias.as_ref().unwrap_or(&object)
                    ),
                    path.span,
                ));
            }
            let alias = self.alias()?;
            relationships.push(RelationshipAlias { path, alias });
        }
        Ok(From {
            object,
            parent,
            alias,
            relationships,
        })
    }

    /// An optional alias after a `FROM` item: a word that does not start a clause.
    fn alias(&mut self) -> Result<Option<crate::ast::Ident>, QueryError> {
        match self.word_at(0) {
            Some(w) if !is_reserved(w) => Ok(Some(self.any_ident()?)),
            _ => Ok(None),
        }
    }

    fn select_item(&mut self) -> Result<SelectItem, QueryError> {
        if self.is_punct("(") {
            self.bump();
            if !self.is_kw("SELECT") {
                return Err(self.unexpected());
            }
            let sub = self.query(true)?;
            self.expect_punct(")")?;
            return Ok(SelectItem::Subquery(Box::new(sub)));
        }
        if self.is_kw("TYPEOF") && self.word_at(1).is_some() {
            return Ok(SelectItem::TypeOf(self.type_of()?));
        }
        if self.is_kw("FIELDS") && self.is_punct_at(1, "(") {
            let start = self.bump().span;
            self.bump();
            let kind = if self.eat_kw("ALL") {
                FieldsKind::All
            } else if self.eat_kw("STANDARD") {
                FieldsKind::Standard
            } else if self.eat_kw("CUSTOM") {
                FieldsKind::Custom
            } else {
                return Err(self.unexpected());
            };
            let end = self.expect_punct(")")?;
            return Ok(SelectItem::Fields(kind, start.to(end)));
        }
        let expr = self.field_expr()?;
        // An alias is a plain word followed by the end of the item; anything
        // else (`SELECT Id FRM Account`) is reported at the word, as orgs do.
        let alias = match self.word_at(0) {
            Some(w)
                if !is_reserved(w) && (self.is_punct_at(1, ",") || self.is_kw_at(1, "FROM")) =>
            {
                Some(self.any_ident()?)
            }
            _ => None,
        };
        Ok(SelectItem::Field(SelectField { expr, alias }))
    }

    fn type_of(&mut self) -> Result<TypeOf, QueryError> {
        let start = self.bump().span;
        let field = self.any_ident()?;
        let mut when = Vec::new();
        while self.eat_kw("WHEN") {
            let object = self.any_ident()?;
            self.expect_kw("THEN")?;
            when.push(TypeOfWhen {
                object,
                fields: self.path_list()?,
            });
        }
        if when.is_empty() {
            return Err(self.unexpected());
        }
        let otherwise = if self.eat_kw("ELSE") {
            Some(self.path_list()?)
        } else {
            None
        };
        let end = self.expect_kw("END")?;
        Ok(TypeOf {
            field,
            when,
            otherwise,
            span: start.to(end),
        })
    }

    fn path_list(&mut self) -> Result<Vec<crate::ast::FieldPath>, QueryError> {
        let mut out = vec![self.field_path()?];
        while self.eat_punct(",") {
            out.push(self.field_path()?);
        }
        Ok(out)
    }

    fn with_clause(&mut self) -> Result<With, QueryError> {
        if self.eat_kw("SECURITY_ENFORCED") {
            return Ok(With::SecurityEnforced);
        }
        if self.eat_kw("USER_MODE") {
            return Ok(With::UserMode);
        }
        if self.eat_kw("SYSTEM_MODE") {
            return Ok(With::SystemMode);
        }
        self.expect_kw("DATA")?;
        self.expect_kw("CATEGORY")?;
        let mut filters = Vec::new();
        loop {
            let group = self.any_ident()?;
            let selector = if self.eat_kw("AT") {
                CategorySelector::At
            } else if self.eat_kw("ABOVE") {
                CategorySelector::Above
            } else if self.eat_kw("BELOW") {
                CategorySelector::Below
            } else if self.eat_kw("ABOVE_OR_BELOW") {
                CategorySelector::AboveOrBelow
            } else {
                return Err(self.unexpected());
            };
            let mut categories = Vec::new();
            if self.eat_punct("(") {
                loop {
                    categories.push(self.any_ident()?);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct(")")?;
            } else {
                categories.push(self.any_ident()?);
            }
            filters.push(DataCategoryFilter {
                group,
                selector,
                categories,
            });
            if !self.eat_kw("AND") {
                break;
            }
        }
        Ok(With::DataCategory(filters))
    }

    fn group_by(&mut self) -> Result<GroupBy, QueryError> {
        let kind = if self.is_punct_at(1, "(") && self.is_kw("ROLLUP") {
            GroupingKind::Rollup
        } else if self.is_punct_at(1, "(") && self.is_kw("CUBE") {
            GroupingKind::Cube
        } else {
            GroupingKind::Plain
        };
        if kind != GroupingKind::Plain {
            self.bump();
            self.bump();
        }
        let mut keys = vec![self.field_expr()?];
        while self.eat_punct(",") {
            keys.push(self.field_expr()?);
        }
        if kind != GroupingKind::Plain {
            self.expect_punct(")")?;
        }
        Ok(GroupBy { kind, keys })
    }

    fn order_item(&mut self) -> Result<OrderBy, QueryError> {
        let expr = self.field_expr()?;
        let direction = if self.eat_kw("ASC") {
            Some(Direction::Asc)
        } else if self.eat_kw("DESC") {
            Some(Direction::Desc)
        } else {
            None
        };
        let nulls = if self.eat_kw("NULLS") {
            if self.eat_kw("FIRST") {
                Some(NullsOrder::First)
            } else {
                self.expect_kw("LAST")?;
                Some(NullsOrder::Last)
            }
        } else {
            None
        };
        Ok(OrderBy {
            expr,
            direction,
            nulls,
        })
    }

    /// A non-negative integer for LIMIT and OFFSET.
    fn count(&mut self) -> Result<u64, QueryError> {
        match &self.peek().tok {
            Tok::Number(n) => match n.parse::<u64>() {
                Ok(v) => {
                    self.bump();
                    Ok(v)
                }
                Err(_) => Err(self.unexpected()),
            },
            _ => Err(self.unexpected()),
        }
    }
}
