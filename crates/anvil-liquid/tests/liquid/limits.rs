//! Hostile templates hit a limit that names itself; they never hang, overflow the stack or
//! exhaust memory.

use std::collections::HashMap;

use anvil_liquid::{Engine, ErrorKind, LimitKind, Limits, UndefinedMode, Value};
use serde_json::json;

use crate::render;

fn limit_of(r: Result<String, anvil_liquid::Error>) -> Option<LimitKind> {
    match r {
        Err(e) => match e.kind {
            ErrorKind::Limit(l) => Some(l),
            _ => panic!("expected a limit error, got {e}"),
        },
        Ok(out) => panic!("expected a limit error, rendered {} bytes", out.len()),
    }
}

#[test]
fn template_size_is_limited() {
    let engine = Engine::new().with_limits(Limits {
        max_template_bytes: 16,
        ..Limits::default()
    });
    let e = engine.parse("{{ x }} and some more text").err();
    assert_eq!(
        e.map(|e| e.kind),
        Some(ErrorKind::Limit(LimitKind::TemplateSize))
    );
}

#[test]
fn nesting_depth_is_limited() {
    let deep = "{% if true %}".repeat(101) + &"{% endif %}".repeat(101);
    let e = Engine::new().parse(&deep).err();
    assert_eq!(
        e.map(|e| e.kind),
        Some(ErrorKind::Limit(LimitKind::NestingDepth))
    );
    let ok = "{% if true %}".repeat(100) + "x" + &"{% endif %}".repeat(100);
    assert_eq!(
        render(&Engine::new(), &ok, json!({}), UndefinedMode::Lenient).as_deref(),
        Ok("x")
    );
}

#[test]
fn deeply_nested_markup_is_an_error_not_a_stack_overflow() {
    let engine = Engine::new();
    let brackets = format!("{{{{ {}x{} }}}}", "[".repeat(50_000), "]".repeat(50_000));
    assert!(engine.parse(&brackets).is_err());
    let liquid = format!("{{% liquid {}echo 1 %}}", "liquid ".repeat(20_000));
    assert!(engine.parse(&liquid).is_err());
    let chain = format!(
        "{{% if {} %}}x{{% endif %}}",
        vec!["a"; 20_000].join(" and ")
    );
    assert!(engine.parse(&chain).is_err());
}

#[test]
fn loop_iterations_are_limited_in_total() {
    let engine = Engine::new().with_limits(Limits {
        max_loop_iterations: 10_000,
        ..Limits::default()
    });
    let nested = "{% for a in (1..1000) %}{% for b in (1..1000) %}{% endfor %}{% endfor %}";
    assert_eq!(
        limit_of(render(&engine, nested, json!({}), UndefinedMode::Lenient)),
        Some(LimitKind::LoopIterations)
    );
    let huge = "{% for a in (1..999999999999) %}{% endfor %}";
    assert_eq!(
        limit_of(render(&engine, huge, json!({}), UndefinedMode::Lenient)),
        Some(LimitKind::LoopIterations)
    );
}

#[test]
fn output_size_is_limited() {
    let engine = Engine::new().with_limits(Limits {
        max_output_bytes: 1000,
        ..Limits::default()
    });
    let src = "{% for a in (1..100) %}0123456789abcdef{% endfor %}";
    assert_eq!(
        limit_of(render(&engine, src, json!({}), UndefinedMode::Lenient)),
        Some(LimitKind::OutputSize)
    );
    let capture =
        "{% capture c %}{% for a in (1..100) %}0123456789abcdef{% endfor %}{% endcapture %}";
    assert_eq!(
        limit_of(render(&engine, capture, json!({}), UndefinedMode::Lenient)),
        Some(LimitKind::OutputSize)
    );
}

#[test]
fn doubling_a_string_hits_the_size_limit() {
    let engine = Engine::new().with_limits(Limits {
        max_output_bytes: 1 << 20,
        ..Limits::default()
    });
    let src =
        "{% assign s = 'xx' %}{% for i in (1..64) %}{% assign s = s | append: s %}{% endfor %}";
    assert_eq!(
        limit_of(render(&engine, src, json!({}), UndefinedMode::Lenient)),
        Some(LimitKind::OutputSize)
    );
}

#[test]
fn recursive_partials_hit_the_render_depth_limit() {
    let engine = Engine::new();
    let partials: HashMap<String, String> =
        [("me".to_string(), "x{% render 'me' %}".to_string())].into();
    let t = engine.parse("{% render 'me' %}").expect("parses");
    let r = engine.render(&t, &Value::Nil, &partials, UndefinedMode::Lenient);
    assert_eq!(limit_of(r), Some(LimitKind::RenderDepth));
    let included: HashMap<String, String> =
        [("me".to_string(), "x{% include 'me' %}".to_string())].into();
    let t = engine.parse("{% include 'me' %}").expect("parses");
    let r = engine.render(&t, &Value::Nil, &included, UndefinedMode::Lenient);
    assert_eq!(limit_of(r), Some(LimitKind::RenderDepth));
}

#[test]
fn maximal_nesting_in_every_partial_level_renders_on_a_small_stack() {
    // 10 partial levels of 100 nested blocks each: the deepest render the default limits allow.
    let body = "{% if true %}".repeat(99) + "{% render 'p' %}" + &"{% endif %}".repeat(99);
    let partials: HashMap<String, String> = [("p".to_string(), body.clone())].into();
    let engine = Engine::new();
    let t = engine.parse(&body).expect("parses");
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            engine
                .render(&t, &Value::Nil, &partials, UndefinedMode::Lenient)
                .map_err(|e| e.kind)
        })
        .expect("thread starts");
    let r = handle.join().expect("render does not overflow the stack");
    assert_eq!(r, Err(ErrorKind::Limit(LimitKind::RenderDepth)));
}
