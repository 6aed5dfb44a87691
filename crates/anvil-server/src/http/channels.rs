//! Channels over JSON: the movable pointers of a prompt set, with their history of moves.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::extract::Path;
use super::json::{Json, resource};
use super::prompts::ctx_of_set;
use super::versions::reader_of_set;
use super::wire::{List, Meta, One, Resource, Timestamp};
use crate::domain::channels::{self, ChannelInput, ChannelView, Move};

/// A channel as the API sends it; a single read carries its history of moves.
#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: String,
    pub prompt_set_id: String,
    pub name: String,
    /// The label it points at.
    pub version: String,
    pub version_id: String,
    pub protected: bool,
    pub updated_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Newest move first (single reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<ChannelMove>>,
}

impl Resource for Channel {
    const ONE: &'static str = "channel";
    const MANY: &'static str = "channels";
}

impl From<&ChannelView> for Channel {
    fn from(c: &ChannelView) -> Self {
        Channel {
            id: c.channel.id.clone(),
            prompt_set_id: c.channel.prompt_set_id.clone(),
            name: c.channel.name.clone(),
            version: c.label.clone(),
            version_id: c.channel.version_id.clone(),
            protected: c.channel.protected,
            updated_by: c.channel.updated_by.clone(),
            created_at: c.channel.created_at.into(),
            updated_at: c.channel.updated_at.into(),
            history: None,
        }
    }
}

/// One move of a channel: from which label to which, by whom, when.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelMove {
    pub from: Option<String>,
    pub to: String,
    pub moved_by: Option<String>,
    pub at: Timestamp,
}

impl From<&Move> for ChannelMove {
    fn from(m: &Move) -> Self {
        ChannelMove {
            from: m.from.clone(),
            to: m.to.clone(),
            moved_by: m.moved_by.clone(),
            at: m.at.into(),
        }
    }
}

/// Where a channel points and whether it is protected. The body may also be wrapped:
/// `{"channel": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    /// The version label to point at (required to create a channel).
    #[serde(default)]
    pub version: Option<String>,
    /// Only owners and admins move a protected channel.
    #[serde(default)]
    pub protected: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/channels",
    tag = "channels",
    summary = "List channels",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Channels", body = List<Channel>)),
)]
pub async fn list_channels(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Path(set_id): Path<String>,
) -> Result<Response, ApiError> {
    let reader = reader_of_set(&state, &auth, &set_id).await?;
    let list = channels::list(&state.db, &reader, &set_id).await?;
    Ok(Json(List {
        items: list.iter().map(Channel::from).collect(),
        meta: Meta {
            cursor: None,
            has_more: false,
        },
    })
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/channels/{name}",
    tag = "channels",
    summary = "Get a channel",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The channel and its history", body = One<Channel>)),
)]
pub async fn get_channel(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Path((set_id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let reader = reader_of_set(&state, &auth, &set_id).await?;
    let (c, history) = channels::get(&state.db, &reader, &set_id, &name).await?;
    let mut channel = Channel::from(&c);
    channel.history = Some(history.iter().map(ChannelMove::from).collect());
    Ok(Json(One(channel)).into_response())
}

#[utoipa::path(
    put,
    path = "/api/v1/prompt_sets/{id}/channels/{name}",
    tag = "channels",
    summary = "Create or move a channel",
    params(("id" = String, Path), ("name" = String, Path)),
    request_body = ChannelChange,
    responses((status = 201, description = "Created", body = One<Channel>), (status = 200, description = "Moved or updated", body = One<Channel>)),
)]
pub async fn put_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path((set_id, name)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: ChannelChange = resource(body, "channel")?;
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    let (c, created) = channels::put(
        &state.db,
        &ctx,
        &set_id,
        &name,
        ChannelInput {
            version: b.version,
            protected: b.protected,
        },
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(One(Channel::from(&c)))).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/prompt_sets/{id}/channels/{name}",
    tag = "channels",
    summary = "Delete a channel",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path((set_id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = ctx_of_set(&state, &caller, &set_id).await?;
    channels::delete(&state.db, &ctx, &set_id, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
