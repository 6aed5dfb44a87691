use anvil_server::config::Switch;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{api_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_api_response_carries_rate_limit_headers_and_limits_hold_per_credential() {
    let app = spawn_app_with(|c| {
        c.rate_limit_standard_per_hour = 40;
        c.rate_limit_delivery_burst = 2;
        c.rate_limit_delivery_per_second = 1;
    })
    .await;
    let r = app.registry().await;
    let res = app
        .send_in(&r.member, Method::GET, &r.org_id, "/api/v1/projects", None)
        .await;
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-ratelimit-limit"], "40");
    let remaining: u64 = h["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining < 40);
    assert!(
        h["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );

    // The member's standard bucket runs dry; the admin's is their own.
    let mut last = None;
    for _ in 0..=remaining {
        last = Some(
            app.send_in(&r.member, Method::GET, &r.org_id, "/api/v1/projects", None)
                .await,
        );
    }
    let refused = last.unwrap();
    assert!(
        refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(api_error(refused, 429).await["type"], "rate_limit_error");
    let res = app
        .send_in(&r.admin, Method::GET, &r.org_id, "/api/v1/projects", None)
        .await;
    assert_eq!(res.status(), 200);

    // Delivery routes have their own bucket: a burst, then 429.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/versions", r.set_id),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 201);
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                app.send_in(
                    &r.admin,
                    Method::GET,
                    &r.org_id,
                    "/api/v1/resolve/support/emails@stable",
                    None,
                )
                .await
                .status()
                .as_u16(),
            );
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    // Operations are not limited.
    let res = app.get(&r.member, "/healthz").await;
    assert!(res.headers().get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn limits_can_be_switched_off_and_responses_are_compressed_on_request() {
    let app = spawn_app_with(|c| c.rate_limits = Switch::Off).await;
    let r = app.registry().await;
    let res = app
        .send_in(&r.member, Method::GET, &r.org_id, "/api/v1/projects", None)
        .await;
    assert!(res.headers().get("x-ratelimit-limit").is_none());

    let res = r
        .member
        .get(app.url("/api/v1/resolve/support/emails"))
        .header("x-anvil-organisation", &r.org_id)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip stream");
    // Errors are compressed consistently too (their body is finished before compression).
    let res = r
        .member
        .get(app.url("/api/v1/resolve/nope/nope"))
        .header("x-anvil-organisation", &r.org_id)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(&res.bytes().await.unwrap()[..2], &[0x1f, 0x8b]);
}

#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let preflight = |app_url: String, origin: &'static str| async move {
        reqwest::Client::new()
            .request(Method::OPTIONS, app_url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap()
    };
    let closed = spawn_app().await;
    let res = preflight(closed.url("/api/v1/render"), "https://app.example.com").await;
    assert!(res.headers().get("access-control-allow-origin").is_none());

    let app =
        spawn_app_with(|c| c.cors_allowed_origins = vec!["https://app.example.com".into()]).await;
    let res = preflight(app.url("/api/v1/render"), "https://app.example.com").await;
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let allowed = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let res = preflight(app.url("/api/v1/render"), "https://evil.example.com").await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
