//! A cached SDK render of `bench/delivery/welcome.liquid` (the 1 KB prompt of the delivery
//! benchmark) against, in the same run: the engine's own render of the same parsed template
//! (`PromptEngine::render`, parameter checks included), and the loopback round trip an
//! application without the SDK makes (`POST /api/v1/render/...` to a forge in this process).
//! `bench/sdk.sh` turns the figures into the "SDK render" section of BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use anvil_core::partials::SetPartials;
use anvil_core::render::PromptEngine;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

const ADDRESS: &str = "support/emails@1.0.0/welcome";

fn fixture() -> (String, Value) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/delivery");
    let template = std::fs::read_to_string(format!("{root}/welcome.liquid")).unwrap();
    let mut prompt: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/seed.json")).unwrap())
            .unwrap();
    prompt["template"] = json!(template);
    (template, prompt)
}

/// A forge on 127.0.0.1 with the fixture cut as `support/emails@1.0.0`; its URL and a key.
async fn forge(prompt: Value) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("anvil-sdk-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = anvil_server::config::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir,
        rate_limits: anvil_server::config::Switch::Off,
        ..anvil_server::config::Config::default()
    };
    let f = anvil_server::Forge::build(config).await.unwrap();
    let url = format!("http://{}", f.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = f.run_until(std::future::pending::<()>()).await;
    });
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let call = |path: &str, body: Value| {
        let (http, url, path) = (http.clone(), url.clone(), path.to_string());
        async move {
            let res = http
                .post(format!("{url}/api/v1{path}"))
                .header("origin", &url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            res.json::<Value>().await.unwrap()
        }
    };
    call(
        "/auth/register",
        json!({"email": "bench@example.com", "password": "correct horse battery"}),
    )
    .await;
    let project = call("/projects", json!({"name": "Support"})).await;
    let p = project["project"]["id"].as_str().unwrap();
    let set = call(
        &format!("/projects/{p}/prompt_sets"),
        json!({"name": "Emails"}),
    )
    .await;
    let s = set["prompt_set"]["id"].as_str().unwrap();
    call(&format!("/prompt_sets/{s}/prompts"), prompt).await;
    call(
        &format!("/prompt_sets/{s}/versions"),
        json!({"label": "1.0.0"}),
    )
    .await;
    let key = call("/api_keys", json!({"name": "bench", "scopes": ["read"]})).await;
    (url, key["api_key"]["key"].as_str().unwrap().to_string())
}

fn render(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (template, prompt) = fixture();
    let (url, key) = rt.block_on(forge(prompt.clone()));
    let vars = json!({"customer_name": "Ada Lovelace"});
    let anvil = anvil_sdk::Client::builder()
        .base_url(&url)
        .api_key(&key)
        .build()
        .unwrap();
    let warm = rt.block_on(anvil.render(ADDRESS, vars.clone())).unwrap();

    // The engine alone, on the same template and parameters.
    let engine = PromptEngine::default();
    let parsed = engine.parse(&template).unwrap();
    let params: Vec<anvil_core::params::Parameter> =
        serde_json::from_value(prompt["parameters"].clone()).unwrap();
    let partials = SetPartials::new("support/emails");
    let Value::Object(map) = vars.clone() else {
        unreachable!()
    };
    let direct = engine.render(&parsed, &params, &map, &partials, 0).unwrap();
    assert_eq!(
        direct.text, warm.text,
        "the SDK renders what the engine renders"
    );

    let http = reqwest::Client::new();
    let render_url = format!("{url}/api/v1/render/{ADDRESS}");
    let body = json!({"variables": vars});
    let over_http = rt.block_on(async {
        let res = http
            .post(&render_url)
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()
    });
    assert_eq!(over_http["rendered"], json!(warm.text), "and the forge too");

    let mut g = c.benchmark_group("sdk_render_welcome");
    g.bench_function("engine", |b| {
        b.iter(|| {
            let Value::Object(m) = black_box(vars.clone()) else {
                unreachable!()
            };
            black_box(engine.render(&parsed, &params, &m, &partials, 0).unwrap())
        })
    });
    // Timed inside one block_on, so the runtime's entry is not part of each render.
    g.bench_function("sdk_cached", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(
                        anvil
                            .render(ADDRESS, black_box(vars.clone()))
                            .await
                            .unwrap(),
                    );
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("loopback_round_trip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let res = http
                        .post(&render_url)
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    black_box(res.bytes().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = render
}
criterion_main!(benches);
