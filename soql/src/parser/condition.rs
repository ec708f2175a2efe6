//! `WHERE` / `HAVING` conditions and literals.

use chrono::{DateTime, NaiveDate};

use super::Parser;
use crate::ast::{CompareOp, Comparison, Expr, InCondition, InValues, IncludesCondition};
use crate::error::QueryError;
use crate::lexer::Tok;
use crate::literal::{CurrencyCode, Literal, Number, RelativeDate};
use crate::span::Span;

impl Parser<'_> {
    /// `term (AND term)*` or `term (OR term)*`; mixing needs parentheses.
    pub(super) fn condition(&mut self) -> Result<Expr, QueryError> {
        let first = self.term()?;
        let joiner = if self.is_kw("AND") {
            "AND"
        } else if self.is_kw("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let other = if joiner == "AND" { "OR" } else { "AND" };
        let mut terms = vec![first];
        while self.eat_kw(joiner) {
            terms.push(self.term()?);
        }
        if self.is_kw(other) {
            // SOQL has no precedence between AND and OR: orgs reject the mix.
            return Err(self.unexpected());
        }
        Ok(if joiner == "AND" {
            Expr::And(terms)
        } else {
            Expr::Or(terms)
        })
    }

    fn term(&mut self) -> Result<Expr, QueryError> {
        self.enter()?;
        let expr = if self.eat_kw("NOT") {
            Expr::Not(Box::new(self.term()?))
        } else if self.eat_punct("(") {
            let inner = self.condition()?;
            self.expect_punct(")")?;
            inner
        } else {
            self.simple_condition()?
        };
        self.leave();
        Ok(expr)
    }

    fn simple_condition(&mut self) -> Result<Expr, QueryError> {
        let lhs = self.field_expr()?;
        let start = lhs.span().start;
        let op = match &self.peek().tok {
            Tok::Punct("=") => Some(CompareOp::Eq),
            Tok::Punct("!=" | "<>") => Some(CompareOp::Ne),
            Tok::Punct("<") => Some(CompareOp::Lt),
            Tok::Punct("<=") => Some(CompareOp::Le),
            Tok::Punct(">") => Some(CompareOp::Gt),
            Tok::Punct(">=") => Some(CompareOp::Ge),
            Tok::Word(w) if w.eq_ignore_ascii_case("LIKE") => Some(CompareOp::Like),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let (value, value_span) = self.literal(op == CompareOp::Like)?;
            return Ok(Expr::Compare(Comparison {
                lhs,
                op,
                value,
                value_span,
                span: Span::new(start, self.prev_end()),
            }));
        }
        let negated = self.is_kw("NOT") && self.is_kw_at(1, "IN");
        if negated {
            self.bump();
        }
        if self.eat_kw("IN") {
            self.expect_punct("(")?;
            let values = if self.is_kw("SELECT") {
                InValues::Subquery(Box::new(self.query(false)?))
            } else {
                InValues::List(self.literal_list()?)
            };
            self.expect_punct(")")?;
            return Ok(Expr::In(InCondition {
                lhs,
                negated,
                values,
                span: Span::new(start, self.prev_end()),
            }));
        }
        let excludes = self.is_kw("EXCLUDES");
        if excludes || self.is_kw("INCLUDES") {
            self.bump();
            self.expect_punct("(")?;
            let values = self.literal_list()?;
            self.expect_punct(")")?;
            return Ok(Expr::Includes(IncludesCondition {
                lhs,
                excludes,
                values,
                span: Span::new(start, self.prev_end()),
            }));
        }
        Err(self.unexpected())
    }

    fn literal_list(&mut self) -> Result<Vec<Literal>, QueryError> {
        let mut values = vec![self.literal(false)?.0];
        while self.eat_punct(",") {
            values.push(self.literal(false)?.0);
        }
        Ok(values)
    }

    /// A literal; `like` selects pattern syntax for strings.
    pub(super) fn literal(&mut self, like: bool) -> Result<(Literal, Span), QueryError> {
        let tok = self.peek().clone();
        let span = tok.span;
        let lit = match &tok.tok {
            Tok::Str { plain, like: pattern } => {
                if like {
                    Literal::String(pattern.clone())
                } else {
                    match plain {
                        Some(s) => Literal::String(s.clone()),
                        None => {
                            let text = &self.src[span.start..span.end];
                            let at = [r"\%", r"\_"]
                                .iter()
                                .filter_map(|esc| text.find(esc))
                                .min()
                                .map_or(span.start, |o| span.start + o);
                            return Err(self.error_at(
                                format!(
                                    "Invalid string literal {}. Illegal character sequence: '\\%' and '\\_' are allowed only in LIKE patterns.",
                                    &self.src[span.start..span.end]
                                ),
                                Span::new(at, span.end),
                            ));
                        }
                    }
                }
            }
            Tok::Number(n) => match Number::parse(n) {
                Some(n) => Literal::Number(n),
                None => return Err(self.unexpected()),
            },
            Tok::Temporal(t) => temporal(t).ok_or_else(|| {
                self.error_at(
                    format!(
                        "invalid date or datetime '{t}': write YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with optional .sss and Z or ±hh:mm"
                    ),
                    span,
                )
            })?,
            Tok::Word(w) => {
                if w.eq_ignore_ascii_case("NULL") {
                    Literal::Null
                } else if w.eq_ignore_ascii_case("TRUE") {
                    Literal::Boolean(true)
                } else if w.eq_ignore_ascii_case("FALSE") {
                    Literal::Boolean(false)
                } else if let Some(rel) = RelativeDate::from_keyword(w) {
                    if rel.count().is_some() {
                        self.bump();
                        self.expect_punct(":")?;
                        let n = match &self.peek().tok {
                            Tok::Number(n) => n.parse::<u32>().ok(),
                            _ => None,
                        };
                        let Some(n) = n else {
                            return Err(self.unexpected());
                        };
                        self.bump();
                        return Ok((Literal::Relative(rel.with_count(n)), span.to(Span::new(span.start, self.prev_end()))));
                    }
                    Literal::Relative(rel)
                } else if let Some(lit) = currency(w) {
                    lit
                } else {
                    return Err(self.unexpected());
                }
            }
            Tok::Punct(_) | Tok::Eof => return Err(self.unexpected()),
        };
        self.bump();
        Ok((lit, span))
    }
}

fn temporal(text: &str) -> Option<Literal> {
    if text.len() == 10 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(Literal::Date);
    }
    // RFC 3339 is stricter than chrono's general parser but also allows a
    // lower-case `t`/`z`; orgs want the upper-case forms.
    if text.as_bytes().get(10) != Some(&b'T') || text.contains('z') {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(Literal::DateTime)
}

fn currency(word: &str) -> Option<Literal> {
    let code = CurrencyCode::new(word.get(..3)?)?;
    let amount = Number::parse(word.get(3..)?)?;
    Some(Literal::Currency { code, amount })
}
