//! `sfdf sql`, `sfdf demo` and the SQL library against the emulated org.

mod aggregates;
mod cli;
mod docs;
mod join_keys;
mod messages;
mod pushdown;
mod results;
mod topn;
mod windows;
