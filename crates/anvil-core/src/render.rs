//! Rendering prompts: the Liquid engine with Anvil's filters, strict about undeclared names,
//! after the variables were checked against the parameters. The server and every SDK render
//! through this, so a cached prompt renders the same everywhere.

use anvil_liquid::{
    Engine, Error as LiquidError, Limits, PartialSource, Template, UndefinedMode, Value,
};
use serde_json::{Map, Value as Json};

use crate::params::{self, Issue, Parameter};

/// A template problem with its position (1-based), as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// `line 3, column 7: unknown tag 'endfor'`, or the bare message when it has no position.
impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )
        } else {
            f.write_str(&self.message)
        }
    }
}

impl From<&LiquidError> for TemplateError {
    fn from(e: &LiquidError) -> Self {
        TemplateError {
            line: e.line,
            column: e.column,
            message: match &e.partial {
                Some(p) => format!("in partial '{p}': {}", e.message),
                None => e.message.clone(),
            },
        }
    }
}

/// What the editor needs to know about a template and its declared parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<TemplateError>,
    /// Global variables the template reads, with their static paths (`user.name`).
    pub variables: Vec<String>,
    /// Used but not declared.
    pub missing: Vec<String>,
    /// Declared but not used.
    pub unused: Vec<String>,
    /// Prompts it includes with `render`/`include`.
    pub partials: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    /// Variables passed that the prompt does not declare.
    pub ignored_variables: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// The variables do not fit the parameters; each issue names its variable.
    #[error("invalid variables")]
    Variables(Vec<Issue>),
    /// The template failed (parse error, undefined name, limit).
    #[error("{0}")]
    Template(LiquidError),
}

/// The engine with Anvil's filters (`json`) and limits.
#[derive(Debug, Clone)]
pub struct PromptEngine {
    engine: Engine,
}

impl Default for PromptEngine {
    fn default() -> Self {
        PromptEngine::new(Limits::default())
    }
}

impl PromptEngine {
    pub fn new(limits: Limits) -> Self {
        let mut engine = Engine::new().with_limits(limits);
        engine.filters_mut().register("json", |input, args, _| {
            args.expect_count(0, 0)?;
            let v = Json::from(input);
            Ok(Value::from(v.to_string()))
        });
        PromptEngine { engine }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn parse(&self, template: &str) -> Result<Template, LiquidError> {
        self.engine.parse(template)
    }

    /// Parses the template and compares what it reads with the declared parameters.
    pub fn validate(&self, template: &str, params: &[Parameter]) -> Validation {
        match self.engine.parse(template) {
            Err(e) => Validation {
                valid: false,
                errors: vec![TemplateError::from(&e)],
                ..Validation::default()
            },
            Ok(t) => {
                let a = t.analyze();
                let (missing, unused) = params::compare_with_template(params, &a.roots);
                Validation {
                    valid: true,
                    errors: Vec::new(),
                    variables: a.variables,
                    missing,
                    unused,
                    partials: a.partials,
                }
            }
        }
    }

    /// Checks `vars` against `params`, then renders strictly: a name that is neither declared
    /// nor assigned in the template is an error.
    pub fn render(
        &self,
        template: &Template,
        params: &[Parameter],
        vars: &Map<String, Json>,
        partials: &dyn PartialSource,
        now_unix: i64,
    ) -> Result<Rendered, RenderError> {
        let checked = params::check_variables(params, vars).map_err(RenderError::Variables)?;
        let data = Value::from(Json::Object(checked.values));
        let text = self
            .engine
            .render_at(template, &data, partials, UndefinedMode::Strict, now_unix)
            .map_err(RenderError::Template)?;
        Ok(Rendered {
            text,
            ignored_variables: checked.ignored,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Json) -> Vec<Parameter> {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn validation_reports_position_and_parameter_drift() {
        let e = PromptEngine::default();
        let v = e.validate(
            "Hi {{ customer.name }}{% render 'footer' %}",
            &params(json!([{"name": "tone", "type": "string"}])),
        );
        assert!(v.valid);
        assert_eq!(v.variables, ["customer.name"]);
        assert_eq!(v.missing, ["customer"]);
        assert_eq!(v.unused, ["tone"]);
        assert_eq!(v.partials, ["footer"]);
        let bad = e.validate("line\n{% if x %}\n{% endfor %}", &[]);
        assert!(!bad.valid);
        assert_eq!((bad.errors[0].line, bad.errors[0].column), (3, 4));
    }

    #[test]
    fn rendering_checks_variables_then_renders_strictly() {
        let e = PromptEngine::default();
        let p = params(json!([
            {"name": "name", "type": "string", "required": true},
            {"name": "nickname", "type": "string"},
            {"name": "items", "type": "array", "default": [1, 2]},
        ]));
        let t = e
            .parse("{{ nickname | default: name }}: {{ items | json }}")
            .unwrap_or_else(|err| panic!("{err}"));
        let vars = json!({"name": "Ada", "extra": true});
        let r = e
            .render(&t, &p, vars.as_object().unwrap_or(&Map::new()), &(), 0)
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(r.text, "Ada: [1,2]");
        assert_eq!(r.ignored_variables, ["extra"]);

        let missing = e.render(&t, &p, &Map::new(), &(), 0);
        assert!(
            matches!(missing, Err(RenderError::Variables(ref i)) if i[0].field == "variables.name")
        );

        let undeclared = e
            .parse("{{ secret }}")
            .unwrap_or_else(|err| panic!("{err}"));
        let r = e.render(&undeclared, &[], &Map::new(), &(), 0);
        assert!(matches!(r, Err(RenderError::Template(ref err)) if err.message.contains("secret")));
    }
}
