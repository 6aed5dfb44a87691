use serde_json::{Value, json};

use crate::helpers::{api_error, browser, spawn_app, spawn_app_with};

#[tokio::test]
async fn registration_signs_in_and_creates_the_personal_organisation() {
    let app = spawn_app().await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "Ada@Example.com", "password": "correct horse battery", "name": "Ada"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("anvil_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Max-Age"),
        "a session cookie unless remember_me: {cookie}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["confirmed"], false);

    let me: Value = app
        .get(&app.client, "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["name"], "Ada");
    let orgs = me["organisations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["personal"], true);
    assert_eq!(orgs[0]["role"], "owner");
    assert_eq!(orgs[0]["name"], "Ada's Personal");
    assert!(
        orgs[0]["slug"]
            .as_str()
            .unwrap()
            .starts_with("ada-s-personal-")
    );
    assert_eq!(me["api_key"], Value::Null);
    // The registration's audit event committed with it.
    assert_eq!(app.count("audit_events").await, 1);
}

#[tokio::test]
async fn the_database_keeps_only_hashes_of_passwords_and_sessions() {
    let app = spawn_app().await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let token = cookie
        .trim_start_matches("anvil_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let dump = app.dump("sessions").await + &app.dump("users").await;
    assert!(!dump.contains(&token), "session token stored in clear");
    assert!(
        !dump.contains("correct horse battery"),
        "password stored in clear"
    );
    assert!(dump.contains("$argon2id$"));
}

#[tokio::test]
async fn duplicate_emails_conflict_whatever_their_case() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    let res = app
        .post(
            &browser(),
            "/api/v1/auth/register",
            json!({"email": "ADA@example.com", "password": "another long password"}),
        )
        .await;
    let error = api_error(res, 409).await;
    assert_eq!(error["type"], "conflict_error");
    assert_eq!(error["details"][0]["field"], "email");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("organisations").await, 1);
}

#[tokio::test]
async fn sign_in_and_out() {
    let app = spawn_app().await;
    app.register(&browser(), "ada@example.com").await;

    let wrong = app
        .post(
            &app.client,
            "/api/v1/auth/sign_in",
            json!({"email": "ada@example.com", "password": "not the password"}),
        )
        .await;
    let error = api_error(wrong, 401).await;
    assert_eq!(error["message"], "invalid email or password");
    let unknown = app
        .post(
            &app.client,
            "/api/v1/auth/sign_in",
            json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(
        api_error(unknown, 401).await["message"],
        "invalid email or password"
    );
    assert_eq!(app.get(&app.client, "/api/v1/me").await.status(), 401);

    let ok = app
        .post(
            &app.client,
            "/api/v1/auth/sign_in",
            json!({"email": "ADA@example.com", "password": "correct horse battery", "remember_me": true}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=2592000")
    );
    assert_eq!(app.get(&app.client, "/api/v1/me").await.status(), 200);

    let out = app
        .post(&app.client, "/api/v1/auth/sign_out", json!({}))
        .await;
    assert_eq!(out.status(), 204);
    let error = api_error(app.get(&app.client, "/api/v1/me").await, 401).await;
    assert_eq!(error["type"], "authentication_error");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_ip_and_email() {
    let app = spawn_app().await;
    app.register(&browser(), "ada@example.com").await;
    for _ in 0..5 {
        let res = app
            .post(
                &app.client,
                "/api/v1/auth/sign_in",
                json!({"email": "ada@example.com", "password": "wrong password!"}),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/sign_in",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(api_error(res, 429).await["type"], "rate_limit_error");
    // Another email from the same client is not affected.
    app.register(&browser(), "bob@example.com").await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/sign_in",
            json!({"email": "bob@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn sessions_can_be_listed_and_ended_one_by_one_or_everywhere() {
    let app = spawn_app().await;
    let laptop = browser();
    let phone = browser();
    app.register(&laptop, "ada@example.com").await;
    let res = app
        .post(
            &phone,
            "/api/v1/auth/sign_in",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let list: Value = app
        .get(&laptop, "/api/v1/auth/sessions")
        .await
        .json()
        .await
        .unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();

    // A session id of someone else is not found, and ends nothing.
    let stranger = browser();
    app.register(&stranger, "eve@example.com").await;
    let res = stranger
        .delete(app.url(&format!(
            "/api/v1/auth/sessions/{}",
            other["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 404).await["type"], "not_found_error");
    assert_eq!(app.get(&phone, "/api/v1/me").await.status(), 200);

    let res = laptop
        .delete(app.url(&format!(
            "/api/v1/auth/sessions/{}",
            other["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get(&phone, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&laptop, "/api/v1/me").await.status(), 200);

    // Sign in on the phone again, then sign out everywhere from the laptop.
    app.post(
        &phone,
        "/api/v1/auth/sign_in",
        json!({"email": "ada@example.com", "password": "correct horse battery"}),
    )
    .await;
    let res = app
        .post(&laptop, "/api/v1/auth/sign_out_everywhere", json!({}))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get(&phone, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&laptop, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&stranger, "/api/v1/me").await.status(), 200);
}

#[tokio::test]
async fn cross_site_requests_with_the_cookie_are_refused() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/sign_out"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 403).await["type"], "authorization_error");
    let res = app
        .client
        .post(app.url("/api/v1/auth/sign_out"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.get(&app.client, "/api/v1/me").await.status(),
        200,
        "still signed in"
    );
}

#[tokio::test]
async fn registration_can_be_disabled() {
    let app = spawn_app_with(|c| c.registration_enabled = false).await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(api_error(res, 403).await["type"], "authorization_error");
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn sessions_end_after_two_idle_hours() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    assert_eq!(app.get(&app.client, "/api/v1/me").await.status(), 200);
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared("UPDATE sessions SET expires_at = created_at")
        .await
        .unwrap();
    let error = api_error(app.get(&app.client, "/api/v1/me").await, 401).await;
    assert!(error["message"].as_str().unwrap().contains("sign in again"));
    assert_eq!(
        app.count("sessions").await,
        0,
        "the expired session is deleted"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_served_over_https() {
    let app = spawn_app_with(|c| c.public_url = Some("https://prompts.example.com".into())).await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
}
