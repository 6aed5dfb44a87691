//! Parse, analyse and render arbitrary input in both undefined modes: nothing may panic, hang
//! or exceed the limits. Run with `cargo +nightly fuzz run parse_render` from
//! `crates/anvil-liquid`.
#![no_main]

use std::collections::HashMap;

use anvil_liquid::{Engine, Limits, UndefinedMode, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let engine = Engine::new().with_limits(Limits {
        max_loop_iterations: 10_000,
        max_output_bytes: 1 << 16,
        ..Limits::default()
    });
    let globals = Value::from(serde_json::json!({"x": 1, "s": "str", "a": [1, "b", null], "o": {"k": [2]}}));
    let partials: HashMap<String, String> = [("p".to_string(), src.to_string())].into();
    if let Ok(t) = engine.parse(src) {
        let _ = t.analyze();
        let _ = engine.render(&t, &globals, &partials, UndefinedMode::Lenient);
        let _ = engine.render(&t, &globals, &partials, UndefinedMode::Strict);
    }
});
