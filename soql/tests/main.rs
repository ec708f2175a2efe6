//! The soql crate's integration tests (one binary).

mod corpus;
mod errors;
mod metadata;
mod parse;
mod roundtrip;
