//! Renders templates from JSON lines on stdin, one JSON line out per line in.
//!
//! In:  `{"template": "...", "data": {...}, "partials": {"name": "..."}, "strict": false}`
//! Out: `{"output": "..."}` or `{"error": "..."}`
//!
//! This interface is how other Liquid implementations are compared with ours: keep it stable.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};

use anvil_liquid::{Engine, UndefinedMode, Value};
use serde_json::{Value as Json, json};

fn render_line(engine: &Engine, line: &str) -> Json {
    let input: Json = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"error": format!("invalid JSON input: {e}")}),
    };
    let Some(template) = input.get("template").and_then(Json::as_str) else {
        return json!({"error": "missing string field 'template'"});
    };
    let data = Value::from(input.get("data").cloned().unwrap_or(Json::Null));
    let partials: HashMap<String, String> = input
        .get("partials")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let mode = if input.get("strict").and_then(Json::as_bool).unwrap_or(false) {
        UndefinedMode::Strict
    } else {
        UndefinedMode::Lenient
    };
    match engine
        .parse(template)
        .and_then(|t| engine.render(&t, &data, &partials, mode))
    {
        Ok(output) => json!({"output": output}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

fn main() -> std::io::Result<()> {
    let engine = Engine::new();
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", render_line(&engine, &line))?;
    }
    out.flush()
}
