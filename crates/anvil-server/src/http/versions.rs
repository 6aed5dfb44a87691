//! Versions, diffs, restore and channels over JSON. Version reads carry an `ETag` (content
//! checksum and yank state) and long-lived cache headers: a version's content never changes.

use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::PageQuery;
use super::prompt_sets::PromptSet;
use super::prompts::ctx_of_set;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::access::{self, OrgContext};
use crate::domain::delivery::Reader;
use crate::domain::records::version;
use crate::domain::versions::{self, VersionInput};

/// A version as the API sends it; single reads carry the set's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct Version {
    pub id: String,
    pub prompt_set_id: String,
    pub label: String,
    pub description: String,
    pub checksum: String,
    pub yanked: bool,
    pub yanked_at: Option<Timestamp>,
    pub yank_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    /// The set's content (single reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = anvil_core::snapshot::Snapshot)]
    pub snapshot: Option<Value>,
}

impl Resource for Version {
    const ONE: &'static str = "version";
    const MANY: &'static str = "versions";
}

impl Version {
    fn of(v: &version::Model, with_snapshot: bool) -> Self {
        Version {
            id: v.id.clone(),
            prompt_set_id: v.prompt_set_id.clone(),
            label: v.label.clone(),
            description: v.description.clone(),
            checksum: v.checksum.clone(),
            yanked: v.yanked_at.is_some(),
            yanked_at: v.yanked_at.map(Timestamp),
            yank_reason: v.yank_reason.clone(),
            created_by: v.created_by.clone(),
            created_at: v.created_at.into(),
            snapshot: with_snapshot.then(|| v.snapshot.clone()),
        }
    }
}

/// What changed between two versions (or a version and the working copy).
#[derive(Debug, Serialize, ToSchema)]
pub struct Diff {
    pub from: String,
    pub to: String,
    /// Set-level fields that differ (`name`, `description`, `dependencies`).
    pub fields_changed: Vec<&'static str>,
    pub prompts: Vec<anvil_core::diff::PromptDiff>,
}

/// The working copy after a restore, and the label it came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Restored {
    pub prompt_set: PromptSet,
    pub restored_from: String,
}

fn version_etag(v: &version::Model) -> String {
    let hex = v.checksum.trim_start_matches("sha256:");
    let short = hex.get(..32).unwrap_or(hex);
    super::etag::quoted(&format!(
        "{short}{}",
        if v.yanked_at.is_some() { "-y" } else { "" }
    ))
}

/// A version with its `ETag` and cache headers, or 304.
fn version_response(headers: &HeaderMap, status: StatusCode, v: &version::Model) -> Response {
    let etag = version_etag(v);
    let mut res = if status == StatusCode::OK && super::etag::matches_if_none_match(headers, &etag)
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (status, Json(One(Version::of(v, true)))).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // The content is immutable; only the yank flag can change, and it is in the ETag.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600, immutable"),
    );
    res
}

