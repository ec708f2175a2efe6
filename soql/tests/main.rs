//! The soql crate's integration tests (one binary).

mod corpus;
mod metadata;
