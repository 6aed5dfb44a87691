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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let message = e.body_text();
                let message = message
                    .split_once(": ")
                    .map_or(message.as_str(), |(_, m)| m)
                    .to_string();
                let field = field_of(&message);
                Err(domain::Error::Validation(vec![FieldError::new(&field, message)]).into())
            }
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::InvalidRequest(format!(
                "request body is not valid JSON: {}",
                e.body_text()
            ))),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::InvalidRequest(
                "expected a JSON body with Content-Type: application/json".to_string(),
            )),
            Err(JsonRejection::BytesRejection(e)) => {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(ApiError::PayloadTooLarge(
                        "request body is larger than the limit".to_string(),
                    ))
                } else {
                    Err(ApiError::InvalidRequest(e.body_text()))
                }
            }
            Err(other) => Err(ApiError::InvalidRequest(other.body_text())),
        }
    }
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
    serde_path_to_error::deserialize(body).map_err(|e| {
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
