//! The layer every request passes: request id (echoed or generated), one log line, metrics,
//! and the request id written into error bodies.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::ErrorBody;

pub const REQUEST_ID: &str = "x-request-id";

/// State-changing methods on routes that never write.
const READ_ONLY_POSTS: [&str; 4] = [
    "/api/v1/render/{*address}",
    "/api/v1/render",
    "/api/v1/prompts/{id}/render",
    "/api/v1/templates/validate",
];

/// The id of the request being handled, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| s.to_string())
}

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(acceptable_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let uri = req.uri().clone();
    let mutating = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );

    let mut res = next.run(req).await;

    let label = res.extensions_mut().remove::<RouteLabel>();
    let route = label.as_ref().map_or("unmatched", |r| r.0.as_str());

    // Apply what this request committed to the caches before the answer leaves, so the
    // caller (and anyone after) never reads a stale resolve on this instance. Renders and
    // validations write nothing: skipping them keeps the render hot path off the database.
    // A refused write committed nothing, so it has nothing to apply. The web UI's forms
    // answer a write with a redirect (303), which counts as done.
    if mutating
        && (res.status().is_success() || res.status().is_redirection())
        && !READ_ONLY_POSTS.contains(&route)
        && let Err(e) = state.feed.catch_up(&state.db).await
    {
        tracing::error!(request_id = %id, error = %e, "applying committed events failed");
    }

    if let Some(mut body) = res.extensions_mut().remove::<ErrorBody>() {
        body.request_id = id.clone();
        *res.body_mut() = Body::from(body.to_json());
        res.headers_mut().remove(header::CONTENT_LENGTH);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(method.as_str(), route, status, elapsed.as_secs_f64());
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %uri.path(),
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    res
}

/// The matched route pattern, carried on the response for the outer layer's metrics (set by
/// the route layer in `limits`, the one middleware that runs where the pattern is known).
#[derive(Debug, Clone)]
pub(crate) struct RouteLabel(pub MatchedPath);
