//! What applications call: `GET /resolve/{address}` and `POST /render/{address}` (or
//! `POST /render` with the address in the body). Authenticated by an API key, a session, or a
//! project access token (published versions of its project only). Answers come from the
//! delivery cache; `ETag`/`If-None-Match` give 304.

use super::extract::Path;
use std::sync::Arc;

use anvil_core::address::Address;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::wire::Timestamp;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::etag::matches_if_none_match;
use super::json::{Json, resource};
use crate::domain::access::Credential;
use crate::domain::access_tokens::{ProjectReader, TOKEN_PREFIX};
use crate::domain::delivery::{self, Reader};
use crate::domain::{self, Error};

/// Who calls a delivery route: a project access token (with its organisation's slug) or any
/// other caller.
pub enum DeliveryAuth {
    Token(ProjectReader, String),
    Caller(Caller),
}

impl FromRequestParts<AppState> for DeliveryAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(super::auth::Authenticated::AccessToken {
            reader,
            organisation_slug,
        }) = parts
            .extensions
            .get::<super::auth::Authenticated>()
            .cloned()
        {
            return Ok(DeliveryAuth::Token(reader, organisation_slug));
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|b| b.starts_with(TOKEN_PREFIX));
        if let Some(token) = token {
            return match crate::domain::access_tokens::authenticate(
                &state.db,
                &state.delivery,
                token,
            )
            .await?
            {
                Some((t, org)) => Ok(DeliveryAuth::Token(t, org)),
                None => {
                    Err(Error::Unauthenticated("invalid or revoked access token".into()).into())
                }
            };
        }
        Ok(DeliveryAuth::Caller(
            Caller::from_request_parts(parts, state).await?,
        ))
    }
}

fn parse_address(raw: &str) -> Result<Address, ApiError> {
    Address::parse(raw).map_err(|e| Error::invalid("address", e.to_string()).into())
}

/// The reader for `address`: a token of the address's organisation, or a member context in
/// the address's organisation (`@org/`, else the caller's own).
async fn reader_for(
    state: &AppState,
    auth: &DeliveryAuth,
    address: &Address,
) -> Result<Reader, ApiError> {
    reader(state, auth, address.organisation.as_deref()).await
}

/// The reader a caller reads as in `organisation` (a slug; `None`: the caller's own). A
/// token or an API key reads its own organisation only: another is not found.
pub async fn reader(
    state: &AppState,
    auth: &DeliveryAuth,
    organisation: Option<&str>,
) -> Result<Reader, ApiError> {
    let caller = match auth {
        DeliveryAuth::Token(t, org_slug) => {
            if organisation.is_some_and(|o| o != org_slug) {
                return Err(Error::NotFound("prompt set not found".into()).into());
            }
            return Ok(Reader::Token(t.clone()));
        }
        DeliveryAuth::Caller(c) => c,
    };
    let selector = organisation.or(caller.organisation.as_deref());
    let ctx = state
        .delivery
        .member_context(&state.db, &caller.actor, selector)
        .await?;
    if let (Credential::ApiKey { .. }, Some(org)) = (&caller.actor.credential, organisation)
        && ctx.organisation.slug != org
    {
        return Err(Error::NotFound("organisation not found".into()).into());
    }
    Ok(Reader::Member(Box::new(ctx)))
}

fn with_etag(mut res: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    res
}

/// The serialised answers of resolved sets, keyed by the resolution they came from: a
/// resolution never changes (a change makes a new one, with a new id), so an entry is never
/// stale, and the bound evicts what the domain's cache no longer holds.
pub struct Answers(moka::sync::Cache<(u64, Option<String>), axum::body::Bytes>);

impl Default for Answers {
    fn default() -> Self {
        Answers(moka::sync::Cache::builder().max_capacity(20_000).build())
    }
}

impl Answers {
    /// `GET /resolve` of the set, or of one of its prompts, serialised once.
    pub fn get_or_serialise(
        &self,
        resolved: &delivery::Resolved,
        prompt: Option<&delivery::ReadyPrompt>,
    ) -> axum::body::Bytes {
        let key = (resolved.build_id, prompt.map(|p| p.slug.clone()));
        self.0.get_with(key, || {
            let bytes = match prompt {
                Some(p) => serde_json::to_vec(&p.answer),
                None => serde_json::to_vec(&resolved.answer),
            };
            bytes.unwrap_or_default().into()
        })
    }
}

fn json_bytes(body: axum::body::Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/resolve/{*address}",
    tag = "delivery",
    summary = "Resolve an address",
    params(("address" = String, Path)),
    responses((status = 200, description = "A set address gives the set as a bundle entry, a prompt address the prompt", body = Resolution), (status = 304, description = "Not modified (If-None-Match)")),
)]
/// `GET /resolve/{address}`: a set address gives the set as a bundle entry, a prompt
/// address gives `{prompt}`; both with `resolved_version`, `checksum` and `yanked`.
pub async fn resolve(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let address = parse_address(&raw)?;
    let reader = reader_for(&state, &auth, &address).await?;
    let resolved = delivery::resolve(
        &state.db,
        &state.prompts,
        &state.delivery,
        &reader,
        &address,
    )
    .await?;
    let (etag, prompt) = match &address.prompt {
        None => (resolved.etag.clone(), None),
        Some(slug) => {
            let p = resolved.prompt(slug)?;
            (
                format!("{}-{slug}\"", resolved.etag.trim_end_matches('"')),
                Some(p.clone()),
            )
        }
    };
    if matches_if_none_match(&headers, &etag) {
        return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), &etag));
    }
    let body = state.answers.get_or_serialise(&resolved, prompt.as_deref());
    Ok(with_etag(json_bytes(body), &etag))
}

