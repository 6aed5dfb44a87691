//! Projects over JSON.

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
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::access::{self, OrgContext};
use crate::domain::precondition;
use crate::domain::projects::{self, ProjectInput};
use crate::domain::records::project;

/// A project as the API sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Project {
    pub id: String,
    pub organisation_id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Resource for Project {
    const ONE: &'static str = "project";
    const MANY: &'static str = "projects";
}

impl From<&project::Model> for Project {
    fn from(p: &project::Model) -> Self {
        Project {
            id: p.id.clone(),
            organisation_id: p.organisation_id.clone(),
            name: p.name.clone(),
            slug: p.slug.clone(),
            description: p.description.clone(),
            created_at: p.created_at.into(),
            updated_at: p.updated_at.into(),
        }
    }
}

/// A new project. The body may also be wrapped: `{"project": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
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
}

/// Changes to a project: absent or null fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectChanges {
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
}

pub(crate) async fn ctx(state: &AppState, caller: &Caller) -> Result<OrgContext, ApiError> {
    Ok(access::org_context(&state.db, &caller.actor, caller.organisation.as_deref()).await?)
}

/// The context of the organisation a project belongs to, for routes that name it by id: the
/// caller must be a member there (else 404).
pub(crate) async fn ctx_of_project(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OrgContext, ApiError> {
    Ok(access::context_of(&state.db, &caller.actor, access::Resource::Project(id)).await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/projects",
    tag = "projects",
    summary = "Create a project",
    request_body = NewProject,
    responses((status = 201, description = "Created", body = One<Project>)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx(&state, &caller).await?;
    let b: NewProject = resource(body, "project")?;
    let input = ProjectInput {
        name: Some(b.name),
        slug: b.slug,
        description: b.description,
    };
    let p = projects::create(&state.db, &ctx, input).await?;
    Ok((StatusCode::CREATED, Json(One(Project::from(&p)))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects",
    tag = "projects",
    summary = "List projects",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Projects", body = List<Project>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx(&state, &caller).await?;
    let list = projects::list(&state.db, &ctx, &page).await?;
    Ok(Json(List::page(&state, &list, |p| &p.id, |r| Project::from(r))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}",
    tag = "projects",
    summary = "Get a project",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The project", body = One<Project>)),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_project(&state, &caller, &id).await?;
    let p = projects::get(&state.db, &ctx, &id, false).await?;
    Ok(read_response(&headers, &p))
}

/// A project with its entity tag (for `If-Match` on edits), or 304.
fn read_response(headers: &HeaderMap, p: &project::Model) -> Response {
    super::etag::read_response(headers, &precondition::etag(p.updated_at), || {
        Json(One(Project::from(p))).into_response()
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/by_slug/{slug}",
    tag = "projects",
    summary = "Get a project by slug",
    params(("slug" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The project", body = One<Project>)),
)]
pub async fn by_slug(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx(&state, &caller).await?;
    let p = projects::get(&state.db, &ctx, &slug, true).await?;
    Ok(read_response(&headers, &p))
}

#[utoipa::path(
    patch,
    path = "/api/v1/projects/{id}",
    tag = "projects",
    summary = "Update a project",
    params(("id" = String, Path)),
    request_body = ProjectChanges,
    responses((status = 200, description = "Updated", body = One<Project>)),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_project(&state, &caller, &id).await?;
    let precondition = super::etag::if_match(&headers);
    let b: ProjectChanges = resource(body, "project")?;
    let input = ProjectInput {
        name: b.name,
        slug: b.slug,
        description: b.description,
    };
    let p = projects::update(&state.db, &ctx, &id, precondition, input).await?;
    Ok(super::etag::with_etag(
        Json(One(Project::from(&p))).into_response(),
        &precondition::etag(p.updated_at),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/projects/{id}",
    tag = "projects",
    summary = "Archive a project",
    params(("id" = String, Path)),
    responses((status = 204, description = "Archived")),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_project(&state, &caller, &id).await?;
    projects::archive(&state.db, &ctx, &id, super::etag::if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
