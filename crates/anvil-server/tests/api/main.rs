//! HTTP integration tests of the forge: one test binary, a fresh server and database per test.
//! SQLite by default; PostgreSQL when `ANVIL_TEST_POSTGRES_URL` is set.

// Test code may panic on broken expectations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_tokens;
mod accounts;
mod api_keys;
mod archive;
mod bad_input;
mod bundles;
mod composition;
mod contract;
mod delivery;
mod events;
mod hardening;
mod helpers;
mod http_behaviour;
mod mail;
mod openapi;
mod ops;
mod organisations;
mod projects;
mod prompt_sets;
mod prompts;
mod search;
mod templates;
mod tokens;
mod versions;
mod web;
mod webhooks;
