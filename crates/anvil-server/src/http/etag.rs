//! Entity tags for every API read: a GET that answers 200 without an `ETag` of its own gets
//! one from a hash of its body, and `If-None-Match` with that tag gives 304. Handlers with a
//! cheaper tag (prompts, versions, resolve) set theirs and answer 304 themselves. Bodies over
//! 4 MiB (or of unknown size) go out untagged.

use axum::body::{Body, HttpBody};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Bodies larger than this are passed through untagged rather than buffered.
const MAX_TAGGED_BODY: usize = 4 * 1024 * 1024;

/// Tags the answer to a GET of the API (called by the one route layer, `limits::limit`):
/// `wanted` is the request's `If-None-Match`.
pub async fn tag(wanted: Option<HeaderValue>, res: Response) -> Response {
    let streaming = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    // Only bodies already in memory and of a bounded size are tagged.
    let size = res.body().size_hint().exact();
    if res.status() != StatusCode::OK
        || res.headers().contains_key(header::ETAG)
        || streaming
        || size.is_none_or(|n| n > MAX_TAGGED_BODY as u64)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a response body to tag it failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let digest = Sha256::digest(&bytes);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let matches = wanted
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match_has(v, &etag));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, v);
    }
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A strong entity tag from an opaque state string.
pub fn quoted(tag: &str) -> String {
    format!("\"{tag}\"")
}

/// True when `If-None-Match` names `etag` (or `*`).
pub fn matches_if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match_has(v, etag))
}

/// True when an `If-None-Match` value lists `etag` (weak or strong) or is `*`.
pub fn if_none_match_has(value: &str, etag: &str) -> bool {
    value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The `If-Match` precondition of a request, when it has one.
pub fn if_match(headers: &HeaderMap) -> Option<crate::domain::precondition::Precondition> {
    headers
        .get(header::IF_MATCH)
        .map(|v| crate::domain::precondition::Precondition::parse(v.to_str().unwrap_or("")))
}

/// Puts `etag` on a response.
pub fn with_etag(mut res: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// A read with its own entity tag: 304 when `If-None-Match` names it, else the body.
pub fn read_response(headers: &HeaderMap, etag: &str, body: impl FnOnce() -> Response) -> Response {
    if matches_if_none_match(headers, etag) {
        return with_etag(StatusCode::NOT_MODIFIED.into_response(), etag);
    }
    with_etag(body(), etag)
}
