//! Errors, shaped the way an org reports them.

use std::fmt;

use crate::span::{Position, Span, line_of};

/// The org's `errorCode` for a rejected query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Syntax error.
    MalformedQuery,
    /// Unknown field or relationship, or a value of the wrong type for a field.
    InvalidField,
    /// Unknown object or child relationship.
    InvalidType,
    /// An operator the field's type does not support (`LIKE` on a number).
    InvalidQueryFilterOperator,
}

impl ErrorCode {
    /// The code as it appears in the org's JSON (`MALFORMED_QUERY`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedQuery => "MALFORMED_QUERY",
            ErrorCode::InvalidField => "INVALID_FIELD",
            ErrorCode::InvalidType => "INVALID_TYPE",
            ErrorCode::InvalidQueryFilterOperator => "INVALID_QUERY_FILTER_OPERATOR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query the org would reject, with its position.
///
/// `Display` prints exactly the org's `message`: when the position is known,
/// `"\n<row text>\n<spaces>^\nERROR at Row:R:Column:C\n<detail>"`, else just the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The org's `errorCode`.
    pub code: ErrorCode,
    /// The last line of the org's message (`unexpected token: 'FRM'`).
    pub detail: String,
    /// The bad text in the query, when known.
    pub span: Option<Span>,
    /// The field the error is about, if any (as written).
    pub field: Option<String>,
    // Boxed to keep `Result<_, QueryError>` small; filled by `locate`.
    location: Option<Box<Location>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    position: Position,
    line: String,
}

/// The error of [`parse`](crate::parse) and [`parse_where`](crate::parse_where).
pub type ParseError = QueryError;

impl QueryError {
    pub(crate) fn new(code: ErrorCode, detail: impl Into<String>, span: Option<Span>) -> Self {
        QueryError {
            code,
            detail: detail.into(),
            span,
            field: None,
            location: None,
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>, span: Span) -> Self {
        QueryError::new(ErrorCode::MalformedQuery, detail, Some(span))
    }

    pub(crate) fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Fills in row, column and the row's text from the query text the spans point into.
    pub fn locate(mut self, text: &str) -> Self {
        if let Some(span) = self.span {
            let position = Position::of(text, span.start);
            self.location = Some(Box::new(Location {
                position,
                line: line_of(text, position.row).to_owned(),
            }));
        }
        self
    }

    /// Row and column in the query text, once [`locate`](Self::locate)d.
    pub fn position(&self) -> Option<Position> {
        self.location.as_ref().map(|l| l.position)
    }

    /// The text of the query row the error is on, once located.
    pub fn line(&self) -> Option<&str> {
        self.location.as_ref().map(|l| l.line.as_str())
    }

    /// The org's `errorCode` string.
    pub fn error_code(&self) -> &'static str {
        self.code.as_str()
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location.as_deref() {
            Some(Location {
                position: pos,
                line,
            }) => write!(
                f,
                "\n{line}\n{caret:>width$}\nERROR at Row:{row}:Column:{col}\n{detail}",
                caret = "^",
                width = pos.column,
                row = pos.row,
                col = pos.column,
                detail = self.detail
            ),
            _ => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for QueryError {}

/// Why a condition could not be evaluated against a record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The record has no such field (the caller's lookup returned `None`).
    #[error("no such field '{path}' on the record; check the query with the checker first")]
    UnknownField {
        /// The path as written.
        path: String,
    },
    /// The value and the literal cannot be compared.
    #[error("cannot compare field '{path}' holding {value} with {literal}")]
    TypeMismatch {
        /// The field path.
        path: String,
        /// Kind of the record value.
        value: &'static str,
        /// Kind of the literal.
        literal: &'static str,
    },
    /// A construct the evaluator does not evaluate (aggregates, semi-joins without a resolver).
    #[error("cannot evaluate {what} here: {hint}")]
    Unsupported {
        /// The construct.
        what: String,
        /// What to do instead.
        hint: &'static str,
    },
}

/// The crate's error: a rejected query or a failed evaluation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The org would reject the query.
    #[error("{code}: {err}", code = .0.code, err = .0)]
    Query(Box<QueryError>),
    /// Evaluation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A name given to the builder is not a valid API name.
    #[error("invalid {what} '{name}': use API names like Account, Owner.Name or Amount__c")]
    InvalidName {
        /// The rejected text.
        name: String,
        /// What it was meant to be.
        what: &'static str,
    },
    /// An `IN`/`INCLUDES` list built in code is empty; SOQL has no empty list.
    #[error(
        "empty value list for '{field}': SOQL has no empty IN list; drop the condition or match nothing another way"
    )]
    EmptyList {
        /// The field the list was for.
        field: String,
    },
}

impl From<QueryError> for Error {
    fn from(err: QueryError) -> Self {
        Error::Query(Box::new(err))
    }
}

/// The message says the query error whole, so it is not also the `source()` (the
/// convention of `sfdf_connector::error`: every cause said once).
impl From<Box<QueryError>> for Error {
    fn from(err: Box<QueryError>) -> Self {
        Error::Query(err)
    }
}

impl Error {
    /// Never: the same query and data fail the same way every time.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_org_fixture() {
        let text = "SELECT Bacon__c FROM Account LIMIT 2";
        let err = QueryError::new(
            ErrorCode::InvalidField,
            "No such column 'Bacon__c' on entity 'Account'.",
            Some(Span::new(7, 15)),
        )
        .locate(text);
        assert_eq!(
            err.to_string(),
            "\nSELECT Bacon__c FROM Account LIMIT 2\n       ^\nERROR at Row:1:Column:8\nNo such column 'Bacon__c' on entity 'Account'."
        );
    }
}
