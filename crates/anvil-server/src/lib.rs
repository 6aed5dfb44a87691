//! The Anvil forge: configuration, storage, domain services and the HTTP API.

pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod server;
pub mod telemetry;

pub use config::Config;
pub use server::Forge;
