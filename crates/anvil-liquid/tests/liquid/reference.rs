//! Differential test against Shopify's Liquid, the reference implementation, on generated
//! prompt-like templates: where golden-liquid is silent, we agree with Ruby.
//!
//! Templates and data come from a fixed seed, so a run is reproducible. Each case gets a
//! verdict from both engines: the output, or "an error" (messages differ by design and are
//! not compared). Cases where Ruby's output shows its host language (`Array#inspect`,
//! `Hash#inspect` leaking through a string filter, which no Liquid template means to print)
//! carry no verdict and are counted apart. The test needs `ruby` and the `liquid` gem
//! (Debian: `ruby-liquid`); without them it is skipped loudly, unless
//! `ANVIL_REQUIRE_REFERENCE=1` (CI) makes that a failure.

use std::io::Write;
use std::process::{Command, Stdio};

use anvil_liquid::{Engine, UndefinedMode, Value};
use serde_json::{Value as Json, json};

const CASES: usize = 1500;
const SEED: u64 = 0x005e_eda1_1e0f_1e55;
/// Agreement required on the cases that carry a verdict.
const REQUIRED: f64 = 0.97;

/// xorshift64*: small, deterministic, good enough to pick template parts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn data(rng: &mut Rng) -> Json {
    let names = ["Ada", "grace hopper", "Linus", "  Émile  ", ""];
    let tiers = ["gold", "silver", "free"];
    let items: Vec<Json> = (0..rng.below(4))
        .map(|i| {
            json!({
                "title": rng.pick(&["Lamp", "desk chair", "Mug", "USB-C cable"]),
                "price": rng.pick(&[json!(12.5), json!(3), json!(0), json!(99.99), json!("7")]),
                "qty": rng.below(5),
                "tier": rng.pick(&tiers),
                "tags": if rng.chance(50) { json!(["home", "office"]) } else { json!([]) },
                "position": i,
            })
        })
        .collect();
    json!({
        "customer": {
            "name": rng.pick(&names),
            "tier": rng.pick(&tiers),
            "orders": rng.pick(&[json!(0), json!(3), json!(-2), json!(4.5)]),
            "tags": rng.pick(&[json!(["vip", "early"]), json!([]), json!(["b", "a", "b"])]),
        },
        "company": rng.pick(&["Acme", "ACME corp", "acme-labs"]),
        "items": items,
        "topics": rng.pick(&[json!(["billing", "refunds", "shipping"]), json!(["one"]), json!([])]),
        "count": rng.pick(&[json!(0), json!(7), json!(-3), json!(2.5), json!("12")]),
        "ratio": rng.pick(&[json!(0.25), json!(1), json!(1.755)]),
        "blank_text": "",
        "none": null,
        "flag": rng.chance(50),
        "note": rng.pick(&["  hello world  ", "multi\nline text", "a, b, c", "<b>bold</b> & more"]),
        "csv": rng.pick(&["a,b,c", "x", ",,", ""]),
    })
}

const PATHS: [&str; 22] = [
    "customer.name",
    "customer.tier",
    "customer.orders",
    "customer.tags",
    "customer",
    "company",
    "items",
    "items.first.title",
    "items[0].price",
    "items.size",
    "topics",
    "topics.first",
    "topics.last",
    "topics.size",
    "count",
    "ratio",
    "blank_text",
    "none",
    "flag",
    "note",
    "csv",
    "missing",
];

fn literal(rng: &mut Rng) -> String {
    rng.pick(&[
        "'gold'", "'Acme'", "''", "0", "1", "2.5", "true", "nil", "'a,b'",
    ])
    .to_string()
}

fn filter(rng: &mut Rng) -> String {
    let f: &[&str] = &[
        "upcase",
        "downcase",
        "capitalize",
        "strip",
        "escape",
        "size",
        "first",
        "last",
        "join: ', '",
        "join",
        "sort",
        "uniq",
        "reverse",
        "compact",
        "map: 'title'",
        "where: 'tier', 'gold'",
        "where: 'tier'",
        "split: ','",
        "append: '!'",
        "prepend: '> '",
        "replace: 'a', 'o'",
        "remove: ' '",
        "truncate: 8",
        "truncatewords: 2",
        "default: 'n/a'",
        "plus: 1",
        "minus: 2",
        "times: 3",
        "divided_by: 2",
        "modulo: 3",
        "round",
        "ceil",
        "floor",
        "abs",
        "at_least: 1",
        "at_most: 5",
        "slice: 1",
        "slice: 0, 2",
        "newline_to_br",
        "strip_newlines",
        "url_encode",
    ];
    rng.pick(f).to_string()
}

