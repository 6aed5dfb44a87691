//! Bundles over HTTP: a set at a spec, or a project, as one `anvil.bundle/v1` document, with
//! an entity tag over its content (not the export time) and gzip when the client takes it.

use anvil_core::bundle::Bundle;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::etag::matches_if_none_match;
use super::extract::{Path, Query};
use super::json::Json;
use super::projects::ctx_of_project;
use super::versions::reader_of_set;
use crate::domain::bundles;
use crate::domain::delivery::Reader;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// A version spec (`1.2.0`, `^1.2`, `production`, `stable`, `latest`); default `stable`.
    version: Option<String>,
}

fn answer(headers: &HeaderMap, bundle: &Bundle) -> Response {
    let etag = bundles::etag(bundle);
    let mut res = if matches_if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(bundle).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    res
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/bundle",
    tag = "delivery",
    summary = "Export a prompt set as a bundle",
    description = "The set at a version spec (default `stable`) with every set it depends on at its pinned version, as one `anvil.bundle/v1` document that renders offline.",
    params(("id" = String, Path), BundleQuery),
    responses((status = 200, description = "The bundle", body = Bundle), (status = 304, description = "Not modified (If-None-Match)")),
)]
pub async fn of_set(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BundleQuery>,
) -> Result<Response, ApiError> {
    let reader = reader_of_set(&state, &auth, &id).await?;
    let b = bundles::of_set(
        &state.db,
        &reader,
        &state.base_url(),
        &id,
        q.version.as_deref(),
    )
    .await?;
    Ok(answer(&headers, &b))
}

async fn project_bundle(
    state: &AppState,
    auth: &DeliveryAuth,
    headers: &HeaderMap,
    id: &str,
    spec: Option<&str>,
) -> Result<Response, ApiError> {
    let reader = match auth {
        DeliveryAuth::Token(t, _) => Reader::Token(t.clone()),
        DeliveryAuth::Caller(c) => Reader::Member(Box::new(ctx_of_project(state, c, id).await?)),
    };
    let b = bundles::of_project(&state.db, &reader, &state.base_url(), id, spec).await?;
    Ok(answer(headers, &b))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/bundle",
    tag = "delivery",
    summary = "Export a project as a bundle",
    description = "Every prompt set of the project at a version spec (default `stable`; sets with no matching version are left out), with their channels and the sets of other projects they depend on.",
    params(("id" = String, Path), BundleQuery),
    responses((status = 200, description = "The bundle", body = Bundle), (status = 304, description = "Not modified (If-None-Match)")),
)]
pub async fn of_project(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BundleQuery>,
) -> Result<Response, ApiError> {
    project_bundle(&state, &auth, &headers, &id, q.version.as_deref()).await
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/current_bundle",
    tag = "delivery",
    summary = "Export a project as a bundle (alias)",
    description = "The same as `GET /projects/{id}/bundle`, kept for LIVE clients.",
    params(("id" = String, Path), BundleQuery),
    responses((status = 200, description = "The bundle", body = Bundle), (status = 304, description = "Not modified (If-None-Match)")),
)]
pub async fn current(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BundleQuery>,
) -> Result<Response, ApiError> {
    project_bundle(&state, &auth, &headers, &id, q.version.as_deref()).await
}

/// The largest bundle an import takes.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The project (id or slug) the bundle's own project goes into; default: the project whose
    /// slug is the bundle's `source.project`, created if missing.
    project: Option<String>,
    /// `true` reports what would happen and writes nothing.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
    /// When a version label exists here with other content: `fail` (default: 409, nothing
    /// written), `skip` (keep what is here) or `rename` (import the set under a new slug).
    #[param(value_type = Option<String>, pattern = "^(fail|skip|rename)$")]
    on_conflict: Option<String>,
    /// `skip` leaves channels as they are; by default a project bundle's channels are applied.
    #[param(value_type = Option<String>, pattern = "^(apply|skip)$")]
    channels: Option<String>,
}

/// What an import did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub report: bundles::ImportReport,
}

/// A refused import: the report of what conflicts, or an error.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Documents the two bodies a 409 can have.
pub enum ImportRefused {
    Report(Imported),
    Error(super::error::ErrorResponse<'static>),
}

fn flag(name: &str, raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(crate::domain::Error::invalid(name, "must be true or false").into()),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/bundles/import",
    tag = "delivery",
    summary = "Import a bundle",
    description = "Checks the whole bundle first (format, checksums, names, templates, parameters, dependencies present in the bundle or on this forge), then writes it in one transaction. A version that is already here with the same checksum is skipped, so importing twice changes nothing the second time. Bodies up to 32 MiB; admins and owners.",
    params(ImportQuery),
    request_body(content = Bundle, description = "An anvil.bundle/v1 document"),
    responses(
        (status = 200, description = "Imported (or, with dry_run, what would be)", body = Imported),
        (status = 409, description = "A version exists here with other content and on_conflict is fail (the report), or a name is taken (the error): nothing was written", body = ImportRefused),
    ),
)]
pub async fn import(
    State(state): State<AppState>,
    caller: super::auth::Caller,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let options = bundles::ImportOptions {
        project: q.project,
        dry_run: flag("dry_run", q.dry_run.as_deref())?,
        on_conflict: match q.on_conflict.as_deref() {
            None => bundles::OnConflict::Fail,
            Some(c) => bundles::OnConflict::parse(c)?,
        },
        channels: match q.channels.as_deref() {
            None | Some("apply") => true,
            Some("skip") => false,
            Some(_) => {
                return Err(
                    crate::domain::Error::invalid("channels", "must be apply or skip").into(),
                );
            }
        },
    };
    let ctx = super::projects::ctx(&state, &caller).await?;
    let report = bundles::import(&state.db, &state.prompts, &ctx, &body, &options).await?;
    let status = if report.conflicts.is_empty() || options.on_conflict != bundles::OnConflict::Fail
    {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((status, Json(Imported { report })).into_response())
}
