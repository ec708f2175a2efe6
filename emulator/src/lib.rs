//! An emulated Salesforce org: OAuth, REST, Bulk API 2.0 and SOAP on loopback.
#![warn(missing_docs)]
