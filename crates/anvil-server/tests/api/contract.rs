//! Checks responses against the OpenAPI document the forge serves: the status must be
//! documented for the operation and the body must match its schema. `TestApp::call` runs
//! every response through this, so the integration tests double as a contract test.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

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

/// Validates `v` against `schema` (a schema of the document, or a reference into it) with
/// the `jsonschema` crate, JSON Schema 2020-12 as OpenAPI 3.1 uses it. Validators are built
/// once per schema.
pub fn check(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let key = schema.to_string();
    let cache = VALIDATORS.get_or_init(Default::default);
    let cached = cache.lock().expect("validators").get(&key).cloned();
    let validator = match cached {
        Some(v) => v,
        None => {
            // The document's components ride along, so `#/components/schemas/...` resolves.
            let root = serde_json::json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "allOf": [schema],
                "components": document()["components"],
            });
            let built = Arc::new(
                jsonschema::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .map_err(|e| format!("{at}: the document's schema does not compile: {e}"))?,
            );
            cache.lock().expect("validators").insert(key, built.clone());
            built
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{at}{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Panics unless `status` and `body` are what the document says `method path` answers.
pub fn assert_documented(method: &str, path: &str, status: u16, body: &Value) {
    let Some(template) = operation_path(path) else {
        panic!("{method} {path}: no documented path matches");
    };
    let op = &document()["paths"][&template][method.to_lowercase()];
    assert!(op.is_object(), "{method} {template} is not documented");
    let responses = &op["responses"];
    // Exact statuses only: the document lists each status an operation answers.
    let response = &responses[status.to_string()];
    assert!(
        response.is_object(),
        "{method} {template}: status {status} is not documented"
    );
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
