//! Sync against the emulated org: each Delta table is compared with the org's own records,
//! row for row and field for field, after every step.

mod common;
mod config;
mod faults;
mod full;
mod incremental;
mod layout;
mod reconcile;
mod settings;
