//! Bad input gets the documented error and changes nothing.

use serde_json::json;

use crate::helpers::{api_error, spawn_app};

async fn post_raw(app: &crate::helpers::TestApp, path: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_an_invalid_request() {
    let app = spawn_app().await;
    let res = post_raw(&app, "/api/v1/auth/register", "{\"email\": ").await;
    assert_eq!(api_error(res, 400).await["type"], "invalid_request_error");
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 400).await["type"], "invalid_request_error");
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_name_the_field() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        "/api/v1/auth/register",
        r#"{"email": 42, "password": "correct horse battery"}"#,
    )
    .await;
    let error = api_error(res, 422).await;
    assert_eq!(error["type"], "validation_error");
    assert_eq!(error["details"][0]["field"], "email", "{error}");

    let res = post_raw(
        &app,
        "/api/v1/auth/register",
        r#"{"email": "ada@example.com", "password": "correct horse battery", "admin": true}"#,
    )
    .await;
    let error = api_error(res, 422).await;
    assert_eq!(error["details"][0]["field"], "admin", "{error}");

    let res = post_raw(
        &app,
        "/api/v1/auth/register",
        r#"{"email": "ada@example.com"}"#,
    )
    .await;
    let error = api_error(res, 422).await;
    assert_eq!(error["details"][0]["field"], "password", "{error}");
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn invalid_values_are_validation_errors_naming_each_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "not-an-email", "password": "short"}),
        )
        .await;
    let error = api_error(res, 422).await;
    let fields: Vec<&str> = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    assert!(
        error["details"][1]["message"]
            .as_str()
            .unwrap()
            .contains("12")
    );
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("organisations").await, 0);
    assert_eq!(app.count("audit_events").await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app_small().await;
    let big = format!(
        r#"{{"email": "ada@example.com", "password": "{}"}}"#,
        "x".repeat(4096)
    );
    let res = post_raw(&app, "/api/v1/auth/register", &big).await;
    assert_eq!(api_error(res, 413).await["type"], "payload_too_large");
    assert_eq!(app.count("users").await, 0);
}

async fn spawn_app_small() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(|c| c.max_body_bytes = 2048).await
}

#[tokio::test]
async fn garbage_session_cookies_are_unauthenticated() {
    let app = spawn_app().await;
    for cookie in [
        "anvil_session=",
        "anvil_session=deadbeef",
        "anvil_session=%00%ff",
    ] {
        let res = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(
            api_error(res, 401).await["type"],
            "authentication_error",
            "{cookie}"
        );
    }
}
