//! The corpus in tests/data/corpus.txt: valid and invalid real-world-style queries.

use soql::{ErrorCode, Position, check, parse};

const CORPUS: &str = include_str!("data/corpus.txt");

fn position(spec: &str) -> Position {
    let (row, column) = spec.split_once(':').unwrap_or(("0", "0"));
    Position {
        row: row.parse().unwrap_or(0),
        column: column.parse().unwrap_or(0),
    }
}

#[test]
fn corpus_has_300_queries_and_every_one_behaves() {
    let org = crate::metadata::org();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in CORPUS.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        count += 1;
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "ok" | "check-ok" => match parse(rest) {
                Ok(q) => {
                    let printed = q.to_string();
                    match parse(&printed) {
                        Ok(again) if again == q && again.to_string() == printed => {}
                        Ok(_) => {
                            failures.push(format!("round trip changed: {rest}\n  -> {printed}"))
                        }
                        Err(e) => failures.push(format!("printed text fails: {printed}\n{e}")),
                    }
                    if kind == "check-ok"
                        && let Err(e) = check(&q, &org)
                    {
                        failures.push(format!("checker rejects {rest}: {}", e.locate(rest)));
                    }
                }
                Err(e) => failures.push(format!("should parse: {rest}\n{e}")),
            },
            "err" => {
                let (at, query) = rest.split_once(' ').unwrap_or(("", rest));
                match parse(query) {
                    Ok(q) => failures.push(format!("should fail: {query}\n  parsed as {q}")),
                    Err(e) => {
                        if e.code != ErrorCode::MalformedQuery || e.position() != Some(position(at))
                        {
                            failures.push(format!(
                                "wrong error for {query}: want {at}, got {:?} {}",
                                e.position(),
                                e
                            ));
                        }
                        if !e
                            .to_string()
                            .contains(&format!("ERROR at Row:{}", at.replace(':', ":Column:")))
                        {
                            failures.push(format!("message lacks position for {query}: {e}"));
                        }
                    }
                }
            }
            "check" => {
                let mut parts = rest.splitn(3, ' ');
                let (at, code, query) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                );
                match soql::check_text(query, &org) {
                    Ok(_) => failures.push(format!("checker should reject: {query}")),
                    Err(e) => {
                        if e.error_code() != code || e.position() != Some(position(at)) {
                            failures.push(format!(
                                "wrong check error for {query}: want {code} {at}, got {} {:?} {}",
                                e.error_code(),
                                e.position(),
                                e
                            ));
                        }
                    }
                }
            }
            other => failures.push(format!("unknown corpus line kind {other}")),
        }
    }
    assert!(count >= 300, "corpus has only {count} queries");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
