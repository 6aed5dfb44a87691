//! Prompts of the working copy over JSON, with `ETag` on reads and `If-Match` on updates.

use super::extract::{Path, Query};
use anvil_core::params::Parameter;
use anvil_core::render::Validation;
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
use super::projects::ctx;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::access::{self, OrgContext};
use crate::domain::prompts::{self, PromptInput, Saved};
use crate::domain::records::prompt;

/// A prompt of the working copy as the API sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Prompt {
    pub id: String,
    pub prompt_set_id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub template: String,
    pub parameters: Vec<Parameter>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    #[schema(value_type = Object)]
    pub examples: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Resource for Prompt {
    const ONE: &'static str = "prompt";
    const MANY: &'static str = "prompts";
}

impl From<&prompt::Model> for Prompt {
    fn from(p: &prompt::Model) -> Self {
        Prompt {
            id: p.id.clone(),
            prompt_set_id: p.prompt_set_id.clone(),
            name: p.name.clone(),
            slug: p.slug.clone(),
            description: p.description.clone(),
            template: p.template.clone(),
            parameters: serde_json::from_value(p.parameters.clone()).unwrap_or_default(),
            metadata: p.metadata.clone(),
            examples: p.examples.clone(),
            created_at: p.created_at.into(),
            updated_at: p.updated_at.into(),
        }
    }
}

/// What a saved template uses against what it declares.
#[derive(Debug, Serialize, ToSchema)]
pub struct Analysis {
    /// Global variables the template reads, with their static paths (`user.name`).
    pub variables: Vec<String>,
    /// Used but not declared.
    pub missing: Vec<String>,
    /// Declared but not used.
    pub unused: Vec<String>,
    /// Prompts it includes with `render`/`include`.
    pub partials: Vec<String>,
}

impl From<&Validation> for Analysis {
    fn from(v: &Validation) -> Self {
        Analysis {
            variables: v.variables.clone(),
            missing: v.missing.clone(),
            unused: v.unused.clone(),
            partials: v.partials.clone(),
        }
    }
}

/// A saved prompt with its template analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedPrompt {
    pub prompt: Prompt,
    pub analysis: Analysis,
}

fn saved_response(status: StatusCode, s: &Saved) -> Response {
    let res = (
        status,
        Json(SavedPrompt {
            prompt: Prompt::from(&s.prompt),
            analysis: Analysis::from(&s.validation),
        }),
    )
        .into_response();
    super::etag::with_etag(res, &prompts::etag(&s.prompt))
}

/// A new prompt. The body may also be wrapped: `{"prompt": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrompt {
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
    /// Liquid.
    pub template: String,
    #[serde(default)]
    pub parameters: Option<Vec<Parameter>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub examples: Option<Value>,
}

/// Changes to a prompt: absent or null fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptChanges {
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
    #[serde(default)]
    pub template: Option<String>,
    /// Replaces the whole list.
    #[serde(default)]
    pub parameters: Option<Vec<Parameter>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub examples: Option<Value>,
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
    request_body = NewPrompt,
    responses((status = 201, description = "Created, with the template analysis", body = SavedPrompt)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(set_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let b: NewPrompt = resource(body, "prompt")?;
    let input = PromptInput {
        name: Some(b.name),
        slug: b.slug,
        description: b.description,
        template: Some(b.template),
        parameters: b.parameters,
        metadata: b.metadata,
        examples: b.examples,
    };
    let saved = prompts::create(&state.db, &state.prompts, &ctx, &set_id, input).await?;
    Ok(saved_response(StatusCode::CREATED, &saved))
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/prompts",
    tag = "prompts",
    summary = "List prompts",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Prompts of the working copy", body = List<Prompt>)),
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
    Ok(Json(List::page(&state, &list, |p| &p.id, |r| Prompt::from(r))).into_response())
}

fn read_response(headers: &HeaderMap, p: &prompt::Model) -> Response {
    super::etag::read_response(headers, &prompts::etag(p), || {
        Json(One(Prompt::from(p))).into_response()
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/prompts/{id}",
    tag = "prompts",
    summary = "Get a prompt",
    params(("id" = String, Path)),
    responses((status = 200, description = "The prompt", body = One<Prompt>), (status = 304, description = "Not modified (If-None-Match)")),
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
    responses((status = 200, description = "The prompt", body = One<Prompt>), (status = 304, description = "Not modified (If-None-Match)")),
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
    request_body = PromptChanges,
    responses((status = 200, description = "Updated, with the template analysis", body = SavedPrompt)),
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
    let b: PromptChanges = resource(body, "prompt")?;
    let input = PromptInput {
        name: b.name,
        slug: b.slug,
        description: b.description,
        template: b.template,
        parameters: b.parameters,
        metadata: b.metadata,
        examples: b.examples,
    };
    let saved = prompts::update(&state.db, &state.prompts, &ctx, &id, precondition, input).await?;
    Ok(saved_response(StatusCode::OK, &saved))
}

#[utoipa::path(
    delete,
    path = "/api/v1/prompts/{id}",
    tag = "prompts",
    summary = "Delete a prompt",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")),
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

/// The variables to render with, and optionally an unsaved template and parameters to render
/// in place of the saved ones (the editor's preview). The body may also be wrapped:
/// `{"render": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Variables {
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: serde_json::Map<String, Value>,
    #[serde(default)]
    pub draft: Option<prompts::Draft>,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompts/{id}/render",
    tag = "prompts",
    summary = "Render a prompt of the working copy",
    params(("id" = String, Path)),
    request_body = Variables,
    responses((status = 200, description = "The working copy rendered", body = super::delivery::RenderedView)),
)]
/// Renders the working copy (the editor's preview and tests).
pub async fn render(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: Variables = resource(body, "render")?;
    let ctx = ctx_of_prompt(&state, &caller, &id).await?;
    let (resolved, r) = prompts::render(
        &state.db,
        &state.prompts,
        &state.delivery,
        &ctx,
        &id,
        &b.variables,
        b.draft.as_ref(),
    )
    .await?;
    let prompt = resolved.prompt_by_id(&id);
    Ok(Json(super::delivery::RenderedView {
        rendered: &r.text,
        prompt: super::delivery::PromptRef {
            id: Some(&id),
            slug: prompt.map(|p| p.slug.as_str()).unwrap_or_default(),
        },
        resolved_version: None,
        checksum: &resolved.checksum,
        yanked: false,
        ignored_variables: &r.ignored_variables,
        rendered_at: crate::domain::now().into(),
    })
    .into_response())
}
