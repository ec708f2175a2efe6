//! sfdf-connector: connection files in, Arrow record batches of a Salesforce org's objects out.
#![warn(missing_docs)]