/// A rendered prompt, serialised straight from the resolved set.
#[derive(Serialize, ToSchema)]
#[schema(as = Rendered)]
pub struct RenderedView<'a> {
    pub rendered: &'a str,
    pub prompt: PromptRef<'a>,
    /// Null for the working copy.
    pub resolved_version: Option<&'a str>,
    pub checksum: &'a str,
    pub yanked: bool,
    /// Variables passed that the prompt does not declare.
    pub ignored_variables: &'a [String],
    pub rendered_at: Timestamp,
}

/// The prompt rendered: its working-copy id (when one exists) and slug.
#[derive(Serialize, ToSchema)]
pub struct PromptRef<'a> {
    pub id: Option<&'a str>,
    pub slug: &'a str,
}

/// What to render. The body may also be wrapped: `{"render": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// `project/set@spec/prompt`.
    pub address: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// The version a resolved set is at.
#[derive(ToSchema)]
pub struct VersionSummary {
    pub label: String,
    pub description: String,
    pub created_at: Timestamp,
    pub checksum: String,
}

/// A set as one entry of a bundle's `prompt_sets`, with how the address resolved. The
/// resolution cache holds this answer serialised; the integration tests check those bytes
/// against this schema.
#[derive(ToSchema)]
pub struct ResolvedSet {
    pub slug: String,
    pub project: String,
    pub name: String,
    pub description: String,
    /// Null for the working copy.
    pub version: Option<VersionSummary>,
    pub dependencies: Vec<anvil_core::snapshot::PinnedDependency>,
    /// Prompts by slug.
    pub prompts: std::collections::BTreeMap<String, anvil_core::snapshot::SnapshotPrompt>,
    /// Null for the working copy.
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
}

/// The set a resolved prompt belongs to.
#[derive(ToSchema)]
pub struct SetRef {
    pub project: String,
    pub slug: String,
}

/// A prompt of a resolved set, with its slug and working-copy id.
#[derive(ToSchema)]
pub struct ResolvedPromptBody {
    pub id: Option<String>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub template: String,
    pub parameters: Vec<anvil_core::params::Parameter>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    #[schema(value_type = Object)]
    pub examples: Value,
}

/// A prompt address resolved.
#[derive(ToSchema)]
pub struct ResolvedPrompt {
    pub prompt: ResolvedPromptBody,
    pub prompt_set: SetRef,
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
}

/// What `GET /resolve/{address}` answers: a set for a set address, a prompt for a prompt
/// address.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Resolution {
    Set(ResolvedSet),
    Prompt(ResolvedPrompt),
}

/// The set and prompt a prompt address names, as `reader_for` lets the caller see them: what
/// every render by address (REST and MCP) starts from.
pub async fn resolve_prompt(
    state: &AppState,
    auth: &DeliveryAuth,
    address: &Address,
) -> Result<(Arc<delivery::Resolved>, Arc<delivery::ReadyPrompt>), ApiError> {
    let Some(slug) = address.prompt.as_deref() else {
        return Err(Error::invalid(
            "address",
            "must name a prompt (project/set@spec/prompt) to render",
        )
        .into());
    };
    let reader = reader_for(state, auth, address).await?;
    let resolved =
        delivery::resolve(&state.db, &state.prompts, &state.delivery, &reader, address).await?;
    let prompt = resolved.prompt(slug)?.clone();
    Ok((resolved, prompt))
}

async fn render_address(
    state: &AppState,
    auth: &DeliveryAuth,
    raw: &str,
    variables: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let address = parse_address(raw)?;
    let (resolved, prompt) = resolve_prompt(state, auth, &address).await?;
    let prompt = &prompt;
    let r = delivery::render(&state.prompts, &resolved, prompt, variables)?;
    Ok(Json(RenderedView {
        rendered: &r.text,
        prompt: PromptRef {
            id: prompt.id.as_deref(),
            slug: &prompt.slug,
        },
        resolved_version: resolved.resolved_version.as_deref(),
        checksum: &resolved.checksum,
        yanked: resolved.yanked,
        ignored_variables: &r.ignored_variables,
        rendered_at: domain::now().into(),
    })
    .into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/render/{*address}",
    tag = "delivery",
    summary = "Render a prompt by address",
    params(("address" = String, Path)),
    request_body = super::prompts::Variables,
    responses((status = 200, description = "The rendered prompt", body = RenderedView)),
)]
/// `POST /render/{address}` with `{variables}`.
pub async fn render(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Path(raw): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: super::prompts::Variables = resource(body, "render")?;
    render_address(&state, &auth, &raw, &b.variables).await
}

#[utoipa::path(
    post,
    path = "/api/v1/render",
    tag = "delivery",
    summary = "Render a prompt, address in the body",
    request_body = RenderRequest,
    responses((status = 200, description = "The rendered prompt", body = RenderedView)),
)]
/// `POST /render` with `{address, variables}`.
pub async fn render_body(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: RenderRequest = resource(body, "render")?;
    render_address(&state, &auth, &b.address, &b.variables).await
}
