//! End-to-end tests of the `sfdf` command and library against the emulated org.
//! One test binary on purpose: each extra binary re-links DataFusion. Modules live in
//! folders so Cargo does not build each file as a test binary of its own.

mod cli;
mod errors;
mod recipes;
mod sql;
mod support;
mod sync;
