//! Prompt sets over JSON.

use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::PageQuery;
use super::projects::{ctx, ctx_of_project};
use super::prompts::ctx_of_set;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::precondition;
use crate::domain::prompt_sets::{self, SetInput};
use crate::domain::records::prompt_set;

/// A set with its entity tag (for `If-Match` on edits), or 304.
fn read_response(headers: &HeaderMap, s: &prompt_set::Model) -> Response {
    super::etag::read_response(headers, &precondition::etag(s.updated_at), || {
        Json(One(PromptSet::from(s))).into_response()
    })
}

/// A prompt set as the API sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptSet {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// `live`, `review` or `locked`.
    pub status: String,
    /// Addresses of other sets with version specs (`common/tone@^1.0`).
    pub dependencies: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Resource for PromptSet {
    const ONE: &'static str = "prompt_set";
    const MANY: &'static str = "prompt_sets";
}

impl From<&prompt_set::Model> for PromptSet {
    fn from(s: &prompt_set::Model) -> Self {
        PromptSet {
            id: s.id.clone(),
            project_id: s.project_id.clone(),
            name: s.name.clone(),
            slug: s.slug.clone(),
            description: s.description.clone(),
            status: s.status.clone(),
            dependencies: crate::domain::dependencies::from_json(&s.dependencies),
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
        }
    }
}

/// A new prompt set. The body may also be wrapped: `{"prompt_set": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromptSet {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Derived from the name when absent.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = r"^[a-z0-9][a-z0-9._-]*$")]
    pub slug: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
    /// Addresses of other sets with version specs (`common/tone@^1.0`).
    #[serde(default)]
    pub dependencies: Option<Vec<String>>,
}

/// Changes to a prompt set: absent or null fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptSetChanges {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = r"^[a-z0-9][a-z0-9._-]*$")]
    pub slug: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
    /// Replaces the whole list.
    #[serde(default)]
    pub dependencies: Option<Vec<String>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/prompt_sets",
    tag = "prompt sets",
    summary = "Create a prompt set",
    params(("id" = String, Path)),
    request_body = NewPromptSet,
    responses((status = 201, description = "Created", body = One<PromptSet>)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_project(&state, &caller, &project_id).await?;
    let b: NewPromptSet = resource(body, "prompt_set")?;
    let input = SetInput {
        name: Some(b.name),
        slug: b.slug,
        description: b.description,
        dependencies: b.dependencies,
    };
    let s = prompt_sets::create(&state.db, &ctx, &project_id, input).await?;
    Ok((StatusCode::CREATED, Json(One(PromptSet::from(&s)))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/prompt_sets",
    tag = "prompt sets",
    summary = "List a project's prompt sets",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Prompt sets", body = List<PromptSet>)),
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
    Ok(Json(List::page(&state, &list, |s| &s.id, |r| PromptSet::from(r))).into_response())
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Prompt sets", body = List<PromptSet>)),
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
    Ok(Json(List::page(&state, &list, |s| &s.id, |r| PromptSet::from(r))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}",
    tag = "prompt sets",
    summary = "Get a prompt set",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The prompt set", body = One<PromptSet>)),
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The prompt set", body = One<PromptSet>)),
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
    request_body = PromptSetChanges,
    responses((status = 200, description = "Updated", body = One<PromptSet>)),
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
    let b: PromptSetChanges = resource(body, "prompt_set")?;
    let input = SetInput {
        name: b.name,
        slug: b.slug,
        description: b.description,
        dependencies: b.dependencies,
    };
    let s = prompt_sets::update(&state.db, &ctx, &id, precondition, input).await?;
    Ok(super::etag::with_etag(
        Json(One(PromptSet::from(&s))).into_response(),
        &precondition::etag(s.updated_at),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/prompt_sets/{id}",
    tag = "prompt sets",
    summary = "Archive a prompt set",
    params(("id" = String, Path)),
    responses((status = 204, description = "Archived")),
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

/// The new status. The body may also be wrapped: `{"prompt_set": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// `live`, `review` or `locked`.
    #[schema(pattern = r"^(live|review|locked)$")]
    pub status: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/status",
    tag = "prompt sets",
    summary = "Change a prompt set's status",
    params(("id" = String, Path)),
    request_body = StatusChange,
    responses((status = 200, description = "Status changed", body = One<PromptSet>)),
)]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: StatusChange = resource(body, "prompt_set")?;
    let ctx = ctx_of_set(&state, &caller, &id).await?;
    let s = prompt_sets::set_status(&state.db, &ctx, &id, &b.status).await?;
    Ok(Json(One(PromptSet::from(&s))).into_response())
}
