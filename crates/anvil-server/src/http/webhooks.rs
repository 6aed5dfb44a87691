//! Webhooks over JSON (admins and owners): the receivers of the organisation's events, and
//! the log of every delivery attempt.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::extract::{Path, Query};
use super::json::{Json, resource};
use super::pagination::PageQuery;
use super::projects::ctx;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::records::{webhook, webhook_delivery};
use crate::domain::webhooks::{self, WebhookInput};

/// A webhook as the API sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Event types and prefixes (`channel.*`) it receives.
    pub event_types: Vec<String>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The signing secret: only in the response that creates the webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Resource for Webhook {
    const ONE: &'static str = "webhook";
    const MANY: &'static str = "webhooks";
}

impl From<&webhook::Model> for Webhook {
    fn from(w: &webhook::Model) -> Self {
        Webhook {
            id: w.id.clone(),
            url: w.url.clone(),
            event_types: serde_json::from_value(w.event_types.clone()).unwrap_or_default(),
            active: w.active,
            created_at: w.created_at.into(),
            updated_at: w.updated_at.into(),
            secret: None,
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: i64,
    pub event_type: String,
    /// 1 for the first try.
    pub attempt: i64,
    /// The receiver's status, when it answered.
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub created_at: Timestamp,
}

impl Resource for Delivery {
    const ONE: &'static str = "delivery";
    const MANY: &'static str = "deliveries";
}

impl From<&webhook_delivery::Model> for Delivery {
    fn from(d: &webhook_delivery::Model) -> Self {
        Delivery {
            id: d.id.clone(),
            event_id: d.event_id,
            event_type: d.event_type.clone(),
            attempt: d.attempt,
            status_code: d.status_code,
            duration_ms: d.duration_ms,
            error: d.error.clone(),
            created_at: d.created_at.into(),
        }
    }
}

/// A new webhook. The body may also be wrapped: `{"webhook": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// http or https; not a loopback, link-local or private address unless the forge allows
    /// that host.
    #[schema(max_length = 2000)]
    pub url: String,
    /// Event types (`channel.moved`) or prefixes (`version.*`).
    pub event_types: Vec<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a webhook: absent or null fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChanges {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    summary = "Create a webhook",
    description = "Every event of the organisation whose type it subscribes to is POSTed to the URL as JSON (the event envelope), signed `X-Anvil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">` with the secret this response shows once. Failed deliveries are retried with exponential backoff.",
    request_body = NewWebhook,
    responses((status = 201, description = "Created, with its secret", body = One<Webhook>)),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: NewWebhook = resource(body, "webhook")?;
    let ctx = ctx(&state, &caller).await?;
    let new = webhooks::create(
        &state.db,
        &ctx,
        &state.secret_key,
        &state.config.webhook_allowed_hosts,
        WebhookInput {
            url: Some(b.url),
            event_types: Some(b.event_types),
            active: b.active,
        },
    )
    .await?;
    let mut view = Webhook::from(&new.model);
    view.secret = Some(new.secret);
    Ok((StatusCode::CREATED, Json(One(view))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    summary = "List webhooks",
    params(PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Webhooks (no secrets)", body = List<Webhook>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx(&state, &caller).await?;
    let list = webhooks::list(&state.db, &ctx, &page).await?;
    Ok(Json(List::page(&state, &list, |w| &w.id, |w| Webhook::from(w))).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    summary = "Update a webhook",
    params(("id" = String, Path)),
    request_body = WebhookChanges,
    responses((status = 200, description = "Updated", body = One<Webhook>)),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: WebhookChanges = resource(body, "webhook")?;
    let ctx = ctx(&state, &caller).await?;
    let w = webhooks::update(
        &state.db,
        &ctx,
        &state.config.webhook_allowed_hosts,
        &id,
        WebhookInput {
            url: b.url,
            event_types: b.event_types,
            active: b.active,
        },
    )
    .await?;
    Ok(Json(One(Webhook::from(&w))).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    summary = "Delete a webhook",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted: nothing more is delivered to it")),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = ctx(&state, &caller).await?;
    webhooks::delete(&state.db, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    summary = "A webhook's delivery log",
    params(("id" = String, Path), PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Delivery attempts, newest first", body = List<Delivery>)),
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = ctx(&state, &caller).await?;
    let list = webhooks::deliveries(&state.db, &ctx, &id, &page).await?;
    Ok(Json(List::page(&state, &list, |d| &d.id, |d| Delivery::from(d))).into_response())
}
