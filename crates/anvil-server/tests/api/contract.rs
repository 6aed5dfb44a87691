//! Checks responses against the OpenAPI document the forge serves: the status must be
//! documented for the operation and the body must match its schema. `TestApp::call` runs
//! every response through this, so the integration tests double as a contract test.

use std::sync::OnceLock;

use serde_json::Value;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(anvil_server::http::openapi::document()).expect("document is JSON")
    })
}

/// The documented path template a request path matches, preferring literal segments.
pub fn operation_path(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<(usize, String)> = None;
    for template in document()["paths"].as_object()?.keys() {
        let t: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        let rest_param = t.last().is_some_and(|s| *s == "{address}");
        let fits = if rest_param {
            segs.len() >= t.len()
        } else {
            segs.len() == t.len()
        };
        if !fits {
            continue;
        }
        let mut literals = 0;
        let ok = t.iter().zip(&segs).all(|(a, b)| {
            if a.starts_with('{') {
                !b.is_empty()
            } else {
                literals += 1;
                a == b
            }
        });
        if ok && best.as_ref().is_none_or(|(n, _)| literals > *n) {
            best = Some((literals, template.clone()));
        }
    }
    best.map(|(_, t)| t)
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &document()["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn type_fits(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// Validates `v` against `schema` (the subset of JSON Schema the document uses).
pub fn check(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = resolve(schema);
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(sub, v, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = s.get(key).and_then(Value::as_array) {
            let errors: Vec<String> = options
                .iter()
                .filter_map(|o| check(o, v, at).err())
                .collect();
            if errors.len() == options.len() {
                return Err(format!(
                    "{at}: matches none of {key}: {}",
                    errors.join(" | ")
                ));
            }
        }
    }
    if let Some(t) = s.get("type") {
        let fits = match t {
            Value::String(t) => type_fits(t, v),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| type_fits(t, v)),
            _ => true,
        };
        if !fits {
            return Err(format!("{at}: {v} is not of type {t}"));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {options:?}"));
    }
    if let Some(o) = v.as_object() {
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.as_str().unwrap_or_default();
            if !o.contains_key(name) {
                return Err(format!("{at}: required field '{name}' is missing"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, value) in o {
            match props.and_then(|p| p.get(k)) {
                Some(p) => check(p, value, &format!("{at}.{k}"))?,
                None => {
                    if s.get("additionalProperties") == Some(&Value::Bool(false)) {
                        return Err(format!("{at}: field '{k}' is not documented"));
                    }
                }
            }
        }
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, item) in a.iter().enumerate() {
            check(items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Panics unless `status` and `body` are what the document says `method path` answers.
pub fn assert_documented(method: &str, path: &str, status: u16, body: &Value) {
    let Some(template) = operation_path(path) else {
        panic!("{method} {path}: no documented path matches");
    };
    let op = &document()["paths"][&template][method.to_lowercase()];
    assert!(op.is_object(), "{method} {template} is not documented");
    let responses = &op["responses"];
    let code = status.to_string();
    let range = format!("{}XX", status / 100);
    let response = [code.as_str(), range.as_str(), "default"]
        .iter()
        .map(|k| &responses[*k])
        .find(|r| r.is_object())
        .unwrap_or_else(|| panic!("{method} {template}: status {status} is not documented"));
    let response = resolve(response);
    match response["content"]["application/json"]["schema"].as_object() {
        Some(_) => {
            let schema = &response["content"]["application/json"]["schema"];
            if let Err(e) = check(schema, body, "body") {
                panic!("{method} {path} ({status}) does not match the document: {e}\n{body}");
            }
        }
        None => assert!(
            body.is_null() || !response["content"].is_object(),
            "{method} {template}: {status} has a body the document does not describe: {body}"
        ),
    }
}

/// Checks a response the tests are about to read, then hands it back unchanged: a documented
/// path must answer a documented status with a matching body; any other path only a 404.
pub async fn checked(method: &str, path: &str, res: reqwest::Response) -> reqwest::Response {
    let status = res.status();
    let version = res.version();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("response body");
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    match operation_path(path) {
        Some(_) => assert_documented(method, path, status.as_u16(), &body),
        None => assert_eq!(status, 404, "{method} {path} is not a documented path"),
    }
    let mut rebuilt = axum::http::Response::builder()
        .status(status)
        .version(version);
    for (name, value) in &headers {
        rebuilt = rebuilt.header(name, value);
    }
    reqwest::Response::from(rebuilt.body(bytes).expect("response"))
}
