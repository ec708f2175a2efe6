//! Integration tests of the connector against the emulated org (one test binary).

mod common;
mod discovery;
mod extract;
mod faults;
