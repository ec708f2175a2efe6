//! Integration tests of the connector against the emulated org (one test binary).

mod check;
mod common;
mod discovery;
mod extract;
mod factory;
mod faults;
mod filters;
mod layers;
mod limits;
mod windows;
