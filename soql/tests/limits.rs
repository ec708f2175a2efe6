//! The statement length limit: counted in characters, checked before sending.

use soql::{MAX_STATEMENT_CHARS, TooLong, check_length};

fn in_list(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(|i| format!("'001000000000{i:06}AAA'")).collect();
    format!("SELECT Id FROM Account WHERE Id IN ({})", ids.join(", "))
}

#[test]
fn statements_past_100000_characters_are_refused_with_length_and_object() {
    let soql = in_list(4_000);
    let n = soql.chars().count();
    assert!(n > MAX_STATEMENT_CHARS);
    let e = check_length(&soql).unwrap_err();
    assert_eq!(
        e,
        TooLong {
            chars: n,
            object: Some("Account".into())
        }
    );
    let text = e.to_string();
    assert!(text.contains(&format!("{n} characters long")), "{text}");
    assert!(text.contains("at most 100000 characters"), "{text}");
    assert_eq!(check_length(&in_list(10)), Ok(()));
}

#[test]
fn the_limit_counts_characters_not_bytes() {
    // 'é' is two bytes in UTF-8: the statement is under the limit in characters, over it
    // in bytes.
    let head = "SELECT Id FROM Account WHERE Name = '";
    let room = MAX_STATEMENT_CHARS - head.chars().count() - 1;
    let soql = format!("{head}{}'", "é".repeat(room));
    assert_eq!(soql.chars().count(), MAX_STATEMENT_CHARS);
    assert!(soql.len() > MAX_STATEMENT_CHARS);
    assert_eq!(check_length(&soql), Ok(()));
    let longer = format!("{head}{}'", "é".repeat(room + 1));
    assert_eq!(
        check_length(&longer).map_err(|e| e.chars),
        Err(MAX_STATEMENT_CHARS + 1)
    );
}

#[test]
fn an_unparsable_statement_past_the_limit_has_no_object() {
    let soql = format!("SELECT {}", "x".repeat(MAX_STATEMENT_CHARS));
    assert_eq!(check_length(&soql).unwrap_err().object, None);
}
