//! Salesforce's limit on a statement's length, the same with every API type.

use std::fmt;

/// Salesforce's maximum SOQL statement length, in characters, with every API type (a
/// longer statement is answered with `MALFORMED_QUERY`).
pub const MAX_STATEMENT_CHARS: usize = 100_000;

/// A statement longer than [`MAX_STATEMENT_CHARS`], found by [`check_length`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    /// The statement's length in characters.
    pub chars: usize,
    /// Its `FROM` object, when the statement parses.
    pub object: Option<String>,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the SOQL statement is {} characters long; Salesforce accepts at most {MAX_STATEMENT_CHARS} characters per statement",
            self.chars
        )
    }
}

impl std::error::Error for TooLong {}

/// Refuses a statement longer than Salesforce accepts, before anyone sends it.
pub fn check_length(statement: &str) -> Result<(), TooLong> {
    let chars = statement.chars().count();
    if chars <= MAX_STATEMENT_CHARS {
        return Ok(());
    }
    Err(TooLong {
        chars,
        object: crate::parse(statement)
            .ok()
            .map(|q| q.from.object.name().to_string()),
    })
}
