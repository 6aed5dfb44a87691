//! Property tests: parsing and rendering never panic and always finish, on templates generated
//! from Liquid fragments and on mutations of valid templates.

use anvil_liquid::{Engine, Limits, UndefinedMode, Value};
use proptest::prelude::*;
use serde_json::json;

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{{-",
    "-}}",
    "{%-",
    "-%}",
    " ",
    "\n",
    "x",
    "y.z",
    "a[0]",
    "['k']",
    "'s'",
    "\"d\"",
    "1",
    "-2",
    "3.5",
    "(1..3)",
    "(x..y)",
    "|",
    ":",
    ",",
    "upcase",
    "append: 'a'",
    "split: ','",
    "join",
    "default: 1",
    "size",
    "first",
    "plus: 1",
    "divided_by: 0",
    "slice: 1, 2",
    "if",
    "elsif",
    "else",
    "endif",
    "unless",
    "endunless",
    "for",
    "in",
    "endfor",
    "break",
    "continue",
    "case",
    "when",
    "endcase",
    "assign",
    "=",
    "capture",
    "endcapture",
    "cycle",
    "tablerow",
    "endtablerow",
    "cols:2",
    "limit:2",
    "offset:continue",
    "reversed",
    "raw",
    "endraw",
    "comment",
    "endcomment",
    "liquid",
    "echo",
    "render 'p'",
    "include 'p'",
    "with",
    "as",
    "increment",
    "decrement",
    "ifchanged",
    "endifchanged",
    "doc",
    "enddoc",
    "#",
    "==",
    "!=",
    "<",
    ">=",
    "contains",
    "and",
    "or",
    "nil",
    "empty",
    "blank",
    "true",
    "forloop.index",
    "é",
    "\u{1F600}",
];

fn engine() -> Engine {
    Engine::new().with_limits(Limits {
        max_loop_iterations: 10_000,
        max_output_bytes: 1 << 16,
        ..Limits::default()
    })
}

fn exercise(engine: &Engine, src: &str) {
    let data = Value::from(json!({"x": 1, "y": {"z": [1, 2]}, "a": ["b"], "k": "v"}));
    let partials: std::collections::HashMap<String, String> =
        [("p".to_string(), "{{ x }}{% include 'p' %}".to_string())].into();
    if let Ok(t) = engine.parse(src) {
        let _ = t.analyze();
        for mode in [UndefinedMode::Lenient, UndefinedMode::Strict] {
            let _ = engine.render(&t, &data, &partials, mode);
        }
    }
}

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat())
}

/// Valid templates, then a few random byte-level edits of them.
fn mutated() -> impl Strategy<Value = String> {
    let seeds = prop::sample::select(
        &[
            "{% for i in (1..3) %}{{ i | plus: 1 }}{% else %}none{% endfor %}",
            "{% if a and b or c %}{{ a }}{% elsif d %}x{% else %}y{% endif %}",
            "{% case x %}{% when 1, 2 %}one{% else %}other{% endcase %}",
            "{% capture c %}{{ 'a' | append: 'b' | upcase }}{% endcapture %}{{ c | size }}",
            "{% tablerow i in a cols:2 %}{{ tablerowloop.col }}{% endtablerow %}",
            "{% liquid\nassign x = 1\necho x\n%}{% raw %}{{ }}{% endraw %}",
        ][..],
    );
    (
        seeds,
        prop::collection::vec(
            (any::<prop::sample::Index>(), any::<char>(), any::<bool>()),
            0..6,
        ),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (idx, ch, insert) in edits {
                if chars.is_empty() {
                    chars.push(ch);
                    continue;
                }
                let i = idx.index(chars.len());
                if insert {
                    chars.insert(i, ch);
                } else {
                    chars.remove(i);
                }
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn generated_templates_never_panic(src in fragments()) {
        exercise(&engine(), &src);
    }

    #[test]
    fn mutated_templates_never_panic(src in mutated()) {
        exercise(&engine(), &src);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,80}") {
        exercise(&engine(), &src);
    }
}
