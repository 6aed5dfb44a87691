//! Project access tokens over JSON.

use super::extract::{Path, Query};
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
use crate::db::entities::access_token;
use crate::domain::access_tokens;

fn token_json(t: &access_token::Model) -> Value {
    let ts = |x: time::OffsetDateTime| x.format(&Rfc3339).unwrap_or_default();
    json!({
        "id": t.id,
        "project_id": t.project_id,
        "name": t.name,
        "prefix": t.prefix,
        "last_used_at": t.last_used_at.map(ts),
        "created_at": ts(t.created_at),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/access_tokens",
    tag = "credentials",
    summary = "Create a project access token",
    params(("id" = String, Path)),
    request_body = super::schemas::NameBody,
    responses((status = 201, description = "The token, shown this once", body = super::schemas::AccessTokenEnvelope), super::schemas::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: TokenBody = resource(body, "access_token")?;
    let new = access_tokens::create(&state.db, &caller.actor, &project_id, &b.name).await?;
    let mut v = token_json(&new.model);
    v["token"] = json!(new.token);
    Ok((StatusCode::CREATED, Json(json!({"access_token": v}))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/access_tokens",
    tag = "credentials",
    summary = "List a project's access tokens",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Live tokens", body = super::schemas::AccessTokenList), super::schemas::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let list = access_tokens::list(&state.db, &caller.actor, &project_id, &page).await?;
    Ok(Json(list_body(
        &state,
        "access_tokens",
        &list,
        |t| &t.id,
        token_json,
    ))
    .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/access_tokens/{id}",
    tag = "credentials",
    summary = "Revoke an access token",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), super::schemas::ApiErrors),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    access_tokens::revoke(&state.db, &caller.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
