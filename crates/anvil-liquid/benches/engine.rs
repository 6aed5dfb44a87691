//! Parse and render of three prompt-like templates, against the `liquid` crate (0.26) doing the

// Test and benchmark code may panic on broken expectations.
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! same work in the same run. `cargo bench -p anvil-liquid --bench engine`.

use anvil_liquid::{Engine, UndefinedMode, Value};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value as Json, json};
use std::hint::black_box;

struct Case {
    name: &'static str,
    template: String,
    data: Json,
}

fn greeting() -> Case {
    Case {
        name: "greeting",
        template: "Hello {{ name }}, welcome to {{ company }}!".to_string(),
        data: json!({"name": "Ada", "company": "Anvil"}),
    }
}

/// A ~1 KB system prompt: conditionals and a 10-item loop with `upcase` and `truncate`.
fn prompt_1k() -> Case {
    let template = r#"You are a support assistant for {{ company }}. Answer in a friendly, concise tone and
never promise refunds or delivery dates that you cannot verify from the order data below.
{% if customer.vip %}The customer is a VIP member since {{ customer.since }}: thank them for their loyalty
and offer priority handling where the policy allows it.{% else %}The customer is a regular member. Mention
the VIP programme only if they ask about faster shipping.{% endif %}

Customer: {{ customer.name }} ({{ customer.email }})
Open orders:
{% for order in orders %}- #{{ order.id }} {{ order.status | upcase }}: {{ order.summary | truncate: 40 }}
{% endfor %}
{% if orders.size > 5 %}The customer has many open orders; summarise before going into detail.{% else %}Go through the orders one by one if the customer asks.{% endif %}
Rules: cite the order number in every answer, keep answers under 120 words, and hand over to a
human agent when the customer is upset twice in a row or asks for a manager.
"#
    .to_string();
    let orders: Vec<Json> = (1..=10)
        .map(|i| {
            json!({"id": 1000 + i, "status": if i % 3 == 0 { "shipped" } else { "processing" },
                   "summary": format!("{i} x Ergonomic keyboard with extra long description text")})
        })
        .collect();
    Case {
        name: "prompt_1k",
        template,
        data: json!({"company": "Anvil", "customer": {"vip": true, "since": 2019,
                     "name": "Ada Lovelace", "email": "ada@example.com"}, "orders": orders}),
    }
}

/// A ~20 KB document: nested loops over 100 items.
fn document_20k() -> Case {
    let mut template = String::new();
    template.push_str("# Catalogue for {{ shop.name }}\n\n");
    for section in 0..8 {
        template.push_str(&format!(
            "## Section {section}\n\nThis section lists every product with its variants. The \
             text is long on purpose: prompt documents are mostly prose with a few variables, \
             so scanning plain text fast matters more than anything else in a template engine. \
             Reviewers read these documents in the editor and the forge renders them for every \
             request that asks for the catalogue at a given version.\n\n"
        ));
        template.push_str(&"Plain filler text that an author wrote to explain the context of the catalogue to the model. ".repeat(14));
        template.push('\n');
    }
    template.push_str(
        "{% for item in items %}### {{ item.title | capitalize }}\n{% if item.on_sale %}On sale: \
         {{ item.price | minus: 2 | at_least: 1 }}{% else %}Price: {{ item.price }}{% endif %}\n\
         {% for tag in item.tags %}{{ tag | upcase }}{% unless forloop.last %}, {% endunless %}{% endfor %}\n\
         {% endfor %}\nThat is all {{ items.size }} items.\n",
    );
    let items: Vec<Json> = (0..100)
        .map(|i| {
            json!({"title": format!("product number {i}"), "price": 10 + i, "on_sale": i % 4 == 0,
                   "tags": ["red", "green", "blue", "large"]})
        })
        .collect();
    Case {
        name: "document_20k",
        template,
        data: json!({"shop": {"name": "Anvil Supplies"}, "items": items}),
    }
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new();
    let baseline = liquid::ParserBuilder::with_stdlib()
        .build()
        .expect("liquid parser builds");
    for case in [greeting(), prompt_1k(), document_20k()] {
        let ours = engine.parse(&case.template).expect("anvil parses");
        let theirs = baseline.parse(&case.template).expect("liquid parses");
        let data = Value::from(case.data.clone());
        let globals = liquid::to_object(&case.data).expect("liquid object");
        // Both engines must produce the same text, or the comparison means nothing.
        let a = engine
            .render(&ours, &data, &(), UndefinedMode::Lenient)
            .expect("anvil renders");
        let b = theirs.render(&globals).expect("liquid renders");
        if a != b {
            let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let lo = at.saturating_sub(40);
            panic!(
                "engines disagree on {} at byte {at}: anvil {:?} / liquid {:?}",
                case.name,
                a.get(lo..(at + 40).min(a.len())),
                b.get(lo..(at + 40).min(b.len()))
            );
        }

        let mut g = c.benchmark_group(format!("parse/{}", case.name));
        g.bench_function("anvil", |bch| {
            bch.iter(|| engine.parse(black_box(&case.template)))
        });
        g.bench_function("liquid", |bch| {
            bch.iter(|| baseline.parse(black_box(&case.template)))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("render/{}", case.name));
        g.bench_function("anvil", |bch| {
            bch.iter(|| engine.render(black_box(&ours), &data, &(), UndefinedMode::Lenient))
        });
        g.bench_function("liquid", |bch| {
            bch.iter(|| theirs.render(black_box(&globals)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
