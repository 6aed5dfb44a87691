//! API keys over JSON.

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::PageQuery;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::api_keys::{self, KeyInput};
use crate::domain::records::api_key;

/// An API key as the API sends it: its prefix, never its secret (except once, on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub organisation_id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    /// `read`, `write`, `admin`.
    pub scopes: Vec<String>,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// The key itself: only in the response that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Resource for ApiKey {
    const ONE: &'static str = "api_key";
    const MANY: &'static str = "api_keys";
}

impl From<&api_key::Model> for ApiKey {
    fn from(k: &api_key::Model) -> Self {
        ApiKey {
            id: k.id.clone(),
            organisation_id: k.organisation_id.clone(),
            user_id: k.user_id.clone(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.split(',').map(String::from).collect(),
            last_used_at: k.last_used_at.map(Timestamp),
            expires_at: k.expires_at.map(Timestamp),
            created_at: k.created_at.into(),
            key: None,
        }
    }
}

/// What a key may do: `read` (content and delivery), `write` (edit content), `admin`
/// (manage members, tokens, the organisation).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // The document's names for the scopes the domain parses.
enum ScopeName {
    Read,
    Write,
    Admin,
}

/// A new API key. The body may also be wrapped: `{"api_key": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[schema(value_type = Vec<ScopeName>)]
    pub scopes: Vec<String>,
    /// The organisation it acts in; the caller's current one when absent.
    #[serde(default)]
    pub organisation_id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<time::OffsetDateTime>,
}

#[utoipa::path(
    post,
    path = "/api/v1/api_keys",
    tag = "credentials",
    summary = "Create an API key",
    request_body = NewApiKey,
    responses((status = 201, description = "The key, shown this once", body = One<ApiKey>)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: NewApiKey = resource(body, "api_key")?;
    let new = api_keys::create(
        &state.db,
        &caller.actor,
        KeyInput {
            name: b.name,
            scopes: b.scopes,
            organisation_id: b.organisation_id,
            expires_at: b.expires_at,
        },
    )
    .await?;
    let mut key = ApiKey::from(&new.model);
    key.key = Some(new.key);
    Ok((StatusCode::CREATED, Json(One(key))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/api_keys",
    tag = "credentials",
    summary = "List API keys",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "API keys (prefixes only)", body = List<ApiKey>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    super::extract::Query(q): super::extract::Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let keys = api_keys::list(
        &state.db,
        &caller.actor,
        caller.organisation.as_deref(),
        &page,
    )
    .await?;
    Ok(Json(List::page(&state, &keys, |k| &k.id, |r| ApiKey::from(r))).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/api_keys/{id}",
    tag = "credentials",
    summary = "Revoke an API key",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked")),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_keys::revoke(&state.db, &state.key_cache, &caller.actor, &id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
