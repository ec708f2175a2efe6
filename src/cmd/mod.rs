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
