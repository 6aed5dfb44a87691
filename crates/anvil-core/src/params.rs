//! Typed prompt parameters: the schema a prompt declares, checks of the schema itself, and
//! checks of the variables a render passes.
//!
//! Decisions where `domain.md` is silent: an `integer` accepts any JSON number without a
//! fractional part (so `3.0` is 3); a `number` accepts integers and floats; `null` is a valid
//! value only for optional parameters (it means "not given").

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ParamType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
            ParamType::Array => "array",
            ParamType::Object => "object",
        }
    }

    /// Whether `v` (not null) is a value of this type.
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            ParamType::String => v.is_string(),
            ParamType::Number => v.is_number(),
            ParamType::Integer => {
                v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            ParamType::Boolean => v.is_boolean(),
            ParamType::Array => v.is_array(),
            ParamType::Object => v.is_object(),
        }
    }

    /// A value given as text (a CLI `--var`, an MCP argument) read by this type: a string
    /// as it is, anything else as JSON (`3`, `true`, `["a"]`), which must then be of this type.
    pub fn read_text(self, raw: &str) -> Result<Value, String> {
        if self == ParamType::String {
            return Ok(Value::String(raw.to_string()));
        }
        let v: Value = serde_json::from_str(raw.trim())
            .map_err(|e| format!("'{raw}' is not {} {} ({e})", article(self), self.as_str()))?;
        if self.accepts(&v) {
            Ok(v)
        } else {
            Err(format!(
                "'{raw}' is not {} {} (it reads as {})",
                article(self),
                self.as_str(),
                json_type_name(&v)
            ))
        }
    }
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Parameter {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
    )]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ParamType,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<Value>,
}

/// A problem with a named field (`parameters[2].name`, `variables.customer_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub field: String,
    pub message: String,
}