async fn ctx_of_version(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OrgContext, ApiError> {
    Ok(access::context_of(&state.db, &caller.actor, access::Resource::Version(id)).await?)
}

/// A reader of a set's published side: a member of its organisation, or an access token of
/// its project.
pub(crate) async fn reader_of_set(
    state: &AppState,
    auth: &DeliveryAuth,
    set_id: &str,
) -> Result<Reader, ApiError> {
    Ok(match auth {
        DeliveryAuth::Token(t, _) => Reader::Token(t.clone()),
        DeliveryAuth::Caller(c) => Reader::Member(Box::new(ctx_of_set(state, c, set_id).await?)),
    })
}

/// A version to cut from the working copy. The body may also be wrapped:
/// `{"version": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CutVersion {
    /// Semver; suggested from the change when absent.
    #[serde(default)]
    #[schema(
        max_length = 64,
        pattern = r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})(-(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$"
    )]
    pub label: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 10000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/versions",
    tag = "versions",
    summary = "Cut a version",
    params(("id" = String, Path)),
    request_body = CutVersion,
    responses((status = 201, description = "Cut", body = One<Version>), (status = 200, description = "The existing version with this label and content", body = One<Version>)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(set_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: CutVersion = resource(body, "version")?;
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let cut = versions::cut(
        &state.db,
        &state.prompts,
        &ctx,
        &set_id,
        VersionInput {
            label: b.label,
            description: b.description,
        },
    )
    .await?;
    let status = if cut.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(version_response(&headers, status, &cut.version))
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/versions",
    tag = "versions",
    summary = "List versions",
    params(("id" = String, Path), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Versions (without snapshots)", body = List<Version>)),
)]
pub async fn list(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Path(set_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let reader = reader_of_set(&state, &auth, &set_id).await?;
    let list = versions::list(&state.db, &reader, &set_id, &page).await?;
    Ok(Json(List::page(
        &state,
        &list,
        |v| &v.id,
        |v| Version::of(v, false),
    ))
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/versions/{label}",
    tag = "versions",
    summary = "Get a version by label",
    params(("id" = String, Path), ("label" = String, Path)),
    responses((status = 200, description = "The version", body = One<Version>), (status = 304, description = "Not modified (If-None-Match)")),
)]
pub async fn by_label(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Path((set_id, label)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let reader = reader_of_set(&state, &auth, &set_id).await?;
    let (_, v) = versions::by_label(&state.db, &reader, &set_id, &label).await?;
    Ok(version_response(&headers, StatusCode::OK, &v))
}

#[utoipa::path(
    get,
    path = "/api/v1/versions/{id}",
    tag = "versions",
    summary = "Get a version",
    params(("id" = String, Path)),
    responses((status = 200, description = "The version", body = One<Version>), (status = 304, description = "Not modified (If-None-Match)")),
)]
pub async fn get(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let reader = match &auth {
        DeliveryAuth::Token(t, _) => Reader::Token(t.clone()),
        DeliveryAuth::Caller(c) => Reader::Member(Box::new(ctx_of_version(&state, c, &id).await?)),
    };
    let (_, v) = versions::get(&state.db, &reader, &id).await?;
    Ok(version_response(&headers, StatusCode::OK, &v))
}

/// Why a version is yanked (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Yank {
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/versions/{id}/yank",
    tag = "versions",
    summary = "Yank a version",
    params(("id" = String, Path)),
    request_body = Option<Yank>,
    responses((status = 200, description = "Yanked", body = One<Version>)),
)]
pub async fn yank(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: `{"reason": "..."}`, `null` or nothing.
    let b: Yank = if body.iter().all(u8::is_ascii_whitespace) {
        Yank::default()
    } else {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::InvalidRequest(format!("the body is not valid JSON: {e}")))?;
        if v.is_null() {
            Yank::default()
        } else {
            resource(v, "yank")?
        }
    };
    let ctx = ctx_of_version(&state, &caller, &id).await?;
    let v = versions::set_yanked(&state.db, &ctx, &id, Some(b.reason.unwrap_or_default())).await?;
    Ok(version_response(&headers, StatusCode::OK, &v))
}

#[utoipa::path(
    post,
    path = "/api/v1/versions/{id}/unyank",
    tag = "versions",
    summary = "Unyank a version",
    params(("id" = String, Path)),
    responses((status = 200, description = "Unyanked", body = One<Version>)),
)]
pub async fn unyank(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_version(&state, &caller, &id).await?;
    let v = versions::set_yanked(&state.db, &ctx, &id, None).await?;
    Ok(version_response(&headers, StatusCode::OK, &v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/diff",
    tag = "versions",
    summary = "Diff two versions or a version and the working copy",
    params(("id" = String, Path), ("from" = String, Query, description = "A label or `working`"), ("to" = String, Query, description = "A label or `working`")),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Differences per prompt", body = Diff)),
)]
pub async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    Path(set_id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, ApiError> {
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return Err(crate::domain::Error::invalid(
            "from",
            "from and to are required: version labels or 'working'",
        )
        .into());
    };
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let d = versions::diff(&state.db, &ctx, &set_id, &from, &to).await?;
    Ok(Json(Diff {
        from,
        to,
        fields_changed: d.fields_changed,
        prompts: d.prompts,
    })
    .into_response())
}

/// The version whose content the working copy takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    #[schema(
        max_length = 64,
        pattern = r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})(-(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]{0,8}|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$"
    )]
    pub label: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/restore",
    tag = "versions",
    summary = "Restore a version into the working copy",
    params(("id" = String, Path)),
    request_body = Restore,
    responses((status = 200, description = "The working copy now holds the version", body = Restored)),
)]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(set_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: Restore = resource(body, "restore")?;
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let set = versions::restore(&state.db, &ctx, &set_id, &b.label).await?;
    Ok(Json(Restored {
        prompt_set: PromptSet::from(&set),
        restored_from: b.label,
    })
    .into_response())
}
