//! Recursive-descent parser from SOQL text to the syntax tree.

mod clauses;
mod condition;

use crate::ast::{
    Expr, FieldExpr, FieldPath, Function, FunctionArg, FunctionCall, FunctionKind, Ident, Query,
};
use crate::error::QueryError;
use crate::lexer::{Tok, Token, tokenize};
use crate::span::Span;

/// Deeper nesting than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Words that end a field list or start a clause, so they cannot be a bare
/// field name or alias. They may still start a path (`Order.Name`) or name
/// an object (`FROM Group`), as in real orgs.
const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES", "NULL",
    "TRUE", "FALSE", "LIMIT", "OFFSET", "ORDER", "GROUP", "HAVING", "WITH", "USING", "TYPEOF",
    "WHEN", "THEN", "ELSE", "END", "ASC", "DESC", "NULLS", "FOR", "UPDATE", "BY", "ALL",
];

pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Parses a whole `SELECT` statement.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut p = Parser::new(text)?;
    let first = p.peek().clone();
    if !p.is_kw("SELECT") {
        // Orgs report a wrong first word without a position.
        return Err(QueryError::new(
            crate::error::ErrorCode::MalformedQuery,
            format!("unexpected token: {}", first.text(text)),
            None,
        ));
    }
    let query = p.query(false)?;
    p.expect_eof()?;
    Ok(query)
}

