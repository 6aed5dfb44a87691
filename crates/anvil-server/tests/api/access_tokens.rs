//! Project access tokens.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_error, browser, spawn_app};

async fn project_in(app: &TestApp, owner: &reqwest::Client, org_id: &str) -> String {
    let res = app
        .send_in(
            owner,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support", "slug": "support"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["project"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn admins_manage_project_tokens_which_cannot_manage_anything() {
    let app = spawn_app().await;
    let (owner, admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let project = project_in(&app, &owner, org_id).await;
    let path = format!("/api/v1/projects/{project}/access_tokens");

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &path,
            Some(json!({"name": "prod"})),
        )
        .await;
    assert_eq!(res.status(), 403, "members cannot create tokens");
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            &path,
            Some(json!({"access_token": {"name": "prod"}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created = res.json::<Value>().await.unwrap()["access_token"].clone();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("anp_live_"));

    let list: Value = app
        .send_in(&owner, Method::GET, org_id, &path, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["access_tokens"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&token));

    let bearer = reqwest::Client::new();
    let res = bearer
        .get(app.url("/api/v1/organisation"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 403).await["type"], "authorization_error");

    let eve = browser();
    app.register(&eve, "eve@other.test").await;
    let res = app.send_in(&eve, Method::GET, "", &path, None).await;
    assert_eq!(res.status(), 404);
    let res = app
        .send_in(
            &eve,
            Method::DELETE,
            "",
            &format!("/api/v1/access_tokens/{}", created["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);

    let res = app
        .send_in(
            &admin,
            Method::DELETE,
            org_id,
            &format!("/api/v1/access_tokens/{}", created["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = bearer
        .get(app.url("/api/v1/organisation"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
