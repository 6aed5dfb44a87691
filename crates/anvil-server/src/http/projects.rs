//! Projects over JSON.

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
use crate::db::entities::project;
use crate::domain::access::{self, OrgContext};
use crate::domain::precondition;
use crate::domain::projects::{self, ProjectInput};

pub(crate) fn project_json(p: &project::Model) -> Value {
    let ts = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    json!({
        "id": p.id,
        "organisation_id": p.organisation_id,
        "name": p.name,
        "slug": p.slug,
        "description": p.description,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn input(body: Value) -> Result<ProjectInput, ApiError> {
    let b: ProjectBody = resource(body, "project")?;
    Ok(ProjectInput {
        name: b.name,
        slug: b.slug,
        description: b.description,
    })
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
    request_body = super::schemas::ContentInput,
    responses((status = 201, description = "Created", body = super::schemas::ProjectEnvelope), super::schemas::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx(&state, &caller).await?;
    let p = projects::create(&state.db, &ctx, input(body)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"project": project_json(&p)})),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects",
    tag = "projects",
    summary = "List projects",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Projects", body = super::schemas::ProjectList), super::schemas::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx(&state, &caller).await?;
    let list = projects::list(&state.db, &ctx, &page).await?;
    Ok(Json(list_body(
        &state,
        "projects",
        &list,
        |p| &p.id,
        project_json,
    ))
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}",
    tag = "projects",
    summary = "Get a project",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The project", body = super::schemas::ProjectEnvelope), super::schemas::ApiErrors),
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
        Json(json!({"project": project_json(p)})).into_response()
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/by_slug/{slug}",
    tag = "projects",
    summary = "Get a project by slug",
    params(("slug" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The project", body = super::schemas::ProjectEnvelope), super::schemas::ApiErrors),
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
    request_body = super::schemas::ContentInput,
    responses((status = 200, description = "Updated", body = super::schemas::ProjectEnvelope), super::schemas::ApiErrors),
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
    let p = projects::update(&state.db, &ctx, &id, precondition, input(body)?).await?;
    Ok(super::etag::with_etag(
        Json(json!({"project": project_json(&p)})).into_response(),
        &precondition::etag(p.updated_at),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/projects/{id}",
    tag = "projects",
    summary = "Archive a project",
    params(("id" = String, Path)),
    responses((status = 204, description = "Archived"), super::schemas::ApiErrors),
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
