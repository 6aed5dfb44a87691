//! Archived projects and prompt sets over JSON: list, restore, purge (owners).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::extract::{Path, Query};
use super::json::{Json, resource};
use super::pagination::PageQuery;
use super::projects::{Project, ctx, ctx_of_project};
use super::prompt_sets::PromptSet;
use super::prompts::ctx_of_set;
use super::wire::{List, One};
use crate::domain::archive;

/// Purging cannot be undone, so the request repeats the slug of what it purges.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Purge {
    /// The slug of the project or prompt set being purged.
    pub confirm: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/archived",
    tag = "projects",
    summary = "List archived projects (owners)",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Archived projects, not purged", body = List<Project>)),
)]
pub async fn projects(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx(&state, &caller).await?;
    let list = archive::projects(&state.db, &ctx, &page).await?;
    Ok(Json(List::page(&state, &list, |p| &p.id, |r| Project::from(r))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/prompt_sets/archived",
    tag = "prompt sets",
    summary = "List a project's archived prompt sets (owners)",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Archived prompt sets, not purged", body = List<PromptSet>)),
)]
pub async fn sets(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx_of_project(&state, &caller, &id).await?;
    let list = archive::sets(&state.db, &ctx, &id, &page).await?;
    Ok(Json(List::page(&state, &list, |s| &s.id, |r| PromptSet::from(r))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/unarchive",
    tag = "projects",
    summary = "Restore an archived project (owners)",
    params(("id" = String, Path)),
    responses((status = 200, description = "Restored", body = One<Project>)),
)]
pub async fn restore_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_project(&state, &caller, &id).await?;
    let p = archive::restore_project(&state.db, &ctx, &id).await?;
    Ok(Json(One(Project::from(&p))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/purge",
    tag = "projects",
    summary = "Purge an archived project for good (owners)",
    params(("id" = String, Path)),
    request_body = Purge,
    responses((status = 204, description = "Purged: its content is gone, its slug stays reserved")),
)]
pub async fn purge_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: Purge = resource(body, "purge")?;
    let ctx = ctx_of_project(&state, &caller, &id).await?;
    archive::purge_project(&state.db, &ctx, &id, &b.confirm).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/unarchive",
    tag = "prompt sets",
    summary = "Restore an archived prompt set (owners)",
    params(("id" = String, Path)),
    responses((status = 200, description = "Restored", body = One<PromptSet>)),
)]
pub async fn restore_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    let s = archive::restore_set(&state.db, &ctx, &id).await?;
    Ok(Json(One(PromptSet::from(&s))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/purge",
    tag = "prompt sets",
    summary = "Purge an archived prompt set for good (owners)",
    params(("id" = String, Path)),
    request_body = Purge,
    responses((status = 204, description = "Purged: its content is gone, its slug stays reserved")),
)]
pub async fn purge_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: Purge = resource(body, "purge")?;
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    archive::purge_set(&state.db, &ctx, &id, &b.confirm).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
