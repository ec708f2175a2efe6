//! Source positions.

/// A byte range in the query text a node was parsed from.
///
/// Spans never take part in equality: two syntax trees are equal when they
/// mean the same query, wherever their text came from. That is what makes
/// `parse(print(ast)) == ast` a meaningful property. Nodes built in code
/// carry [`Span::NONE`].
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Span {
    /// The span of nodes that were not parsed from text.
    pub const NONE: Span = Span { start: 0, end: 0 };

    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A row and column as an org reports them: both 1-based, columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line number.
    pub row: usize,
    /// 1-based character column within the row.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text).
    pub fn of(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let row = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        Position { row, column }
    }
}

/// The text of row `row` (1-based) of `text`, without its line break.
pub(crate) fn line_of(text: &str, row: usize) -> &str {
    text.split('\n')
        .nth(row.saturating_sub(1))
        .map_or("", |l| l.strip_suffix('\r').unwrap_or(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_rows_and_char_columns() {
        let text = "SELECT Id\nFROM Accöunt x";
        assert_eq!(Position::of(text, 0), Position { row: 1, column: 1 });
        let x = text.rfind('x').unwrap_or_default();
        assert_eq!(Position::of(text, x), Position { row: 2, column: 14 });
        assert_eq!(line_of(text, 2), "FROM Accöunt x");
    }
}
