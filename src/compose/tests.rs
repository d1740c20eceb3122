//! End-to-end tests of the public API live in `tests/compose_*.rs`; this module keeps the
//! private helpers' tests that need several modules.
