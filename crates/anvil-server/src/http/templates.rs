//! `POST /templates/validate`: what the editor calls on every keystroke. It parses, analyses
//! and compares with the declared parameters; it touches no tenant data, but needs a caller.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use crate::domain::{self, FieldError};
use anvil_core::params::{self, Parameter};

/// A template and the parameters it would declare. The body may also be wrapped:
/// `{"template": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateCheck {
    pub template: String,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
}

/// Where a template fails to parse.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Whether a template parses, and what it uses against what it declares.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateReport {
    pub valid: bool,
    pub errors: Vec<TemplateProblem>,
    /// Global variables the template reads, with their static paths (`user.name`).
    pub variables: Vec<String>,
    /// Used but not declared.
    pub missing: Vec<String>,
    /// Declared but not used.
    pub unused: Vec<String>,
    /// Prompts it includes with `render`/`include`.
    pub partials: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/templates/validate",
    tag = "prompts",
    summary = "Validate a template",
    request_body = TemplateCheck,
    responses((status = 200, description = "What the template uses and whether it parses", body = TemplateReport)),
)]
pub async fn validate(
    State(state): State<AppState>,
    _caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: TemplateCheck = resource(body, "template")?;
    params::validate_schema(&b.parameters).map_err(|issues| {
        domain::Error::Validation(
            issues
                .into_iter()
                .map(|i| FieldError::new(&i.field, i.message))
                .collect(),
        )
    })?;
    let v = state.prompts.validate(&b.template, &b.parameters);
    Ok(Json(TemplateReport {
        valid: v.valid,
        errors: v
            .errors
            .iter()
            .map(|e| TemplateProblem {
                line: e.line,
                column: e.column,
                message: e.message.clone(),
            })
            .collect(),
        variables: v.variables,
        missing: v.missing,
        unused: v.unused,
        partials: v.partials,
    })
    .into_response())
}
