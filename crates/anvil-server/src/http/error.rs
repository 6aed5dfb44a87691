//! The API error format of `api.md`: `{"error": {type, message, details, request_id}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::{self, FieldError};

#[derive(Debug)]
pub enum ApiError {
    InvalidRequest(String),
    PayloadTooLarge(String),
    Domain(domain::Error),
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        ApiError::Domain(e)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Domain(e.into())
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FieldDetail)]
pub struct Detail {
    pub field: String,
    pub message: String,
}

/// The error as the request middleware finishes it: it adds the request id and writes the
/// body, so every error carries the id that ties it to the log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ErrorObject)]
pub struct ErrorBody {
    /// `invalid_request_error`, `authentication_error`, `authorization_error`,
    /// `not_found_error`, `conflict_error`, `precondition_failed`, `payload_too_large`,
    /// `validation_error`, `rate_limit_error` or `server_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Detail>,
    pub request_id: String,
}

impl ErrorBody {
    pub fn new(kind: &'static str, message: impl Into<String>, details: Vec<Detail>) -> Self {
        ErrorBody {
            kind,
            message: message.into(),
            details,
            request_id: String::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&ErrorResponse { error: self }).unwrap_or_default()
    }
}

/// Every error: `{"error": {...}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorResponse<'a> {
    pub error: &'a ErrorBody,
}

fn details(errors: Vec<FieldError>) -> Vec<Detail> {
    errors
        .into_iter()
        .map(|e| Detail {
            field: e.field,
            message: e.message,
        })
        .collect()
}

/// Builds an error response; the request middleware fills in the request id.
pub fn error_response(status: StatusCode, body: ErrorBody) -> Response {
    let mut res = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_json(),
    )
        .into_response();
    res.extensions_mut().insert(body);
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use domain::Error as E;
        let (status, body) = match self {
            ApiError::InvalidRequest(m) => (
                StatusCode::BAD_REQUEST,
                ErrorBody::new("invalid_request_error", m, vec![]),
            ),
            ApiError::PayloadTooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody::new("payload_too_large", m, vec![]),
            ),
            ApiError::Domain(E::Validation(errors)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody::new("validation_error", "Validation failed", details(errors)),
            ),
            ApiError::Domain(E::Unauthenticated(m)) => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new("authentication_error", m, vec![]),
            ),
            ApiError::Domain(E::Forbidden(m)) => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("authorization_error", m, vec![]),
            ),
            ApiError::Domain(E::NotFound(m)) => (
                StatusCode::NOT_FOUND,
                ErrorBody::new("not_found_error", m, vec![]),
            ),
            ApiError::Domain(E::Conflict { message, field }) => {
                let d = field
                    .map(|f| {
                        vec![Detail {
                            field: f,
                            message: message.clone(),
                        }]
                    })
                    .unwrap_or_default();
                (
                    StatusCode::CONFLICT,
                    ErrorBody::new("conflict_error", message, d),
                )
            }
            ApiError::Domain(E::PreconditionFailed { message, etag }) => {
                let mut res = error_response(
                    StatusCode::PRECONDITION_FAILED,
                    ErrorBody::new("precondition_failed", message, vec![]),
                );
                if let Ok(v) = HeaderValue::from_str(&etag) {
                    res.headers_mut().insert(header::ETAG, v);
                }
                return res;
            }
            ApiError::Domain(E::RateLimited { retry_after }) => {
                let mut res = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorBody::new(
                        "rate_limit_error",
                        format!("too many attempts; retry in {retry_after} seconds"),
                        vec![],
                    ),
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                return res;
            }
            ApiError::Domain(E::Internal(detail)) => {
                tracing::error!(error = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new(
                        "server_error",
                        "Something went wrong on our side; the request id identifies it in the log",
                        vec![],
                    ),
                )
            }
        };
        error_response(status, body)
    }
}
