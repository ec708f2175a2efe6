//! Tokens of SOQL text.

use crate::error::QueryError;
use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name or keyword (keywords are recognized by the parser, case-insensitively).
    Word(String),
    /// A decoded string literal; `like` keeps pattern escapes (see `Literal::String`).
    /// `plain` is `None` when the text uses `\%` or `\_`, which only LIKE patterns allow.
    Str {
        plain: Option<String>,
        like: String,
    },
    /// A number as written.
    Number(String),
    /// An unquoted date or datetime as written.
    Temporal(String),
    /// Punctuation and operators: `( ) , . : = != <> < <= > >=`.
    Punct(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

impl Token {
    /// The token as the org quotes it in `unexpected token: 'X'`.
    pub(crate) fn text<'a>(&self, src: &'a str) -> &'a str {
        match self.tok {
            Tok::Eof => "<EOF>",
            _ => src.get(self.span.start..self.span.end).unwrap_or(""),
        }
    }
}

pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, QueryError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            // Currency literals such as USD5000.50: three letters then a decimal amount.
            if i - start > 3
                && b[start..start + 3].iter().all(u8::is_ascii_alphabetic)
                && b[start + 3..i].iter().all(u8::is_ascii_digit)
                && b.get(i) == Some(&b'.')
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            Tok::Word(src[start..i].to_owned())
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            lex_number_or_temporal(src, &mut i)
        } else if c == b'\'' {
            lex_string(src, &mut i)?
        } else {
            let two = src.get(i..i + 2).unwrap_or("");
            let p: &'static str = match two {
                "!=" => "!=",
                "<>" => "<>",
                "<=" => "<=",
                ">=" => ">=",
                _ => match c {
                    b'(' => "(",
                    b')' => ")",
                    b',' => ",",
                    b'.' => ".",
                    b':' => ":",
                    b'=' => "=",
                    b'<' => "<",
                    b'>' => ">",
                    _ => {
                        let ch = src[i..].chars().next().unwrap_or('?');
                        return Err(QueryError::malformed(
                            format!("unexpected token: '{ch}'"),
                            Span::new(i, i + ch.len_utf8()),
                        ));
                    }
                },
            };
            i += p.len();
            Tok::Punct(p)
        };
        out.push(Token {
            tok,
            span: Span::new(start, i),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(b.len(), b.len()),
    });
    Ok(out)
}

fn lex_number_or_temporal(src: &str, i: &mut usize) -> Tok {
    let b = src.as_bytes();
    let start = *i;
    let digits = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
    };
    if b[start] == b'-' {
        *i += 1;
    }
    digits(i);
    // A date starts with four digits and a dash; the datetime tail follows a `T`.
    if b[start] != b'-' && *i - start == 4 && b.get(*i) == Some(&b'-') {
        while *i < b.len()
            && (b[*i].is_ascii_alphanumeric() || matches!(b[*i], b'-' | b':' | b'.' | b'+'))
        {
            *i += 1;
        }
        return Tok::Temporal(src[start..*i].to_owned());
    }
    if b.get(*i) == Some(&b'.') && b.get(*i + 1).is_some_and(u8::is_ascii_digit) {
        *i += 1;
        digits(i);
    }
    if matches!(b.get(*i), Some(b'e' | b'E')) {
        let mut j = *i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            *i = j;
            digits(i);
        }
    }
    Tok::Number(src[start..*i].to_owned())
}

fn lex_string(src: &str, i: &mut usize) -> Result<Tok, QueryError> {
    let start = *i;
    let mut plain = String::new();
    let mut like = String::new();
    let mut chars = src[start + 1..].char_indices();
    // `plain_ok` turns false on `\%` or `\_`, which are legal only in LIKE patterns;
    // the parser reports that when the string is not a LIKE pattern.
    let mut plain_ok = true;
    loop {
        let Some((off, c)) = chars.next() else {
            return Err(QueryError::malformed(
                "unexpected token: <EOF>; a string literal is missing its closing quote",
                Span::new(start, src.len()),
            ));
        };
        match c {
            '\'' => {
                *i = start + 1 + off + 1;
                break;
            }
            '\\' => {
                let esc_start = start + 1 + off;
                let Some((_, e)) = chars.next() else {
                    continue;
                };
                let decoded = match e {
                    'n' | 'N' => '\n',
                    'r' | 'R' => '\r',
                    't' | 'T' => '\t',
                    'b' | 'B' => '\u{8}',
                    'f' | 'F' => '\u{c}',
                    '"' => '"',
                    '\'' => '\'',
                    '\\' => {
                        plain.push('\\');
                        like.push_str("\\\\");
                        continue;
                    }
                    '%' | '_' => {
                        plain_ok = false;
                        like.push('\\');
                        like.push(e);
                        continue;
                    }
                    'u' | 'U' => {
                        let hex: String = chars.clone().take(4).map(|(_, h)| h).collect();
                        let ch = (hex.len() == 4)
                            .then(|| u32::from_str_radix(&hex, 16).ok())
                            .flatten()
                            .and_then(char::from_u32);
                        match ch {
                            Some(ch) => {
                                for _ in 0..4 {
                                    chars.next();
                                }
                                ch
                            }
                            None => return Err(bad_escape(src, start, esc_start, e)),
                        }
                    }
                    _ => return Err(bad_escape(src, start, esc_start, e)),
                };
                plain.push(decoded);
                like.push(decoded);
            }
            c => {
                plain.push(c);
                like.push(c);
            }
        }
    }
    Ok(Tok::Str {
        plain: plain_ok.then_some(plain),
        like,
    })
}

fn bad_escape(src: &str, start: usize, esc_start: usize, e: char) -> QueryError {
    let body = &src[start + 1..];
    let literal = body.find('\'').map_or(body, |end| &body[..end]);
    QueryError::malformed(
        format!(
            "Invalid string literal '{literal}'. Illegal character sequence '\\{e}' in string literal."
        ),
        Span::new(esc_start, esc_start + 1 + e.len_utf8()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s)
            .map(|t| t.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn lexes_literals() {
        assert_eq!(
            toks("x >= -1.5e3 AND d = 2024-01-01T10:00:00.000+02:00"),
            vec![
                Tok::Word("x".into()),
                Tok::Punct(">="),
                Tok::Number("-1.5e3".into()),
                Tok::Word("AND".into()),
                Tok::Word("d".into()),
                Tok::Punct("="),
                Tok::Temporal("2024-01-01T10:00:00.000+02:00".into()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("USD5000.50")[0], Tok::Word("USD5000.50".into()));
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(
            toks(r"'a\'b\\c\n\u00e9'")[0],
            Tok::Str {
                plain: Some("a'b\\c\né".into()),
                like: "a'b\\\\c\né".into()
            }
        );
    }

    #[test]
    fn bad_escape_in_unterminated_string_with_multibyte_text() {
        // Found by the fuzzer: slicing the message text inside a character.
        let err = tokenize("Name'=cba  k\\;\\slsǧ").err();
        assert!(err.is_some_and(|e| e.detail.contains("Illegal character sequence '\\;'")));
    }

    #[test]
    fn rejects_bad_escape_with_position() {
        let err = tokenize(r"Name = 'a\qb'").err();
        assert_eq!(err.and_then(|e| e.span).map(|s| s.start), Some(9));
    }
}
