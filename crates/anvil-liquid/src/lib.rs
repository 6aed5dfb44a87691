//! Anvil's Liquid template engine.
//!
//! Pure: no IO, no global state. Partials come from a source the caller supplies.

pub mod filters;
pub mod value;

pub use filters::{FilterArgs, FilterContext, FilterRegistry};
pub use value::Value;
