//! Bundles out: a set with its pinned dependencies, a project with its channels, checksums
//! that verify, entity tags, compression, and who may export what.

use anvil_core::bundle::Bundle;
use reqwest::Method;
use serde_json::{Value, json};

use crate::composition::tone;
use crate::helpers::{Registry, TestApp, spawn_app};

/// The registry's `support/emails` depending on `common/tone@^1.0`, cut at 1.0.0 and put on
/// `production`.
async fn published(app: &TestApp, r: &Registry) -> String {
    tone(app, r).await;
    let (s, b) = app
        .call(
            r,
            &r.owner,
            Method::PATCH,
            &format!("/api/v1/prompt_sets/{}", r.set_id),
            Some(json!({"dependencies": ["common/tone@^1.0"]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, v) = app
        .call(
            r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/versions", r.set_id),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = app
        .call(
            r,
            &r.owner,
            Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201);
    v["version"]["checksum"].as_str().unwrap().to_string()
}

async fn bundle_of(app: &TestApp, r: &Registry, path: &str) -> (Bundle, String) {
    let res = r
        .owner
        .get(app.url(path))
        .header("x-anvil-organisation", &r.org_id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let bytes = res.bytes().await.unwrap();
    (Bundle::parse(&bytes).expect("the bundle verifies"), etag)
}

#[tokio::test]
async fn a_set_bundle_carries_its_pinned_dependencies_and_verifies() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let checksum = published(&app, &r).await;
    let path = format!("/api/v1/prompt_sets/{}/bundle?version=production", r.set_id);
    let (b, etag) = bundle_of(&app, &r, &path).await;
    assert_eq!(b.format, "anvil.bundle/v1");
    assert_eq!(b.source.project, "support");
    let entries: Vec<(String, String)> = b
        .prompt_sets
        .iter()
        .map(|s| (s.address(), s.version.label.clone()))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("support/emails".to_string(), "1.0.0".to_string()),
            ("common/tone".to_string(), "1.0.1".to_string())
        ],
        "the set, then its dependency at the pinned version"
    );
    assert_eq!(
        b.prompt_sets[0].version.checksum, checksum,
        "the server's checksum"
    );
    assert!(b.prompt_sets[0].prompts.contains_key("welcome"));
    assert_eq!(
        b.prompt_sets[1].prompts["sign"].template, "-- tone 1.1",
        "the pinned version's content, not the working copy's"
    );
    assert!(
        b.prompt_sets[0].channels.is_none(),
        "set bundles carry no channels"
    );

    // The entity tag follows the content, not the export time.
    let res = r
        .owner
        .get(app.url(&path))
        .header("x-anvil-organisation", &r.org_id)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = r
        .owner
        .get(app.url(&path))
        .header("x-anvil-organisation", &r.org_id)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");

    for (query, status) in [
        ("?version=%5E9", 404),
        ("?version=not%20a%20spec", 422),
        ("?colour=1", 400),
    ] {
        let (s, body) = app
            .call(
                &r,
                &r.member,
                Method::GET,
                &format!("/api/v1/prompt_sets/{}/bundle{query}", r.set_id),
                None,
            )
            .await;
        assert_eq!(s, status, "{query}: {body}");
    }
}

#[tokio::test]
async fn a_project_bundle_has_every_published_set_and_its_channels() {
    let app = spawn_app().await;
    let r = app.registry().await;
    published(&app, &r).await;
    // A set with no version is not published and stays out.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/prompt_sets", r.project_id),
            Some(json!({"name": "Drafts"})),
        )
        .await;
    assert_eq!(s, 201);
    for path in ["bundle", "current_bundle"] {
        let (b, _) = bundle_of(
            &app,
            &r,
            &format!("/api/v1/projects/{}/{path}", r.project_id),
        )
        .await;
        let addresses: Vec<String> = b.prompt_sets.iter().map(|s| s.address()).collect();
        assert_eq!(addresses, vec!["support/emails", "common/tone"], "{path}");
        let channels = b.prompt_sets[0].channels.as_ref().unwrap();
        assert_eq!(channels["production"].version, "1.0.0");
    }
    // The answer matches the document's schema of a bundle.
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::GET,
            &format!("/api/v1/projects/{}/bundle", r.project_id),
            None,
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn tokens_export_their_project_only_and_other_tenants_nothing() {
    let app = spawn_app().await;
    let r = app.registry().await;
    published(&app, &r).await;
    let (s, t) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/access_tokens", r.project_id),
            Some(json!({"name": "app"})),
        )
        .await;
    assert_eq!(s, 201);
    let token = t["access_token"]["token"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let res = client
        .get(app.url(&format!("/api/v1/projects/{}/bundle", r.project_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["prompt_sets"].as_array().unwrap().len(), 2);
    // The dependency's own project is not the token's.
    let (_, projects) = app
        .call(&r, &r.owner, Method::GET, "/api/v1/projects", None)
        .await;
    let common = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "common")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = client
        .get(app.url(&format!("/api/v1/projects/{common}/bundle")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Someone of another organisation learns nothing.
    let eve = crate::helpers::browser();
    app.register(&eve, "eve@other.test").await;
    for path in [
        format!("/api/v1/projects/{}/bundle", r.project_id),
        format!("/api/v1/prompt_sets/{}/bundle", r.set_id),
    ] {
        let res = app.get(&eve, &path).await;
        assert_eq!(res.status(), 404, "{path}");
    }
}
