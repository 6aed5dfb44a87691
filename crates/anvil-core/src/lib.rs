//! What every part of Anvil must agree on, without IO: how prompts are addressed
//! (`@org/project/set@^1.2/prompt`), which version a spec resolves to, and what a slug is.
//! The server, the SDK and the CLI all use these functions, so they cannot disagree.

pub mod address;
pub mod bundle;
pub mod canonical;
pub mod diff;
pub mod params;
pub mod partials;
pub mod render;
pub mod slug;
pub mod snapshot;
pub mod version;

pub use address::{Address, AddressError};
pub use version::{Candidate, Label, Resolution, ResolveError, VersionSpec};
