//! One module per command.

pub mod connection;
pub mod demo;
pub mod describe;
pub mod emulator;
pub mod objects;
pub mod recipe;
pub mod soql;
pub mod sql;
