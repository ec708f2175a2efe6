//! SOQL (Salesforce Object Query Language): parser, printer, checker and evaluator.
#![warn(missing_docs)]
