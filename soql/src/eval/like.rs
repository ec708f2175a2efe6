//! `LIKE` matching: case-insensitive, `%` any run, `_` one character, `\` escapes.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pat {
    Any,
    One,
    Char(char),
}

fn compile(pattern: &str) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push(Pat::Any),
            '_' => out.push(Pat::One),
            '\\' => {
                if let Some(next) = chars.next() {
                    out.extend(next.to_lowercase().map(Pat::Char));
                }
            }
            c => out.extend(c.to_lowercase().map(Pat::Char)),
        }
    }
    out
}

/// Whether `text` matches the SOQL `LIKE` pattern `pattern` (in pattern
/// syntax: `\%`, `\_`, `\\` match themselves), ignoring case.
pub fn like_matches(text: &str, pattern: &str) -> bool {
    let pat = compile(pattern);
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    // Greedy matching with a single backtrack point per `%`: linear in practice,
    // O(n·m) at worst, no recursion (patterns come from users).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(Pat::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Pat::One) => {
                t += 1;
                p += 1;
            }
            Some(Pat::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|x| *x == Pat::Any)
}

#[cfg(test)]
mod tests {
    use super::like_matches;

    #[test]
    fn wildcards_case_and_escapes() {
        assert!(like_matches("Acme Corp", "acme%"));
        assert!(like_matches("Acme Corp", "%CORP"));
        assert!(like_matches("Acme", "A_me"));
        assert!(!like_matches("Acme", "A_e"));
        assert!(like_matches("50% off", r"50\% off"));
        assert!(!like_matches("50x off", r"50\% off"));
        assert!(like_matches("a_b", r"a\_b"));
        assert!(!like_matches("axb", r"a\_b"));
        assert!(like_matches(r"c:\dir", r"c:\\%"));
        assert!(like_matches("", "%"));
        assert!(!like_matches("", "_"));
        assert!(like_matches("aXbXc", "%b%c"));
    }
}
