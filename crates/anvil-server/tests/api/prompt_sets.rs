use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_error, browser, spawn_app};

async fn project(app: &TestApp, client: &reqwest::Client, org_id: &str) -> String {
    let res = app
        .send_in(
            client,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["project"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn prompt_sets_follow_the_status_rules() {
    let app = spawn_app().await;
    let (owner, admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let project_id = project(&app, &owner, org_id).await;

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &format!("/api/v1/projects/{project_id}/prompt_sets"),
            Some(json!({"prompt_set": {"name": "Welcome Emails"}})),
        )
        .await;
    assert_eq!(res.status(), 201, "members create prompt sets");
    let set = res.json::<Value>().await.unwrap()["prompt_set"].clone();
    assert_eq!(
        (set["slug"].as_str(), set["status"].as_str()),
        (Some("welcome-emails"), Some("live"))
    );
    let id = set["id"].as_str().unwrap();

    let by_addr: Value = app
        .send_in(
            &member,
            Method::GET,
            org_id,
            "/api/v1/prompt_sets/by_address/support/welcome-emails",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_addr["prompt_set"]["id"], id);
    let listed: Value = app
        .send_in(
            &member,
            Method::GET,
            org_id,
            &format!("/api/v1/prompt_sets?project_id={project_id}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["prompt_sets"].as_array().unwrap().len(), 1);

    let res = app
        .send_in(
            &member,
            Method::PATCH,
            org_id,
            &format!("/api/v1/prompt_sets/{id}"),
            Some(json!({"description": "v2"})),
        )
        .await;
    assert_eq!(res.status(), 200);

    let status = format!("/api/v1/prompt_sets/{id}/status");
    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &status,
            Some(json!({"status": "locked"})),
        )
        .await;
    let error = api_error(res, 403).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("only admins and owners"),
        "{error}"
    );
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            &status,
            Some(json!({"status": "frozen"})),
        )
        .await;
    assert_eq!(api_error(res, 422).await["details"][0]["field"], "status");
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            &status,
            Some(json!({"status": "locked"})),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["prompt_set"]["status"],
        "locked"
    );

    for who in [&member, &admin] {
        let res = app
            .send_in(
                who,
                Method::PATCH,
                org_id,
                &format!("/api/v1/prompt_sets/{id}"),
                Some(json!({"description": "v3"})),
            )
            .await;
        let error = api_error(res, 409).await;
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("locked") && message.contains("admin or owner can unlock"),
            "{message}"
        );
    }
    app.send_in(
        &owner,
        Method::POST,
        org_id,
        &status,
        Some(json!({"status": "live"})),
    )
    .await;
    let res = app
        .send_in(
            &member,
            Method::PATCH,
            org_id,
            &format!("/api/v1/prompt_sets/{id}"),
            Some(json!({"description": "v3"})),
        )
        .await;
    assert_eq!(res.status(), 200);

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &format!("/api/v1/projects/{project_id}/prompt_sets"),
            Some(json!({"name": "Welcome Emails"})),
        )
        .await;
    assert_eq!(api_error(res, 409).await["details"][0]["field"], "name");

    let res = app
        .send_in(
            &member,
            Method::DELETE,
            org_id,
            &format!("/api/v1/prompt_sets/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 403, "members do not delete prompt sets");
    let res = app
        .send_in(
            &admin,
            Method::DELETE,
            org_id,
            &format!("/api/v1/prompt_sets/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.send_in(
            &admin,
            Method::GET,
            org_id,
            &format!("/api/v1/prompt_sets/{id}"),
            None
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn other_tenants_cannot_reach_prompt_sets() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let project_id = project(&app, &owner, org_id).await;
    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            &format!("/api/v1/projects/{project_id}/prompt_sets"),
            Some(json!({"name": "Secret"})),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["prompt_set"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let eve = browser();
    app.register(&eve, "eve@other.test").await;
    for (m, path, body) in [
        (Method::GET, format!("/api/v1/prompt_sets/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/prompt_sets/{id}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/prompt_sets/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/prompt_sets/{id}/status"),
            Some(json!({"status": "locked"})),
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{project_id}/prompt_sets"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project_id}/prompt_sets"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::GET,
            format!("/api/v1/prompt_sets?project_id={project_id}"),
            None,
        ),
        (
            Method::GET,
            "/api/v1/prompt_sets/by_address/support/secret".to_string(),
            None,
        ),
    ] {
        let res = app.send_in(&eve, m.clone(), "", &path, body).await;
        assert_eq!(res.status(), 404, "{m} {path}");
    }
    let res = app
        .send_in(&eve, Method::GET, "", "/api/v1/prompt_sets", None)
        .await;
    assert_eq!(res.status(), 400, "project_id is required");
}
