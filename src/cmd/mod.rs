//! One module per command, and what they share: the connection argument and the writer
//! of results.

pub mod connection;
pub mod connection_arg;
pub mod demo;
pub mod describe;
pub mod emulator;
pub mod objects;
pub mod output;
pub mod recipe;
pub mod soql;
pub mod sql;
pub mod sync;

/// An error and its causes on one line, each cause once: a library error's message often
/// repeats its source's text already, and printing the chain as is would say it twice or
/// three times.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
