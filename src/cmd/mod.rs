//! One module per command, and what they share: the connection argument and the writer
//! of results.

pub(crate) mod connection;
pub(crate) mod connection_arg;
pub(crate) mod demo;
pub(crate) mod describe;
pub(crate) mod emulator;
pub(crate) mod objects;
pub(crate) mod output;
pub(crate) mod recipe;
pub(crate) mod soql;
pub(crate) mod sql;
pub(crate) mod sync;

/// An error and its causes on one line, each cause once. sfdf's own errors never repeat
/// their cause (see `sfdf_connector::error`), but DataFusion's do (`External` says its
/// inner error and returns it as `source()` too), and so would anyhow's context over them.
pub(crate) fn error_text(error: &anyhow::Error) -> String {
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
