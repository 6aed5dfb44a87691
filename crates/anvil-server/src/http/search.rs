//! `GET /search?q=`: the caller's organisation's projects, prompt sets and prompts.

use super::extract::Query;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::Json;
use super::pagination::{PageQuery, sign};
use super::projects::ctx;
use super::wire::{List, Meta, Resource};
use crate::domain::search;

/// One thing the search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `project`, `prompt_set` or `prompt`.
    pub r#type: String,
    pub id: String,
    pub name: String,
    pub slug: String,
    pub address: String,
    /// The matching text, matches marked with `**`.
    pub snippet: String,
}

impl Resource for SearchHit {
    const ONE: &'static str = "result";
    const MANY: &'static str = "results";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    summary = "Search names, descriptions and templates",
    params(("q" = String, Query, description = "Words to find; each must match the start of a word"), super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Hits, best first", body = List<SearchHit>)),
)]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    // The cursor is a signed offset: ranked results have no stable key to continue after.
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page(&state)?;
    let offset = match page.after.as_deref() {
        Some(o) => o
            .parse::<u64>()
            .map_err(|_| ApiError::InvalidRequest("cursor is invalid".into()))?,
        None => 0,
    };
    let limit = page.limit.min(search::MAX_LIMIT);
    let ctx = ctx(&state, &caller).await?;
    let (hits, more) =
        search::search(&state.db, &ctx, q.q.as_deref().unwrap_or(""), offset, limit).await?;
    let cursor = more.then(|| sign(&state, &(offset + hits.len() as u64).to_string()));
    let items = hits
        .into_iter()
        .map(|h| SearchHit {
            r#type: h.kind,
            id: h.id,
            name: h.name,
            slug: h.slug,
            address: h.address,
            snippet: h.snippet,
        })
        .collect();
    Ok(Json(List {
        items,
        meta: Meta {
            cursor,
            has_more: more,
        },
    })
    .into_response())
}
