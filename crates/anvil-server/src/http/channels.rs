//! Channels over JSON: the movable pointers of a prompt set, with their history of moves.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::extract::Path;
use super::json::{Json, resource};
use super::prompts::ctx_of_set;
use super::versions::{reader_of_set, ts};
use crate::domain::channels::{self, ChannelInput, ChannelView, Move};

fn channel_json(c: &ChannelView) -> Value {
    json!({
        "id": c.channel.id,
        "prompt_set_id": c.channel.prompt_set_id,
        "name": c.channel.name,
        "version": c.label,
        "version_id": c.channel.version_id,
        "protected": c.channel.protected,
        "updated_by": c.channel.updated_by,
        "created_at": ts(c.channel.created_at),
        "updated_at": ts(c.channel.updated_at),
    })
}

fn move_json(m: &Move) -> Value {
    json!({"from": m.from, "to": m.to, "moved_by": m.moved_by, "at": ts(m.at)})
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/channels",
    tag = "channels",
    summary = "List channels",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Channels", body = super::schemas::ChannelList), super::schemas::ApiErrors),
)]
pub async fn list_channels(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Path(set_id): Path<String>,
) -> Result<Response, ApiError> {
    let reader = reader_of_set(&state, &auth, &set_id).await?;
    let list = channels::list(&state.db, &reader, &set_id).await?;
    let items: Vec<Value> = list.iter().map(channel_json).collect();
    Ok(
        Json(json!({"channels": items, "meta": {"cursor": null, "has_more": false}}))
            .into_response(),
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/prompt_sets/{id}/channels/{name}",
    tag = "channels",
    summary = "Get a channel",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The channel and its history", body = super::schemas::ChannelEnvelope), super::schemas::ApiErrors),
)]
pub async fn get_channel(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    Path((set_id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let reader = reader_of_set(&state, &auth, &set_id).await?;
    let (c, history) = channels::get(&state.db, &reader, &set_id, &name).await?;
    let mut body = channel_json(&c);
    body["history"] = history.iter().map(move_json).collect();
    Ok(Json(json!({"channel": body})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelBody {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    protected: Option<bool>,
}

#[utoipa::path(
    put,
    path = "/api/v1/prompt_sets/{id}/channels/{name}",
    tag = "channels",
    summary = "Create or move a channel",
    params(("id" = String, Path), ("name" = String, Path)),
    request_body = super::schemas::ChannelInput,
    responses((status = 201, description = "Created", body = super::schemas::ChannelEnvelope), (status = 200, description = "Moved or updated", body = super::schemas::ChannelEnvelope), super::schemas::ApiErrors),
)]
pub async fn put_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path((set_id, name)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: ChannelBody = resource(body, "channel")?;
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
    Ok((status, Json(json!({"channel": channel_json(&c)}))).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/prompt_sets/{id}/channels/{name}",
    tag = "channels",
    summary = "Delete a channel",
    params(("id" = String, Path), ("name" = String, Path)),
    responses((status = 204, description = "Deleted"), super::schemas::ApiErrors),
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
