//! Versions, diffs, restore and channels over JSON. Version reads carry an `ETag` (content
//! checksum and yank state) and long-lived cache headers: a version's content never changes.

use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::AppState;
use super::auth::Caller;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::{PageQuery, list_body};
use super::prompts::ctx_of_set;
use crate::db::entities::version;
use crate::domain::access::{self, OrgContext};
use crate::domain::delivery::Reader;
use crate::domain::versions::{self, VersionInput};

pub(crate) fn ts(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn version_json(v: &version::Model, with_snapshot: bool) -> Value {
    let mut out = json!({
        "id": v.id,
        "prompt_set_id": v.prompt_set_id,
        "label": v.label,
        "description": v.description,
        "checksum": v.checksum,
        "yanked": v.yanked_at.is_some(),
        "yanked_at": v.yanked_at.map(ts),
        "yank_reason": v.yank_reason,
        "created_by": v.created_by,
        "created_at": ts(v.created_at),
    });
    if with_snapshot {
        out["snapshot"] = v.snapshot.clone();
    }
    out
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
        (status, Json(json!({"version": version_json(v, true)}))).into_response()
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CutBody {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/versions",
    tag = "versions",
    summary = "Cut a version",
    params(("id" = String, Path)),
    request_body = super::schemas::CutVersion,
    responses((status = 201, description = "Cut", body = super::schemas::VersionEnvelope), (status = 200, description = "The existing version with this label and content", body = super::schemas::VersionEnvelope), super::schemas::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(set_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: CutBody = resource(body, "version")?;
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Versions (without snapshots)", body = super::schemas::VersionList), super::schemas::ApiErrors),
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
    Ok(Json(list_body(
        &state,
        "versions",
        &list,
        |v| &v.id,
        |v| version_json(v, false),
    ))
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/versions/{label}",
    tag = "versions",
    summary = "Get a version by label",
    params(("id" = String, Path), ("label" = String, Path)),
    responses((status = 200, description = "The version", body = super::schemas::VersionEnvelope), (status = 304, description = "Not modified (If-None-Match)"), super::schemas::ApiErrors),
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
    responses((status = 200, description = "The version", body = super::schemas::VersionEnvelope), (status = 304, description = "Not modified (If-None-Match)"), super::schemas::ApiErrors),
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct YankBody {
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/versions/{id}/yank",
    tag = "versions",
    summary = "Yank a version",
    params(("id" = String, Path)),
    request_body = super::schemas::YankBody,
    responses((status = 200, description = "Yanked", body = super::schemas::VersionEnvelope), super::schemas::ApiErrors),
)]
pub async fn yank(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: `{"reason": "..."}` or nothing.
    let b: YankBody = if body.iter().all(u8::is_ascii_whitespace) {
        YankBody::default()
    } else {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::InvalidRequest(format!("the body is not valid JSON: {e}")))?;
        resource(v, "yank")?
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
    responses((status = 200, description = "Unyanked", body = super::schemas::VersionEnvelope), super::schemas::ApiErrors),
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Differences per prompt", body = super::schemas::Diff), super::schemas::ApiErrors),
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
    Ok(Json(json!({
        "from": from,
        "to": to,
        "fields_changed": d.fields_changed,
        "prompts": d.prompts,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreBody {
    label: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/prompt_sets/{id}/restore",
    tag = "versions",
    summary = "Restore a version into the working copy",
    params(("id" = String, Path)),
    request_body = super::schemas::RestoreBody,
    responses((status = 200, description = "The working copy now holds the version", body = super::schemas::Restored), super::schemas::ApiErrors),
)]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(set_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: RestoreBody = resource(body, "restore")?;
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let set = versions::restore(&state.db, &ctx, &set_id, &b.label).await?;
    Ok(
        Json(json!({"prompt_set": super::prompt_sets::set_json(&set), "restored_from": b.label}))
            .into_response(),
    )
}
