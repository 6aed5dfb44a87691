use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{api_error, browser, spawn_app};

#[tokio::test]
async fn admins_manage_projects_and_members_read_them() {
    let app = spawn_app().await;
    let (owner, admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support"})),
        )
        .await;
    assert_eq!(
        api_error(res, 403).await["message"],
        "only admins and owners can manage projects; you are a member"
    );

    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"project": {"name": "Customer Support", "description": "Emails"}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let p = res.json::<Value>().await.unwrap()["project"].clone();
    assert_eq!(p["slug"], "customer-support");
    let id = p["id"].as_str().unwrap();

    let list: Value = app
        .send_in(&member, Method::GET, org_id, "/api/v1/projects", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["projects"].as_array().unwrap().len(), 1);
    let by_slug = app
        .send_in(
            &member,
            Method::GET,
            org_id,
            "/api/v1/projects/by_slug/customer-support",
            None,
        )
        .await;
    assert_eq!(by_slug.json::<Value>().await.unwrap()["project"]["id"], id);

    let res = app
        .send_in(
            &owner,
            Method::PATCH,
            org_id,
            &format!("/api/v1/projects/{id}"),
            Some(json!({"name": "Support", "slug": "support"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["project"]["slug"],
        "support"
    );

    // Duplicates are 409 naming the field.
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support", "slug": "other"})),
        )
        .await;
    assert_eq!(api_error(res, 409).await["details"][0]["field"], "name");
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Other", "slug": "support"})),
        )
        .await;
    assert_eq!(api_error(res, 409).await["details"][0]["field"], "slug");

    // Deleting archives: gone from reads, slug still reserved.
    let res = app
        .send_in(
            &member,
            Method::DELETE,
            org_id,
            &format!("/api/v1/projects/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .send_in(
            &admin,
            Method::DELETE,
            org_id,
            &format!("/api/v1/projects/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.send_in(
            &admin,
            Method::GET,
            org_id,
            &format!("/api/v1/projects/{id}"),
            None
        )
        .await
        .status(),
        404
    );
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support", "slug": "support"})),
        )
        .await;
    assert_eq!(
        api_error(res, 409).await["details"][0]["field"],
        "slug",
        "an archived slug stays reserved"
    );
    // A generated slug that is taken gets a suffix instead.
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support"})),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["project"]["slug"],
        "support-2"
    );

    // Each change emitted an event, with consecutive ids.
    let rows = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT id, event_type FROM events ORDER BY id".to_string(),
        ))
        .await
        .unwrap();
    let events: Vec<(i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "id").unwrap(),
                r.try_get::<String>("", "event_type").unwrap(),
            )
        })
        .collect();
    let types: Vec<&str> = events.iter().map(|(_, t)| t.as_str()).collect();
    // The team's two members joined first (member.added), then the project's life.
    assert_eq!(
        types,
        [
            "member.added",
            "member.added",
            "project.created",
            "project.updated",
            "project.deleted",
            "project.created"
        ]
    );
    assert_eq!(
        events.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
}

#[tokio::test]
async fn project_input_is_validated_and_other_tenants_see_nothing() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": "x", "slug": "Bad Slug"}), "slug"),
        (json!({"name": "x", "colour": "red"}), "colour"),
        (json!({"name": "!!!"}), "slug"),
    ] {
        let res = app
            .send_in(
                &owner,
                Method::POST,
                org_id,
                "/api/v1/projects",
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            api_error(res, 422).await["details"][0]["field"],
            field,
            "{body}"
        );
    }
    assert_eq!(app.count("projects").await, 0);

    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Secret"})),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let eve = browser();
    app.register(&eve, "eve@other.test").await;
    for (m, path, body) in [
        (Method::GET, format!("/api/v1/projects/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/projects/{id}"),
            Some(json!({"name": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/projects/{id}"), None),
    ] {
        let res = app.send_in(&eve, m.clone(), "", &path, body).await;
        assert_eq!(res.status(), 404, "{m} {path}");
    }
    let res = app
        .send_in(&eve, Method::GET, org_id, "/api/v1/projects", None)
        .await;
    assert_eq!(res.status(), 404);
    let mine: Value = app
        .send_in(&eve, Method::GET, "", "/api/v1/projects", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["projects"].as_array().unwrap().len(), 0);
    let still: Value = app
        .send_in(
            &owner,
            Method::GET,
            org_id,
            &format!("/api/v1/projects/{id}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["project"]["name"], "Secret");
}

#[tokio::test]
async fn every_read_carries_an_etag_that_gives_304() {
    let app = crate::helpers::spawn_app().await;
    let r = app.registry().await;
    let path = format!("/api/v1/projects/{}", r.project_id);
    let res = app
        .send_in(&r.member, reqwest::Method::GET, &r.org_id, &path, None)
        .await;
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let fetch = |tag: String| {
        let (app, r, path) = (&app, &r, path.clone());
        async move {
            let res = r
                .member
                .get(app.url(&path))
                .header("x-anvil-organisation", &r.org_id)
                .header("if-none-match", tag)
                .send()
                .await
                .unwrap();
            crate::contract::checked("GET", &path, res).await
        }
    };
    let res = fetch(etag.clone()).await;
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    // A change makes a new tag; the old one gets the new body.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            reqwest::Method::PATCH,
            &path,
            Some(serde_json::json!({"description": "changed"})),
        )
        .await;
    assert_eq!(s, 200);
    let res = fetch(etag.clone()).await;
    assert_eq!(res.status(), 200);
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
    // Lists too.
    let res = app
        .send_in(
            &r.member,
            reqwest::Method::GET,
            &r.org_id,
            "/api/v1/projects",
            None,
        )
        .await;
    assert!(res.headers().get("etag").is_some());
}