fn expression(rng: &mut Rng, locals: &[&str]) -> String {
    let base = if !locals.is_empty() && rng.chance(40) {
        rng.pick(locals).to_string()
    } else if rng.chance(10) {
        literal(rng)
    } else {
        rng.pick(&PATHS).to_string()
    };
    let mut out = base;
    for _ in 0..rng.below(3) {
        out.push_str(" | ");
        out.push_str(&filter(rng));
    }
    out
}

fn condition(rng: &mut Rng, locals: &[&str]) -> String {
    let one = |rng: &mut Rng| {
        let path = if !locals.is_empty() && rng.chance(30) {
            rng.pick(locals).to_string()
        } else {
            rng.pick(&PATHS).to_string()
        };
        match rng.below(4) {
            0 => path,
            1 => format!(
                "{path} {} {}",
                rng.pick(&["==", "!=", ">", "<", ">=", "<="]),
                literal(rng)
            ),
            2 => format!("{path} contains {}", rng.pick(&["'a'", "'vip'", "'gold'"])),
            _ => format!("{path} == empty"),
        }
    };
    let mut c = one(rng);
    if rng.chance(30) {
        c = format!("{c} {} {}", rng.pick(&["and", "or"]), one(rng));
    }
    c
}

fn text(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(&[
        "Hello ",
        "Dear customer,\n",
        " - ",
        "\n",
        "Thanks for writing to us. ",
        "  ",
        "Summary: ",
    ])
}

fn block(rng: &mut Rng, depth: usize, locals: &mut Vec<&'static str>) -> String {
    let mut out = String::new();
    for _ in 0..1 + rng.below(4) {
        let dash = |rng: &mut Rng| if rng.chance(20) { "-" } else { "" };
        match rng.below(if depth >= 2 { 3 } else { 9 }) {
            0 => out.push_str(text(rng)),
            1 | 2 => {
                let (l, r) = (dash(rng), dash(rng));
                out.push_str(&format!("{{{{{l} {} {r}}}}}", expression(rng, locals)));
            }
            3 => {
                let (l, r) = (dash(rng), dash(rng));
                out.push_str(&format!(
                    "{{%{l} if {} {r}%}}{}",
                    condition(rng, locals),
                    block(rng, depth + 1, locals)
                ));
                if rng.chance(30) {
                    out.push_str(&format!(
                        "{{% elsif {} %}}{}",
                        condition(rng, locals),
                        block(rng, depth + 1, locals)
                    ));
                }
                if rng.chance(40) {
                    out.push_str(&format!("{{% else %}}{}", block(rng, depth + 1, locals)));
                }
                out.push_str("{% endif %}");
            }
            4 => {
                let collection = rng.pick(&[
                    "items",
                    "topics",
                    "customer.tags",
                    "(1..3)",
                    "company",
                    "none",
                    "customer",
                ]);
                let opts = rng.pick(&["", " limit: 2", " reversed", " offset: 1"]);
                let var = rng.pick(&["item", "topic"]);
                locals.push(var);
                let mut body = block(rng, depth + 1, locals);
                if rng.chance(50) {
                    body.push_str(rng.pick::<&str>(&[
                        "{{ forloop.index }}",
                        "{% unless forloop.last %}, {% endunless %}",
                        "{{ item.title }}",
                    ]));
                }
                locals.pop();
                out.push_str(&format!("{{% for {var} in {collection}{opts} %}}{body}"));
                if rng.chance(20) {
                    out.push_str("{% else %}nothing");
                }
                out.push_str("{% endfor %}");
            }
            5 => {
                let var = rng.pick(&["label", "total"]);
                out.push_str(&format!(
                    "{{% assign {var} = {} %}}",
                    expression(rng, locals)
                ));
                locals.push(var);
            }
            6 => {
                out.push_str(&format!(
                    "{{% unless {} %}}{}{{% endunless %}}",
                    condition(rng, locals),
                    block(rng, depth + 1, locals)
                ));
            }
            7 => {
                out.push_str(&format!(
                    "{{% case {} %}}{{% when 'gold' %}}G{{% when 'free', 0 %}}F{{% else %}}?{{% endcase %}}",
                    rng.pick(&["customer.tier", "count", "items.size", "none"])
                ));
            }
            _ => {
                out.push_str(&format!(
                    "{{% capture summary %}}{}{{% endcapture %}}({{{{ summary | strip }}}})",
                    block(rng, depth + 1, locals)
                ));
            }
        }
    }
    out
}

