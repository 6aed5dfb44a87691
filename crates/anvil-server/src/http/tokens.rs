//! Project access tokens over JSON.

use super::extract::{Path, Query};
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
use crate::domain::access_tokens;
use crate::domain::records::access_token;

/// A project access token as the API sends it: its prefix, never its secret (except once,
/// on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessToken {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub prefix: String,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// The token itself: only in the response that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Resource for AccessToken {
    const ONE: &'static str = "access_token";
    const MANY: &'static str = "access_tokens";
}

impl From<&access_token::Model> for AccessToken {
    fn from(t: &access_token::Model) -> Self {
        AccessToken {
            id: t.id.clone(),
            project_id: t.project_id.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            last_used_at: t.last_used_at.map(Timestamp),
            created_at: t.created_at.into(),
            token: None,
        }
    }
}

/// A new access token. The body may also be wrapped: `{"access_token": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccessToken {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/access_tokens",
    tag = "credentials",
    summary = "Create a project access token",
    params(("id" = String, Path)),
    request_body = NewAccessToken,
    responses((status = 201, description = "The token, shown this once", body = One<AccessToken>)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: NewAccessToken = resource(body, "access_token")?;
    let new = access_tokens::create(&state.db, &caller.actor, &project_id, &b.name).await?;
    let mut token = AccessToken::from(&new.model);
    token.token = Some(new.token);
    Ok((StatusCode::CREATED, Json(One(token))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/access_tokens",
    tag = "credentials",
    summary = "List a project's access tokens",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Live tokens", body = List<AccessToken>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let list = access_tokens::list(&state.db, &caller.actor, &project_id, &page).await?;
    Ok(Json(List::page(
        &state,
        &list,
        |t| &t.id,
        |r| AccessToken::from(r),
    ))
    .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/access_tokens/{id}",
    tag = "credentials",
    summary = "Revoke an access token",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked")),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    access_tokens::revoke(&state.db, &caller.actor, &id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
