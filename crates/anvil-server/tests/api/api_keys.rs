use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{api_error, spawn_app};

#[tokio::test]
async fn api_keys_are_shown_once_and_act_within_their_scopes() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let res = app
        .post(
            &owner,
            "/api/v1/api_keys",
            json!({"api_key": {"name": "ci", "scopes": ["read"], "organisation_id": org_id}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created = res.json::<Value>().await.unwrap()["api_key"].clone();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("ank_live_") && key.len() >= 9 + 32, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    let list: Value = app
        .send_in(&owner, Method::GET, org_id, "/api/v1/api_keys", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["api_keys"].as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(&key),
        "the key is only shown at creation"
    );

    let bearer = reqwest::Client::new();
    let res = bearer
        .get(app.url("/api/v1/organisation"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["organisation"]["id"],
        org_id
    );

    // A read key cannot manage invitations (the owner could), nor create keys.
    let res = bearer
        .post(app.url("/api/v1/organisation/members"))
        .bearer_auth(&key)
        .json(&json!({"email": "x@acme.test"}))
        .send()
        .await
        .unwrap();
    let error = api_error(res, 403).await;
    assert!(
        error["message"].as_str().unwrap().contains("'admin' scope"),
        "{error}"
    );
    let res = bearer
        .post(app.url("/api/v1/api_keys"))
        .bearer_auth(&key)
        .json(&json!({"name": "k2", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = app
        .send_in(
            &owner,
            Method::DELETE,
            org_id,
            &format!("/api/v1/api_keys/{}", created["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = bearer
        .get(app.url("/api/v1/organisation"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 401).await["type"], "authentication_error");
}

#[tokio::test]
async fn bad_key_requests_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    let res = app
        .post(
            &app.client,
            "/api/v1/api_keys",
            json!({"name": "", "scopes": ["root"]}),
        )
        .await;
    let error = api_error(res, 422).await;
    let fields: Vec<&str> = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "scopes"]);
    let res = app
        .post(
            &app.client,
            "/api/v1/api_keys",
            json!({"name": "k", "scopes": "read"}),
        )
        .await;
    assert_eq!(api_error(res, 422).await["details"][0]["field"], "scopes");
    let res = app
        .post(
            &app.client,
            "/api/v1/api_keys",
            json!({"name": "k", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        api_error(res, 422).await["details"][0]["field"],
        "expires_at"
    );
    assert_eq!(app.count("api_keys").await, 0);
    for bad in ["ank_live_nope", "Basic abc", "ank_live_", ""] {
        let res = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{bad}");
    }
}

#[tokio::test]
async fn lists_are_paginated_with_tamper_proof_cursors() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    for i in 0..5 {
        let res = app
            .post(
                &app.client,
                "/api/v1/api_keys",
                json!({"name": format!("k{i}"), "scopes": ["read"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/api_keys?limit=2".to_string();
    let mut pages = 0;
    loop {
        let body: Value = app.get(&app.client, &path).await.json().await.unwrap();
        pages += 1;
        for k in body["api_keys"].as_array().unwrap() {
            seen.push(k["name"].as_str().unwrap().to_string());
        }
        if pages == 1 {
            // A key created mid-way does not shift later pages.
            app.post(
                &app.client,
                "/api/v1/api_keys",
                json!({"name": "late", "scopes": ["read"]}),
            )
            .await;
        }
        match body["meta"]["cursor"].as_str() {
            Some(c) => {
                assert_eq!(body["meta"]["has_more"], true);
                path = format!("/api/v1/api_keys?limit=2&cursor={c}");
            }
            None => {
                assert_eq!(body["meta"]["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        ["k4", "k3", "k2", "k1", "k0"],
        "newest first, each once"
    );

    let first: Value = app
        .get(&app.client, "/api/v1/api_keys?limit=1")
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["meta"]["cursor"].as_str().unwrap().to_string();
    let (id, tag) = cursor.split_once('.').unwrap();
    let forged = format!("{}.{tag}", &id[..id.len() - 1]);
    for bad in [forged.as_str(), "garbage", "a.b", &format!("{id}.AAAA")] {
        let res = app
            .get(&app.client, &format!("/api/v1/api_keys?cursor={bad}"))
            .await;
        assert_eq!(
            api_error(res, 400).await["type"],
            "invalid_request_error",
            "{bad}"
        );
    }
    for bad in ["0", "201", "ten"] {
        let res = app
            .get(&app.client, &format!("/api/v1/api_keys?limit={bad}"))
            .await;
        assert_eq!(res.status(), 400, "limit={bad}");
    }
}
