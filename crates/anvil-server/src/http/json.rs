//! A JSON body extractor whose failures use the API error format: unparseable JSON is 400,
//! wrong types and unknown fields are 422 naming the field, oversized bodies 413.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::{self, FieldError};

pub struct Json<T>(pub T);

/// The field a serde error names: `unknown field `x`` or `missing field `x`` or a
/// type error at a path.
fn field_of(message: &str) -> String {
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.split(marker).nth(1)
            && let Some(name) = rest.split('`').next()
        {
            return name.to_string();
        }
    }
    message
        .split(':')
        .next()
        .filter(|p| !p.contains(' ') && !p.is_empty())
        .unwrap_or("body")
        .to_string()
}

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Read a value first: serde fills a struct from a JSON array by position, so
        // `["Renamed", null]` would otherwise pass for `{"name": "Renamed"}`.
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(JsonRejection::JsonDataError(e)) => {
                return Err(ApiError::InvalidRequest(format!(
                    "request body is not valid JSON: {}",
                    e.body_text()
                )));
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                return Err(ApiError::InvalidRequest(format!(
                    "request body is not valid JSON: {}",
                    e.body_text()
                )));
            }
            Err(JsonRejection::MissingJsonContentType(_)) => {
                return Err(ApiError::InvalidRequest(
                    "expected a JSON body with Content-Type: application/json".to_string(),
                ));
            }
            Err(JsonRejection::BytesRejection(e)) => {
                return Err(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge("request body is larger than the limit".to_string())
                } else {
                    ApiError::InvalidRequest(e.body_text())
                });
            }
            Err(other) => return Err(ApiError::InvalidRequest(other.body_text())),
        };
        if !value.is_object() {
            return Err(ApiError::InvalidRequest(
                "request body must be a JSON object".to_string(),
            ));
        }
        if let Some(field) = nul_at(&value, String::new()) {
            return Err(domain::Error::invalid(
                &field,
                "must not contain NUL characters (\\u0000)",
            )
            .into());
        }
        deserialize(value).map(Json)
    }
}

/// The path of the first string or key that holds a NUL. No text column can store one
/// (PostgreSQL refuses it), and no prompt, name or setting needs one.
fn nul_at(value: &serde_json::Value, path: String) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\u0000")))
            } else {
                nul_at(v, join(k))
            }
        }),
        _ => None,
    }
}

/// A value into `T`, with an error naming the field (its path, or the field serde names).
fn deserialize<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if path == "." {
            field_of(&message)
        } else {
            path
        };
        domain::Error::Validation(vec![FieldError::new(&field, message)]).into()
    })
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Deserialises a request object, accepting it bare or wrapped in its singular name
/// (`{"organisation": {...}}`), with errors naming the field.
pub fn resource<T: DeserializeOwned>(body: serde_json::Value, name: &str) -> Result<T, ApiError> {
    let body = match body {
        // Unwrap only when the single member is itself an object, so that a bare body whose
        // only field shares the resource's name (`{"template": "..."}`) stays as it is.
        serde_json::Value::Object(mut m)
            if m.len() == 1 && m.get(name).is_some_and(serde_json::Value::is_object) =>
        {
            m.remove(name).unwrap_or_default()
        }
        other => other,
    };
    if !body.is_object() {
        return Err(ApiError::InvalidRequest(format!(
            "'{name}' must be a JSON object"
        )));
    }
    deserialize(body)
}
