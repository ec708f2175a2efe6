//! `sfdf-connector`: connection files in, Arrow record batches of a Salesforce org's objects out.
//!
//! * [`config`] — [`Connection`]: a validated connection file (or builder), secrets redacted.
//! * [`Session`] — authenticated (OAuth client credentials, or legacy SOAP login), one HTTP
//!   client with retries, token renewal and `Sforce-Limit-Info` tracking.
//! * [`schema`] — describe → [`ObjectSchema`]: one Arrow type per Salesforce field type.
//! * [`extract`] — [`SoqlQuery`] → [`ExtractPlan`] (fixed partitions) → streams of
//!   `RecordBatch`, identical for Bulk API 2.0, SOAP and REST.
//!
//! ```no_run
//! # async fn demo() -> sfdf_connector::Result<()> {
//! use futures::TryStreamExt;
//! use sfdf_connector::{Connection, Session};
//!
//! let conn = Connection::from_yaml_file("examples/demo-connection.yaml")?;
//! let session = Session::connect(&conn).await?;
//! for object in session.objects().await? {
//!     println!("{}", object.name);
//! }
//! let query = session.query_for("Account").await?.columns(["Id", "Name"]).limit(Some(10));
//! let plan = session.plan(&query).await?;
//! let batches: Vec<_> = plan.stream().try_collect().await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod api;
pub mod check;
pub mod config;
pub mod error;
pub mod extract;
pub mod provider;
pub mod schema;
mod session;
mod suggest;

pub use api::{
    ApiUsage, BulkPolling, DeletedRecord, DeletedRecords, RetryConfig, wait_for_job_cleanup,
};
pub use check::{CheckStep, ConnectionReport, StepStatus, test_connection};
pub use config::{
    ApiType, ApiVersion, AuthType, CaBundle, Connection, ConnectionBuilder, Credentials,
    HttpSettings, Limits, ObjectSelection, SyncSettings,
};
pub use error::{ConfigIssue, Error, IssueKind, JobState, Result, TransportError};
pub use extract::{BatchStream, ExtractPlan, PlanOptions, SoqlQuery, SortKey};
pub use schema::{CompoundRole, FieldInfo, ObjectInfo, ObjectSchema, SkippedField};
pub use session::{Identity, Session};
