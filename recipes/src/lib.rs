//! sfdf-recipes: transforms declared in YAML and planned as DataFusion queries.
//!
//! The recipe model arrives with its own issue; this crate holds its place in the
//! dependency chain (`sfdf` -> `sfdf-recipes` -> `sfdf-connector` -> `soql`).
#![warn(missing_docs)]
