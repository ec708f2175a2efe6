//! An emulated Salesforce org: OAuth, REST, Bulk API 2.0 and SOAP on loopback.
//!
//! The org holds Account, Contact, Opportunity, Lead, Case, User and a custom `Invoice__c`,
//! filled with deterministic data from a row count and a seed, and answers the wire protocol
//! real clients speak (token endpoint, describe, query/queryAll, Bulk 2.0 query jobs, SOAP
//! login/query). Tests read its data, its request log, and inject faults.
//!
//! | Need | Call |
//! |---|---|
//! | Start an org on a free port | [`EmulatedOrg::builder`]`().rows(n).seed(s).start().await` |
//! | Where and how to connect | [`EmulatedOrg::base_url`], [`client_id`](EmulatedOrg::client_id), [`client_secret`](EmulatedOrg::client_secret), [`username`](EmulatedOrg::username), [`password`](EmulatedOrg::password), [`access_token`](EmulatedOrg::access_token), [`refresh_token`](EmulatedOrg::refresh_token) |
//! | Restricted callers | [`EmulatedOrgBuilder::client_app`] / [`EmulatedOrgBuilder::user`] with a [`Profile`] |
//! | The org's own data | [`EmulatedOrg::records`], [`EmulatedOrg::record`] ([`SObject`], [`Value`]) |
//! | Change data (moves SystemModstamp) | [`EmulatedOrg::create`], [`update`](EmulatedOrg::update), [`delete`](EmulatedOrg::delete), [`undelete`](EmulatedOrg::undelete), [`hard_delete`](EmulatedOrg::hard_delete), [`empty_recycle_bin`](EmulatedOrg::empty_recycle_bin), [`purge_delete_log`](EmulatedOrg::purge_delete_log) |
//! | What clients did | [`EmulatedOrg::requests`] ([`LoggedRequest`]), [`EmulatedOrg::clear_requests`] |
//! | Make it misbehave | [`EmulatedOrg::faults`] ([`Faults`], [`Failure`]); over HTTP under `/__emulator/` |
//!
//! ```no_run
//! # async fn demo() -> Result<(), sfdf_emulator::Error> {
//! let org = sfdf_emulator::EmulatedOrg::builder().rows(1_000).seed(42).start().await?;
//! println!("token endpoint: {}/services/oauth2/token", org.base_url());
//! println!("client id {} / secret {}", org.client_id(), org.client_secret());
//! let accounts = org.records("Account")?;
//! assert!(accounts.len() >= 1_000);
//! org.faults().expire_all_tokens();
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
#![recursion_limit = "256"]

mod auth;
mod error;
mod faults;
mod log;
mod model;
mod org;
mod server;

pub use auth::Profile;
pub use error::{Error, Result};
pub use faults::{Failure, Faults};
pub use log::{Api, LoggedRequest};
pub use model::value::Value;
pub use org::{EmulatedOrg, EmulatedOrgBuilder, ResultPagesShape, SObject};

pub(crate) use org::OrgState;
