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
