//! The recorded Salesforce responses unit tests read (`shared/fixtures/salesforce`), named
//! once.

/// The fixture folder, with a trailing `/`.
pub(crate) const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/salesforce/"
);

/// The bytes of a fixture, by its path under [`FIXTURES`] (e.g. `soap/fault.x.xml`).
pub(crate) fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{FIXTURES}{path}");
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}
