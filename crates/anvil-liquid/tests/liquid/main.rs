//! Integration tests of the engine through its public API (one test binary for the crate).

// Test and benchmark code may panic on broken expectations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod golden;
mod limits;
mod properties;
mod reference;
mod strict;

use anvil_liquid::{Engine, Error, UndefinedMode, Value};

/// Parses and renders `src` with JSON `data`, no partials.
pub fn render(
    engine: &Engine,
    src: &str,
    data: serde_json::Value,
    mode: UndefinedMode,
) -> Result<String, Error> {
    let t = engine.parse(src)?;
    engine.render(&t, &Value::from(data), &(), mode)
}