impl Issue {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Issue {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub const MAX_PARAMETERS: usize = 100;
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_DESCRIPTION_LEN: usize = 2000;

/// `^[A-Za-z_][A-Za-z0-9_-]*$` (Liquid identifiers may contain `-`).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks a parameter list: names valid and unique, defaults of the declared type.
pub fn validate_schema(params: &[Parameter]) -> Result<(), Vec<Issue>> {
    let mut issues = Vec::new();
    if params.len() > MAX_PARAMETERS {
        issues.push(Issue::new(
            "parameters",
            format!("at most {MAX_PARAMETERS} parameters"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, p) in params.iter().enumerate() {
        let at = |f: &str| format!("parameters[{i}].{f}");
        if !valid_name(&p.name) || p.name.len() > MAX_NAME_LEN {
            issues.push(Issue::new(
                at("name"),
                format!(
                    "'{}' must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most {MAX_NAME_LEN})",
                    p.name
                ),
            ));
        } else if !seen.insert(p.name.as_str()) {
            issues.push(Issue::new(
                at("name"),
                format!("'{}' is declared twice", p.name),
            ));
        }
        if p.description.chars().count() > MAX_DESCRIPTION_LEN {
            issues.push(Issue::new(
                at("description"),
                format!("must be at most {MAX_DESCRIPTION_LEN} characters"),
            ));
        }
        if let Some(d) = p.default.as_ref().filter(|d| !d.is_null())
            && !p.kind.accepts(d)
        {
            issues.push(Issue::new(
                at("default"),
                format!(
                    "is {} but the parameter is {}",
                    json_type_name(d),
                    p.kind.as_str()
                ),
            ));
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// Variables ready for rendering, and the ones the prompt does not declare.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Every declared parameter: the passed value, its default, or null.
    pub values: Map<String, Value>,
    /// Passed but not declared: ignored, so that an application does not break when a
    /// channel moves back to a version with fewer parameters.
    pub ignored: Vec<String>,
}

/// Checks render variables against the declared parameters: required ones present, types
/// right, defaults filled in, undeclared ones set aside. Every problem names its variable.
pub fn check_variables(
    params: &[Parameter],
    vars: &Map<String, Value>,
) -> Result<Checked, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut values = Map::new();
    for p in params {
        let field = format!("variables.{}", p.name);
        match vars.get(&p.name).filter(|v| !v.is_null()) {
            Some(v) if p.kind.accepts(v) => {
                values.insert(p.name.clone(), v.clone());
            }
            Some(v) => issues.push(Issue::new(
                field,
                format!(
                    "must be {} {}, got {}",
                    article(p.kind),
                    p.kind.as_str(),
                    json_type_name(v)
                ),
            )),
            None => match p.default.as_ref().filter(|d| !d.is_null()) {
                Some(d) => {
                    values.insert(p.name.clone(), d.clone());
                }
                None if p.required => {
                    issues.push(Issue::new(field, "is required"));
                }
                None => {
                    values.insert(p.name.clone(), Value::Null);
                }
            },
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let declared: HashSet<&str> = params.iter().map(|p| p.name.as_str()).collect();
    let mut ignored: Vec<String> = vars
        .keys()
        .filter(|k| !declared.contains(k.as_str()))
        .cloned()
        .collect();
    ignored.sort();
    Ok(Checked { values, ignored })
}

fn article(t: ParamType) -> &'static str {
    match t {
        ParamType::Integer | ParamType::Array | ParamType::Object => "an",
        _ => "a",
    }
}

/// Declared-versus-used: parameters a template uses but does not declare (`missing`) and
/// declared ones it never reads (`unused`), both sorted.
pub fn compare_with_template(
    params: &[Parameter],
    used_roots: &[String],
) -> (Vec<String>, Vec<String>) {
    let declared: HashSet<&str> = params.iter().map(|p| p.name.as_str()).collect();
    let used: HashSet<&str> = used_roots.iter().map(String::as_str).collect();
    let mut missing: Vec<String> = used
        .iter()
        .filter(|u| !declared.contains(*u))
        .map(|s| s.to_string())
        .collect();
    let mut unused: Vec<String> = declared
        .iter()
        .filter(|d| !used.contains(*d))
        .map(|s| s.to_string())
        .collect();
    missing.sort();
    unused.sort();
    (missing, unused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Vec<Parameter> {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn schemas_with_bad_names_duplicates_or_mistyped_defaults_are_refused() {
        let p = params(json!([
            {"name": "ok_name-2", "type": "string"},
            {"name": "2bad", "type": "string"},
            {"name": "ok_name-2", "type": "number"},
            {"name": "count", "type": "integer", "default": 2.5},
            {"name": "flag", "type": "boolean", "default": false},
        ]));
        let issues = validate_schema(&p).expect_err("invalid schema");
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "parameters[1].name",
                "parameters[2].name",
                "parameters[3].default"
            ]
        );
        assert!(issues[1].message.contains("declared twice"));
        assert!(
            serde_json::from_value::<Vec<Parameter>>(json!([{"name": "x", "type": "date"}]))
                .is_err()
        );
        assert!(
            serde_json::from_value::<Vec<Parameter>>(
                json!([{"name": "x", "type": "string", "extra": 1}])
            )
            .is_err()
        );
    }

    #[test]
    fn variables_are_checked_filled_and_extra_ones_ignored() {
        let p = params(json!([
            {"name": "customer_name", "type": "string", "required": true},
            {"name": "tone", "type": "string", "default": "friendly"},
            {"name": "items", "type": "array"},
            {"name": "count", "type": "integer"},
            {"name": "score", "type": "number"},
        ]));
        let c = check_variables(
            &p,
            &vars(
                json!({"customer_name": "Ada", "count": 3.0, "score": 2, "plan": "pro", "zeta": 1}),
            ),
        )
        .expect("valid");
        assert_eq!(c.values["tone"], "friendly");
        assert_eq!(c.values["items"], Value::Null);
        assert_eq!(c.values["count"], json!(3.0));
        assert_eq!(c.ignored, ["plan", "zeta"]);

        let issues = check_variables(&p, &vars(json!({"count": "three", "items": {}})))
            .expect_err("invalid");
        let got: Vec<(String, String)> = issues.into_iter().map(|i| (i.field, i.message)).collect();
        assert_eq!(
            got,
            [
                (
                    "variables.customer_name".to_string(),
                    "is required".to_string()
                ),
                (
                    "variables.items".to_string(),
                    "must be an array, got object".to_string()
                ),
                (
                    "variables.count".to_string(),
                    "must be an integer, got string".to_string()
                ),
            ]
        );
        let issues = check_variables(&p, &vars(json!({"customer_name": null})))
            .expect_err("null is not a value");
        assert_eq!(issues[0].message, "is required");
    }

    #[test]
    fn template_comparison_reports_missing_and_unused() {
        let p = params(json!([{"name": "a", "type": "string"}, {"name": "b", "type": "string"}]));
        let (missing, unused) = compare_with_template(&p, &["a".into(), "c".into()]);
        assert_eq!(missing, ["c"]);
        assert_eq!(unused, ["b"]);
    }

    #[test]
    fn text_is_read_by_the_parameter_type() {
        assert_eq!(ParamType::String.read_text(" 3 "), Ok(json!(" 3 ")));
        assert_eq!(ParamType::Integer.read_text("3"), Ok(json!(3)));
        assert_eq!(ParamType::Number.read_text("2.5"), Ok(json!(2.5)));
        assert_eq!(ParamType::Boolean.read_text("true"), Ok(json!(true)));
        assert_eq!(ParamType::Array.read_text("[\"a\"]"), Ok(json!(["a"])));
        assert_eq!(
            ParamType::Object.read_text("{\"k\":1}"),
            Ok(json!({"k": 1}))
        );
        let e = ParamType::Integer.read_text("2.5").unwrap_err();
        assert!(e.contains("not an integer"), "{e}");
        let e = ParamType::Boolean.read_text("yes").unwrap_err();
        assert!(e.contains("not a boolean"), "{e}");
        assert!(ParamType::Array.read_text("{}").is_err());
    }
}
