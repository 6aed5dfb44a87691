//! Prompt sets over JSON.

use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::{PageQuery, list_body};
use super::projects::{ctx, ctx_of_project};
use super::prompts::ctx_of_set;
use crate::db::entities::prompt_set;
use crate::domain::precondition;
use crate::domain::prompt_sets::{self, SetInput};

/// A set with its entity tag (for `If-Match` on edits), or 304.
fn read_response(headers: &HeaderMap, s: &prompt_set::Model) -> Response {
    super::etag::read_response(headers, &precondition::etag(s.updated_at), || {
        Json(json!({"prompt_set": set_json(s)})).into_response()
    })
}

pub(crate) fn set_json(s: &prompt_set::Model) -> Value {
    let ts = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    json!({
        "id": s.id,
        "project_id": s.project_id,
        "name": s.name,
        "slug": s.slug,
        "description": s.description,
        "status": s.status,
        "dependencies": s.dependencies,
        "created_at": ts(s.created_at),
        "updated_at": ts(s.updated_at),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    dependencies: Option<Vec<String>>,
}

fn input(body: Value) -> Result<SetInput, ApiError> {
    let b: SetBody = resource(body, "prompt_set")?;
    Ok(SetInput {
        name: b.name,
        slug: b.slug,
        description: b.description,
        dependencies: b.dependencies,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/prompt_sets",
    tag = "prompt sets",
    summary = "Create a prompt set",
    params(("id" = String, Path)),
    request_body = super::schemas::PromptSetInput,
    responses((status = 201, description = "Created", body = super::schemas::PromptSetEnvelope), super::schemas::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_project(&state, &caller, &project_id).await?;
    let s = prompt_sets::create(&state.db, &ctx, &project_id, input(body)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"prompt_set": set_json(&s)})),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/prompt_sets",
    tag = "prompt sets",
    summary = "List a project's prompt sets",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Prompt sets", body = super::schemas::PromptSetList), super::schemas::ApiErrors),
)]
pub async fn list_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx_of_project(&state, &caller, &project_id).await?;
    let list = prompt_sets::list(&state.db, &ctx, &project_id, &page).await?;
    Ok(Json(list_body(&state, "prompt_sets", &list, |s| &s.id, set_json)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    project_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets",
    tag = "prompt sets",
    summary = "List prompt sets of a project",
    params(("project_id" = String, Query, description = "The project"), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Prompt sets", body = super::schemas::PromptSetList), super::schemas::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page(&state)?;
    let project_id = q
        .project_id
        .ok_or_else(|| ApiError::InvalidRequest("project_id is required".to_string()))?;
    let ctx = ctx_of_project(&state, &caller, &project_id).await?;
    let list = prompt_sets::list(&state.db, &ctx, &project_id, &page).await?;
    Ok(Json(list_body(&state, "prompt_sets", &list, |s| &s.id, set_json)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}",
    tag = "prompt sets",
    summary = "Get a prompt set",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The prompt set", body = super::schemas::PromptSetEnvelope), super::schemas::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    let s = prompt_sets::get(&state.db, &ctx, &id).await?;
    Ok(read_response(&headers, &s))
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/by_address/{project}/{set}",
    tag = "prompt sets",
    summary = "Get a prompt set by address",
    params(("project" = String, Path), ("set" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The prompt set", body = super::schemas::PromptSetEnvelope), super::schemas::ApiErrors),
)]
pub async fn by_address(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((project, set)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(&state, &caller).await?;
    let (_, s) = prompt_sets::by_address(&state.db, &ctx, &project, &set).await?;
    Ok(read_response(&headers, &s))
}

#[utoipa::path(
    patch,
    path = "/api/v1/prompt_sets/{id}",
    tag = "prompt sets",
    summary = "Update a prompt set",
    params(("id" = String, Path)),
    request_body = super::schemas::PromptSetInput,
    responses((status = 200, description = "Updated", body = super::schemas::PromptSetEnvelope), super::schemas::ApiErrors),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    let precondition = super::etag::if_match(&headers);
    let s = prompt_sets::update(&state.db, &ctx, &id, precondition, input(body)?).await?;
    Ok(super::etag::with_etag(
        Json(json!({"prompt_set": set_json(&s)})).into_response(),
        &precondition::etag(s.updated_at),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/prompt_sets/{id}",
    tag = "prompt sets",
    summary = "Archive a prompt set",
    params(("id" = String, Path)),
    responses((status = 204, description = "Archived"), super::schemas::ApiErrors),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    prompt_sets::archive(&state.db, &ctx, &id, super::etag::if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/status",
    tag = "prompt sets",
    summary = "Change a prompt set's status",
    params(("id" = String, Path)),
    request_body = super::schemas::StatusBody,
    responses((status = 200, description = "Status changed", body = super::schemas::PromptSetEnvelope), super::schemas::ApiErrors),
)]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: StatusBody = resource(body, "prompt_set")?;
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    let s = prompt_sets::set_status(&state.db, &ctx, &id, &b.status).await?;
    Ok(Json(json!({"prompt_set": set_json(&s)})).into_response())
}
