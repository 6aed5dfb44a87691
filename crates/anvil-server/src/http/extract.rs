//! `Path` and `Query` extractors whose rejections use the API error format (400,
//! `invalid_request_error`, naming the parameter) instead of axum's plain-text bodies.
//! Query structs deny unknown fields, so a misspelt or repeated parameter is refused rather
//! than ignored.

use axum::extract::FromRequestParts;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub struct Path<T>(pub T);

pub struct Query<T>(pub T);

/// serde_urlencoded's message, without axum's "Failed to deserialize query string: " prefix.
fn query_message(body: &str) -> String {
    let m = body.split_once(": ").map_or(body, |(_, m)| m);
    format!("query string: {m}")
}

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::InvalidRequest(query_message(&e.body_text())))
            }
            Err(e) => Err(ApiError::InvalidRequest(query_message(&e.body_text()))),
        }
    }
}

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let message = match e.kind() {
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        format!("path parameter '{key}' is not valid UTF-8")
                    }
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::DeserializeError { key, .. } => {
                        format!("path parameter '{key}' is malformed")
                    }
                    _ => format!("path: {}", e.body_text()),
                };
                Err(ApiError::InvalidRequest(message))
            }
            Err(e) => Err(ApiError::InvalidRequest(format!("path: {}", e.body_text()))),
        }
    }
}
