//! The soql crate's integration tests (one binary).

mod builder;
mod check;
mod corpus;
mod errors;
mod eval;
mod limits;
mod metadata;
mod parse;
mod roundtrip;
