//! Rendering one prompt of a resolved set.

use anvil_core::render::{PromptEngine, RenderError};
use serde_json::{Map, Value};

use crate::domain::{Error, FieldError, Result, now};

use super::resolution::{ReadyPrompt, Resolved};

/// A rendered prompt.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub ignored_variables: Vec<String>,
}

/// Renders one prompt of a resolved set: variables checked against its parameters, strict
/// rendering, `{% render 'slug' %}` reaching the set's other prompts at the same version.
pub fn render(
    engine: &PromptEngine,
    resolved: &Resolved,
    prompt: &ReadyPrompt,
    variables: &Map<String, Value>,
) -> Result<Rendered> {
    render_template(
        engine,
        resolved,
        &prompt.template,
        &prompt.parameters,
        variables,
    )
}

/// Renders `template` with `parameters` as if it were a prompt of the resolved set (its
/// partials within reach): how the editor previews a template not saved yet.
pub fn render_template(
    engine: &PromptEngine,
    resolved: &Resolved,
    template: &anvil_liquid::Template,
    parameters: &[anvil_core::params::Parameter],
    variables: &Map<String, Value>,
) -> Result<Rendered> {
    let r = engine
        .render(
            template,
            parameters,
            variables,
            &resolved.partials,
            now().unix_timestamp(),
        )
        .map_err(render_error)?;
    Ok(Rendered {
        text: r.text,
        ignored_variables: r.ignored_variables,
    })
}

/// A render failure as the API shows it: each variable problem names its variable.
pub fn render_error(e: RenderError) -> Error {
    match e {
        RenderError::Variables(issues) => Error::Validation(
            issues
                .into_iter()
                .map(|i| FieldError::new(&i.field, i.message))
                .collect(),
        ),
        RenderError::Template(t) => Error::invalid("template", t.to_string()),
    }
}
