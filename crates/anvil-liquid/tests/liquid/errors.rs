//! Parse errors a prompt author can act on: position and a plain message.

use anvil_liquid::{Engine, ErrorKind};

fn parse_error(src: &str) -> String {
    match Engine::new().parse(src) {
        Ok(_) => panic!("{src:?} should not parse"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mismatched_end_tags_name_what_was_expected() {
    assert_eq!(
        parse_error("line one\nline two\n{% if x %}\n  {% endfor %}"),
        "line 4, column 6: unexpected 'endfor', expected 'elsif' or 'else' or 'endif'"
    );
}

#[test]
fn unclosed_blocks_point_at_their_opening_tag() {
    assert_eq!(
        parse_error("{% for x in y %}\n{{ x }}"),
        "line 2, column 8: expected 'else' or 'endfor', reached the end of the template"
    );
    assert_eq!(
        parse_error("ab {{ x"),
        "line 1, column 4: output '{{' was never closed with '}}'"
    );
}

#[test]
fn unknown_tags_and_filters_are_named() {
    assert_eq!(
        parse_error("{% nosuch %}"),
        "line 1, column 4: unknown tag 'nosuch'"
    );
    let e = Engine::new().parse("{{ x | nosuch }}").err();
    assert_eq!(e.as_ref().map(|e| e.kind), Some(ErrorKind::UnknownFilter));
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("line 1, column 8: unknown filter 'nosuch'")
    );
}

#[test]
fn bad_expressions_say_what_is_wrong() {
    assert_eq!(parse_error("{{ a b }}"), "line 1, column 6: unexpected 'b'");
    assert_eq!(
        parse_error("{% assign x = 1 + 2 %}"),
        "line 1, column 17: unexpected character '+'"
    );
}

#[test]
fn custom_filters_can_be_registered() {
    let mut engine = Engine::new();
    engine.filters_mut().register("shout", |v, _args, _ctx| {
        Ok(format!("{}!", v.to_output().to_uppercase()).into())
    });
    let t = engine
        .parse("{{ 'hi' | shout }}")
        .expect("parses with the custom filter");
    let out = engine.render(&t, &anvil_liquid::Value::Nil, &(), Default::default());
    assert_eq!(out.as_deref(), Ok("HI!"));
}

#[test]
fn analysis_reports_variables_filters_and_partials() {
    let t = Engine::new()
        .parse(
            "{% assign greeting = 'Hi' %}{{ greeting }} {{ user.name | upcase }}\
             {% for item in cart.items %}{{ item.title }}{% endfor %}{% render 'footer' %}",
        )
        .expect("parses");
    let a = t.analyze();
    assert_eq!(a.variables, ["user.name", "cart.items"]);
    assert_eq!(a.roots, ["user", "cart"]);
    assert_eq!(a.filters, ["upcase"]);
    assert_eq!(a.partials, ["footer"]);
}
