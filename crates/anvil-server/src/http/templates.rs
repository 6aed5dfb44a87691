//! `POST /templates/validate`: what the editor calls on every keystroke. It parses, analyses
//! and compares with the declared parameters; it touches no tenant data, but needs a caller.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use crate::domain::{self, FieldError};
use anvil_core::params::{self, Parameter};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    template: String,
    #[serde(default)]
    parameters: Vec<Parameter>,
}

#[utoipa::path(
    post,
    path = "/api/v1/templates/validate",
    tag = "prompts",
    summary = "Validate a template",
    request_body = super::schemas::TemplateCheck,
    responses((status = 200, description = "What the template uses and whether it parses", body = super::schemas::TemplateReport), super::schemas::ApiErrors),
)]
pub async fn validate(
    State(state): State<AppState>,
    _caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: ValidateBody = resource(body, "template")?;
    params::validate_schema(&b.parameters).map_err(|issues| {
        domain::Error::Validation(
            issues
                .into_iter()
                .map(|i| FieldError::new(&i.field, i.message))
                .collect(),
        )
    })?;
    let v = state.prompts.validate(&b.template, &b.parameters);
    let errors: Vec<Value> = v
        .errors
        .iter()
        .map(|e| json!({"line": e.line, "column": e.column, "message": e.message}))
        .collect();
    Ok(Json(json!({
        "valid": v.valid,
        "errors": errors,
        "variables": v.variables,
        "missing": v.missing,
        "unused": v.unused,
        "partials": v.partials,
    }))
    .into_response())
}