/// Parses a `WHERE` condition without the `WHERE` keyword (a sync filter).
pub fn parse_where(text: &str) -> Result<Expr, QueryError> {
    let mut p = Parser::new(text)?;
    let expr = p.condition()?;
    p.expect_eof()?;
    Ok(expr)
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, QueryError> {
        let toks = tokenize(src).map_err(|e| e.locate(src))?;
        Ok(Parser {
            src,
            toks,
            pos: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[(self.pos + n).min(last)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn prev_end(&self) -> usize {
        self.pos.checked_sub(1).map_or(0, |i| self.toks[i].span.end)
    }

    fn word_at(&self, n: usize) -> Option<&str> {
        match &self.peek_at(n).tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        self.word_at(n).is_some_and(|w| w.eq_ignore_ascii_case(kw))
    }

    fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        if hit {
            self.bump();
        }
        hit
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Span, QueryError> {
        if self.is_kw(kw) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected())
        }
    }

    fn is_punct_at(&self, n: usize, p: &str) -> bool {
        matches!(self.peek_at(n).tok, Tok::Punct(q) if q == p)
    }

    fn is_punct(&self, p: &str) -> bool {
        self.is_punct_at(0, p)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let hit = self.is_punct(p);
        if hit {
            self.bump();
        }
        hit
    }

    fn expect_punct(&mut self, p: &str) -> Result<Span, QueryError> {
        if self.is_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected())
        }
    }

    fn expect_eof(&self) -> Result<(), QueryError> {
        match self.peek().tok {
            Tok::Eof => Ok(()),
            _ => Err(self.unexpected()),
        }
    }

    /// `unexpected token: 'X'` at the current token.
    fn unexpected(&self) -> QueryError {
        let t = self.peek();
        self.error_at(format!("unexpected token: '{}'", t.text(self.src)), t.span)
    }

    fn error_at(&self, detail: impl Into<String>, span: Span) -> QueryError {
        QueryError::malformed(detail, span).locate(self.src)
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                format!("query nesting is deeper than {MAX_DEPTH} levels; simplify the condition"),
                self.peek().span,
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Any word as a name (objects, relationships, keyword arguments).
    fn any_ident(&mut self) -> Result<Ident, QueryError> {
        match &self.peek().tok {
            Tok::Word(w) => {
                let ident = Ident::parsed(w, self.peek().span);
                self.bump();
                Ok(ident)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// A dotted path; a reserved word may start a longer path (`Order.Name`) only.
    fn field_path(&mut self) -> Result<FieldPath, QueryError> {
        let start = self.peek().span;
        let mut segments = Vec::new();
        if self.is_kw("DISTINCT") && self.word_at(1).is_some() {
            return Err(self.error_at(
                "unexpected token: 'DISTINCT': SOQL has no DISTINCT; use GROUP BY on the fields to get each value once",
                start,
            ));
        }
        loop {
            let w = self.word_at(0).ok_or_else(|| self.unexpected())?;
            if is_reserved(w) && !self.is_punct_at(1, ".") {
                return Err(self.unexpected());
            }
            segments.push(self.any_ident()?);
            if !(self.is_punct(".") && self.word_at(1).is_some()) {
                break;
            }
            self.bump();
        }
        Ok(FieldPath {
            segments,
            span: start.to(Span::new(start.start, self.prev_end())),
        })
    }

    /// A field path or function call.
    fn field_expr(&mut self) -> Result<FieldExpr, QueryError> {
        if self.word_at(0).is_some() && self.is_punct_at(1, "(") {
            return Ok(FieldExpr::Call(self.call()?));
        }
        Ok(FieldExpr::Path(self.field_path()?))
    }

    fn call(&mut self) -> Result<FunctionCall, QueryError> {
        let name = self.bump();
        let word = name.text(self.src);
        let function = Function::from_name(word)
            .ok_or_else(|| self.error_at(format!("unknown function: '{word}'"), name.span))?;
        self.enter()?;
        self.expect_punct("(")?;
        let mut args = Vec::new();
        if !self.is_punct(")") {
            loop {
                args.push(self.function_arg()?);
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        self.expect_punct(")")?;
        self.leave();
        let call = FunctionCall {
            function,
            args,
            span: Span::new(name.span.start, self.prev_end()),
        };
        self.check_arguments(&call)?;
        Ok(call)
    }

    /// The argument count and kinds a function takes (`SUM()`, `COUNT(a, b)`, `MAX(SUM(x))`
    /// and `CALENDAR_YEAR()` are refused).
    fn check_arguments(&self, call: &FunctionCall) -> Result<(), QueryError> {
        let function = call.function;
        let name = function.name();
        let (min, max) = function.arity();
        let n = call.args.len();
        if n < min || n > max {
            let wanted = match (min, max) {
                (0, 1) => "no argument or one field".to_owned(),
                (1, 1) => "one argument".to_owned(),
                (a, b) if a == b => format!("{a} arguments"),
                (a, b) => format!("{a} to {b} arguments"),
            };
            return Err(self.error_at(
                format!("wrong number of arguments to {name}: it takes {wanted}, got {n}"),
                call.span,
            ));
        }
        let kind = function.kind();
        if !matches!(kind, FunctionKind::Aggregate | FunctionKind::Date) {
            return Ok(());
        }
        for arg in &call.args {
            match arg {
                FunctionArg::Literal(_) => {
                    return Err(
                        self.error_at(format!("{name} takes a field, not a value"), call.span)
                    );
                }
                FunctionArg::Field(FieldExpr::Call(inner))
                    if inner.function.kind() == FunctionKind::Aggregate =>
                {
                    return Err(self.error_at(
                        format!(
                            "aggregate functions cannot be nested: {} inside {name}",
                            inner.function.name()
                        ),
                        inner.span,
                    ));
                }
                FunctionArg::Field(_) => {}
            }
        }
        Ok(())
    }

    fn function_arg(&mut self) -> Result<FunctionArg, QueryError> {
        let literal_start = match &self.peek().tok {
            Tok::Str { .. } | Tok::Number(_) | Tok::Temporal(_) => true,
            // `Null.x` would be a path (a relationship named like a keyword).
            Tok::Word(w) => {
                ["TRUE", "FALSE", "NULL"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(w))
                    && !self.is_punct_at(1, ".")
            }
            _ => false,
        };
        if literal_start {
            let (lit, _) = self.literal(false)?;
            Ok(FunctionArg::Literal(lit))
        } else {
            Ok(FunctionArg::Field(self.field_expr()?))
        }
    }
}
