//! The emulated org over HTTP, the way clients see it: every endpoint, its errors and faults,
//! with shapes compared against the real-format fixtures in `shared/fixtures/salesforce`.

mod auth;
mod bulk;
mod common;
mod crud;
mod data;
mod describe;
mod faults;
mod limits;
mod query;
mod requests;
mod soap;
mod tls;