fn cases() -> Vec<Json> {
    let mut rng = Rng(SEED);
    (0..CASES)
        .map(|_| {
            let mut locals = Vec::new();
            json!({"template": block(&mut rng, 0, &mut locals), "data": data(&mut rng)})
        })
        .collect()
}

/// Ruby's verdicts, one per case; `None` when Ruby or its Liquid gem is not installed.
fn reference(cases: &[Json]) -> Option<Vec<Json>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/render.rb");
    let mut child = Command::new("ruby")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut input = String::new();
    for c in cases {
        input.push_str(&c.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    if !out.status.success() {
        eprintln!(
            "the reference engine did not run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let lines: Vec<Json> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (lines.len() == cases.len()).then_some(lines)
}

/// Ruby printing one of its own data structures (`["a", "b"]`, `[4.5]`, `[]`, `{"k"=>1}`,
/// also escaped or URL-encoded): no template means that output.
fn host_artifact(output: &str) -> bool {
    let inspected_list = output.match_indices('[').any(|(i, _)| {
        let next = output[i + 1..].chars().next();
        next.is_some_and(|c| c.is_ascii_digit() || c == '-')
            || ["true", "false", "nil"]
                .iter()
                .any(|w| output[i + 1..].starts_with(w))
    });
    inspected_list
        || [
            "=>", "[\"", "{\"", "[]", "{}", "[&quot;", "=&gt;", "%5B", "%3D%3E",
        ]
        .iter()
        .any(|marker| output.contains(marker))
}

#[test]
fn agrees_with_the_reference_engine_on_generated_prompts() {
    let cases = cases();
    let Some(expected) = reference(&cases) else {
        let required = std::env::var("ANVIL_REQUIRE_REFERENCE").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "ANVIL_REQUIRE_REFERENCE=1 but `ruby` with the `liquid` gem is not available"
        );
        eprintln!(
            "SKIPPED: the differential test against Shopify's Liquid needs `ruby` and the \
             `liquid` gem (apt-get install ruby ruby-liquid)"
        );
        return;
    };
    let engine = Engine::new();
    let (mut agree, mut artifacts) = (0, 0);
    let mut disagreements = Vec::new();
    for (case, want) in cases.iter().zip(&expected) {
        let template = case["template"].as_str().unwrap_or_default();
        let ours = engine.parse(template).and_then(|t| {
            engine.render(
                &t,
                &Value::from(case["data"].clone()),
                &(),
                UndefinedMode::Lenient,
            )
        });
        let theirs = want.get("output").and_then(Json::as_str);
        if theirs.is_some_and(host_artifact) {
            artifacts += 1;
            continue;
        }
        let same = match (&ours, theirs) {
            (Ok(a), Some(b)) => a == b,
            (Err(_), None) => true,
            _ => false,
        };
        if same {
            agree += 1;
        } else {
            disagreements.push(format!(
                "template: {template:?}\n  data: {}\n  ours: {:?}\n  ruby: {}",
                case["data"],
                ours.map_err(|e| e.to_string()),
                want
            ));
        }
    }
    let verdicts = cases.len() - artifacts;
    let ratio = agree as f64 / verdicts as f64;
    eprintln!(
        "reference agreement: {agree} of {verdicts} cases with a verdict ({:.1}%), {artifacts} \
         host artifacts excluded, {} disagreements",
        ratio * 100.0,
        disagreements.len()
    );
    for d in disagreements.iter().take(25) {
        eprintln!("{d}");
    }
    assert!(
        ratio >= REQUIRED,
        "agreement {:.1}% is below {:.0}%",
        ratio * 100.0,
        REQUIRED * 100.0
    );
}
