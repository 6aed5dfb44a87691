//! Integration tests of the engine through its public API (one test binary for the crate).

mod golden;
