//! End-to-end tests of the `sfdf` command and library against the emulated org.
//! One test binary on purpose: each extra binary re-links DataFusion.
