//! Prompts of the working copy over JSON, with `ETag` on reads and `If-Match` on updates.

use super::extract::{Path, Query};
use anvil_core::params::Parameter;
use anvil_core::render::Validation;
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
use super::projects::ctx;
use crate::db::entities::prompt;
use crate::domain::access::{self, OrgContext};
use crate::domain::prompts::{self, PromptInput, Saved};

fn prompt_json(p: &prompt::Model) -> Value {
    let ts = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    json!({
        "id": p.id,
        "prompt_set_id": p.prompt_set_id,
        "name": p.name,
        "slug": p.slug,
        "description": p.description,
        "template": p.template,
        "parameters": p.parameters,
        "metadata": p.metadata,
        "examples": p.examples,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
    })
}

fn analysis_json(v: &Validation) -> Value {
    json!({
        "variables": v.variables,
        "missing": v.missing,
        "unused": v.unused,
        "partials": v.partials,
    })
}

fn saved_response(status: StatusCode, s: &Saved) -> Response {
    let res = (
        status,
        Json(json!({"prompt": prompt_json(&s.prompt), "analysis": analysis_json(&s.validation)})),
    )
        .into_response();
    super::etag::with_etag(res, &prompts::etag(&s.prompt))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    parameters: Option<Vec<Parameter>>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    examples: Option<Value>,
}

fn input(body: Value) -> Result<PromptInput, ApiError> {
    let b: PromptBody = resource(body, "prompt")?;
    Ok(PromptInput {
        name: b.name,
        slug: b.slug,
        description: b.description,
        template: b.template,
        parameters: b.parameters,
        metadata: b.metadata,
        examples: b.examples,
    })
}

pub(crate) async fn ctx_of_set(
    state: &AppState,
    caller: &Caller,
    set_id: &str,
) -> Result<OrgContext, ApiError> {
    Ok(access::context_of(
        &state.db,
        &caller.actor,
        access::Resource::PromptSet(set_id),
    )
    .await?)
}

async fn ctx_of_prompt(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OrgContext, ApiError> {
    Ok(access::context_of(&state.db, &caller.actor, access::Resource::Prompt(id)).await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/prompts",
    tag = "prompts",
    summary = "Create a prompt",
    params(("id" = String, Path)),
    request_body = super::schemas::PromptInput,
    responses((status = 201, description = "Created, with the template analysis", body = super::schemas::PromptEnvelope), super::schemas::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(set_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let saved = prompts::create(&state.db, &state.prompts, &ctx, &set_id, input(body)?).await?;
    Ok(saved_response(StatusCode::CREATED, &saved))
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/prompts",
    tag = "prompts",
    summary = "List prompts",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Prompts of the working copy", body = super::schemas::PromptList), super::schemas::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(set_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let list = prompts::list(&state.db, &ctx, &set_id, &page).await?;
    Ok(Json(list_body(&state, "prompts", &list, |p| &p.id, prompt_json)).into_response())
}

fn read_response(headers: &HeaderMap, p: &prompt::Model) -> Response {
    super::etag::read_response(headers, &prompts::etag(p), || {
        Json(json!({"prompt": prompt_json(p)})).into_response()
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/prompts/{id}",
    tag = "prompts",
    summary = "Get a prompt",
    params(("id" = String, Path)),
    responses((status = 200, description = "The prompt", body = super::schemas::PromptEnvelope), (status = 304, description = "Not modified (If-None-Match)"), super::schemas::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_prompt(&state, &caller, &id).await?;
    let p = prompts::get(&state.db, &ctx, &id).await?;
    Ok(read_response(&headers, &p))
}

#[utoipa::path(
    get,
    path = "/api/v1/prompts/by_address/{project}/{set}/{prompt}",
    tag = "prompts",
    summary = "Get a prompt by address",
    params(("project" = String, Path), ("set" = String, Path), ("prompt" = String, Path)),
    responses((status = 200, description = "The prompt", body = super::schemas::PromptEnvelope), (status = 304, description = "Not modified (If-None-Match)"), super::schemas::ApiErrors),
)]
pub async fn by_address(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((project, set, prompt)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx(&state, &caller).await?;
    let (_, p) = prompts::by_address(&state.db, &ctx, &project, &set, &prompt).await?;
    Ok(read_response(&headers, &p))
}

#[utoipa::path(
    patch,
    path = "/api/v1/prompts/{id}",
    tag = "prompts",
    summary = "Update a prompt (If-Match for optimistic concurrency)",
    params(("id" = String, Path)),
    request_body = super::schemas::PromptInput,
    responses((status = 200, description = "Updated, with the template analysis", body = super::schemas::PromptEnvelope), super::schemas::ApiErrors),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_prompt(&state, &caller, &id).await?;
    let precondition = super::etag::if_match(&headers);
    let saved = prompts::update(
        &state.db,
        &state.prompts,
        &ctx,
        &id,
        precondition,
        input(body)?,
    )
    .await?;
    Ok(saved_response(StatusCode::OK, &saved))
}

#[utoipa::path(
    delete,
    path = "/api/v1/prompts/{id}",
    tag = "prompts",
    summary = "Delete a prompt",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), super::schemas::ApiErrors),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_prompt(&state, &caller, &id).await?;
    prompts::delete(&state.db, &ctx, &id, super::etag::if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderBody {
    #[serde(default)]
    variables: serde_json::Map<String, Value>,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompts/{id}/render",
    tag = "prompts",
    summary = "Render a prompt of the working copy",
    params(("id" = String, Path)),
    request_body = super::schemas::Variables,
    responses((status = 200, description = "The working copy rendered", body = super::schemas::Rendered), super::schemas::ApiErrors),
)]
/// Renders the working copy (the editor's preview and tests).
pub async fn render(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: RenderBody = resource(body, "render")?;
    let ctx = ctx_of_prompt(&state, &caller, &id).await?;
    let (resolved, r) = prompts::render(
        &state.db,
        &state.prompts,
        &state.delivery,
        &ctx,
        &id,
        &b.variables,
    )
    .await?;
    let prompt = resolved.prompt_by_id(&id);
    Ok(Json(json!({
        "rendered": r.text,
        "prompt": {"id": id, "slug": prompt.map(|p| p.slug.clone())},
        "resolved_version": null,
        "checksum": resolved.checksum,
        "ignored_variables": r.ignored_variables,
        "rendered_at": time::OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
    }))
    .into_response())
}
