use serde_json::Value;

use crate::helpers::{api_error, spawn_app};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let res = app.get(&app.client, "/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let res = app.get(&app.client, "/readyz").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["migrations"], "current");
    let expected = if std::env::var("ANVIL_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(body["backend"], expected);
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-123");
    let a = app.get(&app.client, "/healthz").await;
    let b = app.get(&app.client, "/healthz").await;
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let app = spawn_app().await;
    let error = api_error(app.get(&app.client, "/api/v1/nope").await, 404).await;
    assert_eq!(error["type"], "not_found_error");
}

#[tokio::test]
async fn metrics_count_requests_per_route() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get(&app.client, "/healthz").await;
    }
    let text = app.get(&app.client, "/metrics").await.text().await.unwrap();
    assert!(
        text.contains(
            "anvil_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3"
        ),
        "{text}"
    );
    assert!(text.contains("anvil_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 3"));
    assert!(text.contains("anvil_db_pool_connections{state=\"open\"}"));
}
