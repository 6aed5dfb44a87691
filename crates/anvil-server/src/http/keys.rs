//! API keys over JSON.

use super::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::{PageQuery, list_body};
use crate::db::entities::api_key;
use crate::domain::api_keys::{self, KeyInput};

fn ts(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn key_json(k: &api_key::Model) -> Value {
    json!({
        "id": k.id,
        "organisation_id": k.organisation_id,
        "user_id": k.user_id,
        "name": k.name,
        "prefix": k.prefix,
        "scopes": k.scopes.split(',').collect::<Vec<_>>(),
        "last_used_at": k.last_used_at.map(ts),
        "expires_at": k.expires_at.map(ts),
        "created_at": ts(k.created_at),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    name: String,
    scopes: Vec<String>,
    #[serde(default)]
    organisation_id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
}

#[utoipa::path(
    post,
    path = "/api/v1/api_keys",
    tag = "credentials",
    summary = "Create an API key",
    request_body = super::schemas::ApiKeyInput,
    responses((status = 201, description = "The key, shown this once", body = super::schemas::ApiKeyEnvelope), super::schemas::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: KeyBody = resource(body, "api_key")?;
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
    let mut v = key_json(&new.model);
    v["key"] = json!(new.key);
    Ok((StatusCode::CREATED, Json(json!({"api_key": v}))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/api_keys",
    tag = "credentials",
    summary = "List API keys",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "API keys (prefixes only)", body = super::schemas::ApiKeyList), super::schemas::ApiErrors),
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
    let body = list_body(&state, "api_keys", &keys, |k| &k.id, key_json);
    Ok(Json(body).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/api_keys/{id}",
    tag = "credentials",
    summary = "Revoke an API key",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), super::schemas::ApiErrors),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_keys::revoke(&state.db, &state.key_cache, &caller.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
