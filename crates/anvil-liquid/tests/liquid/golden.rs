//! The golden-liquid conformance suite. The suite is third-party data kept outside the repo, in
//! `../shared/conformance/golden-liquid/` from the repo root (or the file `GOLDEN_LIQUID` names).

use std::collections::HashMap;
use std::path::PathBuf;

use anvil_liquid::{Engine, UndefinedMode, Value};
use serde_json::Value as Json;

/// Fewer passes than this fails the build.
const REQUIRED_PASSES: usize = 1045;

fn suite_path() -> PathBuf {
    if let Ok(p) = std::env::var("GOLDEN_LIQUID") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/golden-liquid/golden_liquid.json")
}

/// Runs one case; `Err` describes how it failed.
fn run_case(engine: &Engine, case: &Json) -> Result<(), String> {
    let template = case["template"].as_str().unwrap_or_default();
    let data = Value::from(case.get("data").cloned().unwrap_or(Json::Null));
    let partials: HashMap<String, String> = case
        .get("templates")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let rendered = engine
        .parse(template)
        .and_then(|t| engine.render(&t, &data, &partials, UndefinedMode::Lenient));
    let invalid = case.get("invalid").and_then(Json::as_bool).unwrap_or(false);
    let expected: Vec<&str> = match (case.get("result"), case.get("results")) {
        (Some(r), _) => r.as_str().into_iter().collect(),
        (None, Some(rs)) => rs
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    match (invalid, rendered) {
        (true, Err(_)) => Ok(()),
        (true, Ok(out)) => Err(format!("expected an error, rendered {out:?}")),
        (false, Ok(out)) if expected.contains(&out.as_str()) => Ok(()),
        (false, Ok(out)) => Err(format!("expected {expected:?}, rendered {out:?}")),
        (false, Err(e)) => Err(format!("expected {expected:?}, error: {e}")),
    }
}

#[test]
fn golden_liquid_conformance() {
    let path = suite_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            if std::env::var_os("ANVIL_REQUIRE_GOLDEN").is_some() {
                panic!(
                    "golden-liquid suite not readable at {} ({e}) and ANVIL_REQUIRE_GOLDEN is set",
                    path.display()
                );
            }
            eprintln!(
                "\n!!! SKIPPED: golden-liquid suite not found at {} ({e}).\n!!! Set GOLDEN_LIQUID \
                 to its path to run the conformance test.\n",
                path.display()
            );
            return;
        }
    };
    let suite: Json = serde_json::from_str(&text).expect("golden_liquid.json is valid JSON");
    let cases = suite["tests"].as_array().expect("suite has a tests array");
    let engine = Engine::new();
    let mut failures = Vec::new();
    for case in cases {
        if let Err(why) = run_case(&engine, case) {
            failures.push(format!(
                "{}\n    template: {:?}\n    {why}",
                case["name"].as_str().unwrap_or("?"),
                case["template"].as_str().unwrap_or("")
            ));
        }
    }
    let passed = cases.len() - failures.len();
    println!("golden-liquid: {passed} of {} cases pass", cases.len());
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        passed >= REQUIRED_PASSES,
        "golden-liquid: {passed} of {} pass, {REQUIRED_PASSES} required",
        cases.len()
    );
}
