//! Strict undefined-variable mode: what Anvil's server renders with after checking parameters.

use anvil_liquid::{Engine, ErrorKind, UndefinedMode::*};
use serde_json::json;

use crate::render;

#[test]
fn an_undefined_variable_is_an_error_that_names_it() {
    let e = render(
        &Engine::new(),
        "Hi\n  {{ nmae }}",
        json!({"name": "Ada"}),
        Strict,
    )
    .expect_err("undefined must fail in strict mode");
    assert_eq!(e.kind, ErrorKind::UndefinedVariable);
    assert_eq!((e.line, e.column), (2, 6));
    assert_eq!(e.to_string(), "line 2, column 6: undefined variable 'nmae'");
}

#[test]
fn lenient_mode_renders_undefined_as_nothing() {
    let out = render(&Engine::new(), "[{{ nmae }}]", json!({}), Lenient);
    assert_eq!(out.as_deref(), Ok("[]"));
}

#[test]
fn default_still_applies_to_undefined_variables() {
    let out = render(
        &Engine::new(),
        "{{ nickname | default: 'friend' }}",
        json!({}),
        Strict,
    );
    assert_eq!(out.as_deref(), Ok("friend"));
}

#[test]
fn undefined_in_conditions_and_filter_arguments_is_an_error() {
    let engine = Engine::new();
    for src in [
        "{% if vip %}x{% endif %}",
        "{{ 'a' | append: suffix }}",
        "{% for x in items %}{% endfor %}",
    ] {
        let e = render(&engine, src, json!({}), Strict).expect_err(src);
        assert_eq!(e.kind, ErrorKind::UndefinedVariable, "{src}");
    }
}

#[test]
fn missing_properties_of_defined_objects_are_nil() {
    let out = render(
        &Engine::new(),
        "{% if user.nickname %}{{ user.nickname }}{% else %}{{ user.name }}{% endif %}",
        json!({"user": {"name": "Ada"}}),
        Strict,
    );
    assert_eq!(out.as_deref(), Ok("Ada"));
}

#[test]
fn assigned_and_loop_variables_are_defined() {
    let out = render(
        &Engine::new(),
        "{% assign n = 2 %}{% capture c %}x{% endcapture %}\
         {% for i in (1..n) %}{{ i }}{{ c }}{{ forloop.index }}{% endfor %}",
        json!({}),
        Strict,
    );
    assert_eq!(out.as_deref(), Ok("1x12x2"));
}

#[test]
fn explicit_nil_is_defined() {
    let out = render(
        &Engine::new(),
        "[{{ optional }}]",
        json!({"optional": null}),
        Strict,
    );
    assert_eq!(out.as_deref(), Ok("[]"));
}
