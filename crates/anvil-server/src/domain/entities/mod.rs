//! SeaORM entities for the tables the domain services use. Migrations own the schema; these
//! mirror it.

pub mod access_token;
pub mod api_key;
pub mod audit_event;
pub mod channel;
pub mod channel_move;
pub mod invitation;
pub mod job;
pub mod membership;
pub mod one_time_token;
pub mod organisation;
pub mod project;
pub mod prompt;
pub mod prompt_set;
pub mod session;
pub mod user;
pub mod version;
pub mod webhook;
pub mod webhook_delivery;
