use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Registry, TestApp, api_error, browser, spawn_app};

async fn cut(app: &TestApp, r: &Registry, label: &str) {
    let (s, b) = app.cut_version(r, &r.admin, json!({"label": label})).await;
    assert_eq!(s, 201, "cut {label}: {b}");
}

async fn edit(app: &TestApp, r: &Registry, template: &str) {
    app.edit_welcome(r, json!({"template": template})).await;
}

/// A registry with versions 0.9.0, 1.0.0, 1.1.0, 1.2.0-rc.1 and 2.0.0 whose welcome prompts
/// say which version they are, and `production` at 1.0.0.
async fn released(app: &TestApp) -> Registry {
    let r = app.registry().await;
    for label in ["0.9.0", "1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0"] {
        edit(
            app,
            &r,
            &format!("v{label} for {{{{ customer_name }}}}\n{{% render 'footer', team: team %}}"),
        )
        .await;
        cut(app, &r, label).await;
    }
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201);
    r
}

async fn resolved(app: &TestApp, r: &Registry, address: &str) -> Value {
    let (s, b) = app
        .read(r, &r.member, &format!("/api/v1/resolve/{address}"))
        .await;
    assert_eq!(s, 200, "{address}: {b}");
    b["resolved_version"].clone()
}

#[tokio::test]
async fn every_kind_of_spec_resolves() {
    let app = spawn_app().await;
    let r = released(&app).await;
    for (address, want) in [
        ("support/emails@1.1.0", json!("1.1.0")),
        ("support/emails@v1.1.0", json!("1.1.0")),
        ("support/emails@^1.0", json!("1.1.0")),
        ("support/emails@1", json!("1.1.0")),
        ("support/emails@1.0", json!("1.1.0")),
        ("support/emails@~1.0.0", json!("1.0.0")),
        ("support/emails@1.*", json!("1.1.0")),
        ("support/emails@%3E%3D0.9%2C%20%3C1.0", json!("0.9.0")),
        ("support/emails@%3E%3D1.2.0-rc.0", json!("2.0.0")),
        ("support/emails@latest", json!("2.0.0")),
        ("support/emails@stable", json!("2.0.0")),
        ("support/emails@production", json!("1.0.0")),
        ("support/emails", Value::Null),
    ] {
        assert_eq!(resolved(&app, &r, address).await, want, "{address}");
    }
    // `latest` includes pre-releases, `stable` does not.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!(
                "/api/v1/versions/{}/yank",
                version_id(&app, &r, "2.0.0").await
            ),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        resolved(&app, &r, "support/emails@latest").await,
        "1.2.0-rc.1"
    );
    assert_eq!(resolved(&app, &r, "support/emails@stable").await, "1.1.0");

    // Misses are 404s that list what exists; bad addresses are 422s naming the address.
    let (s, b) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@^3")
        .await;
    assert_eq!(s, 404);
    let message = b["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1.1.0") && message.contains("production"),
        "{message}"
    );
    let (s, _) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@staging")
        .await;
    assert_eq!(s, 404);
    let (s, b) = app.read(&r, &r.member, "/api/v1/resolve/support").await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["details"][0]["field"], "address");
    let (s, _) = app
        .read(&r, &r.member, "/api/v1/resolve/support/nope@1.0.0")
        .await;
    assert_eq!(s, 404);
}

async fn version_id(app: &TestApp, r: &Registry, label: &str) -> String {
    let (_, b) = app
        .read(
            r,
            &r.member,
            &format!("/api/v1/prompt_sets/{}/versions/{label}", r.set_id),
        )
        .await;
    b["version"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn resolving_a_set_gives_a_bundle_entry_and_a_prompt_gives_the_prompt() {
    let app = spawn_app().await;
    let r = released(&app).await;
    let (s, set) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@1.0.0")
        .await;
    assert_eq!(s, 200);
    assert_eq!(set["slug"], "emails");
    assert_eq!(set["version"]["label"], "1.0.0");
    assert_eq!(set["version"]["checksum"], set["checksum"]);
    assert!(
        set["prompts"]["welcome"]["template"]
            .as_str()
            .unwrap()
            .starts_with("v1.0.0")
    );
    assert_eq!(set["yanked"], false);
    // The entry's content hashes to its checksum, so a client can verify it.
    let snapshot = anvil_core::snapshot::Snapshot::from_json(&set).unwrap();
    assert_eq!(json!(snapshot.checksum()), set["checksum"]);

    let res = app
        .send_in(
            &r.member,
            Method::GET,
            &r.org_id,
            "/api/v1/resolve/support/emails@production/welcome",
            None,
        )
        .await;
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["prompt"]["slug"], "welcome");
    assert_eq!(b["resolved_version"], "1.0.0");
    assert_eq!(b["checksum"], set["checksum"]);
    let res = r
        .member
        .get(app.url("/api/v1/resolve/support/emails@production/welcome"))
        .header("x-anvil-organisation", &r.org_id)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let (s, b) = app
        .read(
            &r,
            &r.member,
            "/api/v1/resolve/support/emails@production/nope",
        )
        .await;
    assert_eq!(s, 404);
    assert!(b["error"]["message"].as_str().unwrap().contains("welcome"));
}

#[tokio::test]
async fn rendering_by_address_checks_variables_and_composes() {
    let app = spawn_app().await;
    let r = released(&app).await;
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/render/support/emails@^1.0/welcome",
            Some(json!({"variables": {"customer_name": "Ada", "team": "Billing", "extra": 1}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["rendered"], "v1.1.0 for Ada\n-- Billing");
    assert_eq!(b["resolved_version"], "1.1.0");
    assert_eq!(b["prompt"]["slug"], "welcome");
    assert_eq!(b["ignored_variables"], json!(["extra"]));
    assert!(b["checksum"].as_str().unwrap().starts_with("sha256:"));

    // The address may come in the body; optional parameters fall back to defaults.
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/render",
            Some(json!({"address": "support/emails@production/welcome", "variables": {"customer_name": "Bo"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["rendered"], "v1.0.0 for Bo\n-- Support");

    // Each variable problem names the variable.
    for (vars, field) in [
        (json!({}), "variables.customer_name"),
        (json!({"customer_name": 5}), "variables.customer_name"),
        (
            json!({"customer_name": "x", "team": ["a"]}),
            "variables.team",
        ),
    ] {
        let (s, b) = app
            .call(
                &r,
                &r.member,
                Method::POST,
                "/api/v1/render/support/emails@production/welcome",
                Some(json!({"variables": vars})),
            )
            .await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["details"][0]["field"], field);
    }
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/render/support/emails@production",
            Some(json!({"variables": {}})),
        )
        .await;
    assert_eq!(s, 422, "a set address cannot be rendered: {b}");
    assert_eq!(b["error"]["details"][0]["field"], "address");
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/render/support/emails@production/welcome",
            Some(json!({"variables": [1]})),
        )
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn changes_show_at_once_in_resolve_and_render() {
    let app = spawn_app().await;
    let r = released(&app).await;
    let render = |address: &'static str| {
        let (app, r) = (&app, &r);
        async move {
            let (s, b) = app
                .call(
                    r,
                    &r.member,
                    Method::POST,
                    &format!("/api/v1/render/{address}"),
                    Some(json!({"variables": {"customer_name": "Ada"}})),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            b["rendered"].as_str().unwrap().to_string()
        }
    };
    // Warm the cache, change the working copy: the next answer shows the change.
    assert!(render("support/emails/welcome").await.starts_with("v2.0.0"));
    edit(&app, &r, "Changed for {{ customer_name }}").await;
    assert_eq!(render("support/emails/welcome").await, "Changed for Ada");
    // Moving a channel shows at once too.
    assert!(
        render("support/emails@production/welcome")
            .await
            .starts_with("v1.0.0")
    );
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.1.0"})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        render("support/emails@production/welcome")
            .await
            .starts_with("v1.1.0")
    );
    // So does yanking for ranges.
    assert!(
        render("support/emails@^1/welcome")
            .await
            .starts_with("v1.1.0")
    );
    let id = version_id(&app, &r, "1.1.0").await;
    app.call(
        &r,
        &r.admin,
        Method::POST,
        &format!("/api/v1/versions/{id}/yank"),
        None,
    )
    .await;
    assert!(
        render("support/emails@^1/welcome")
            .await
            .starts_with("v1.0.0")
    );
    // And archiving the set.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::DELETE,
            &format!("/api/v1/prompt_sets/{}", r.set_id),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/render/support/emails@production/welcome",
            Some(json!({"variables": {"customer_name": "Ada"}})),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn access_tokens_read_published_versions_of_their_project_only() {
    let app = spawn_app().await;
    let r = released(&app).await;
    let (s, b) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/projects/{}/access_tokens", r.project_id),
            Some(json!({"name": "prod"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["access_token"]["token"].as_str().unwrap().to_string();
    let anon = reqwest::Client::new();
    let get = |path: String| {
        let (anon, token, app) = (&anon, &token, &app);
        async move {
            anon.get(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let res = get("/api/v1/resolve/support/emails@production/welcome".into()).await;
    assert_eq!(res.status(), 200);
    let res = anon
        .post(app.url("/api/v1/render/support/emails@stable/welcome"))
        .bearer_auth(&token)
        .json(&json!({"variables": {"customer_name": "Ada"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Versions and channels of the project, not the working copy nor anything to change.
    let res = get(format!("/api/v1/prompt_sets/{}/versions", r.set_id)).await;
    assert_eq!(res.status(), 200);
    let versions: Value = res.json().await.unwrap();
    assert_eq!(versions["versions"].as_array().unwrap().len(), 5);
    let id = versions["versions"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(get(format!("/api/v1/versions/{id}")).await.status(), 200);
    assert_eq!(
        get(format!("/api/v1/prompt_sets/{}/versions/2.0.0", r.set_id))
            .await
            .status(),
        200
    );
    let res = get(format!(
        "/api/v1/prompt_sets/{}/channels/production",
        r.set_id
    ))
    .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["channel"]["version"],
        "1.0.0"
    );
    assert_eq!(
        get(format!("/api/v1/prompt_sets/{}/channels", r.set_id))
            .await
            .status(),
        200
    );
    let res = get("/api/v1/resolve/support/emails/welcome".into()).await;
    assert_eq!(api_error(res, 403).await["type"], "authorization_error");
    assert_eq!(
        get(format!("/api/v1/prompt_sets/{}/prompts", r.set_id))
            .await
            .status(),
        403
    );
    let res = anon
        .post(app.url(&format!("/api/v1/prompt_sets/{}/versions", r.set_id)))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Not another project, nor another organisation's address.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "Sales"})),
        )
        .await;
    assert_eq!(s, 201);
    let res = get("/api/v1/resolve/sales/emails@stable".into()).await;
    assert_eq!(res.status(), 404);
    let sales = app
        .read(&r, &r.owner, "/api/v1/projects/by_slug/sales")
        .await
        .1["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, other) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{sales}/prompt_sets"),
            Some(json!({"name": "Leads"})),
        )
        .await;
    assert_eq!(s, 201);
    let other_set = other["prompt_set"]["id"].as_str().unwrap();
    assert_eq!(
        get(format!("/api/v1/prompt_sets/{other_set}/versions"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!("/api/v1/prompt_sets/{other_set}/channels"))
            .await
            .status(),
        404
    );
    let res = get("/api/v1/resolve/@elsewhere/support/emails@stable".into()).await;
    assert_eq!(res.status(), 404);
    // Revoked tokens stop at once.
    let (_, list) = app
        .read(
            &r,
            &r.admin,
            &format!("/api/v1/projects/{}/access_tokens", r.project_id),
        )
        .await;
    let token_id = list["access_tokens"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::DELETE,
            &format!("/api/v1/access_tokens/{token_id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let res = get("/api/v1/resolve/support/emails@production/welcome".into()).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn other_organisations_and_keys_see_nothing_of_it() {
    let app = spawn_app().await;
    let r = released(&app).await;
    let org_slug = app.read(&r, &r.owner, "/api/v1/organisation").await.1["organisation"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    // A stranger in their own organisation: not found, with or without `@org/`.
    let stranger = browser();
    app.register(&stranger, "stranger@else.test").await;
    let res = app
        .get(&stranger, "/api/v1/resolve/support/emails@stable")
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .get(
            &stranger,
            &format!("/api/v1/resolve/@{org_slug}/support/emails@stable"),
        )
        .await;
    assert_eq!(res.status(), 404);
    // A member's read key of the organisation works, by plain and by `@org/` address.
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/api_keys",
            Some(json!({"name": "app", "scopes": ["read"], "organisation_id": r.org_id})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let key = b["api_key"]["key"].as_str().unwrap().to_string();
    let anon = reqwest::Client::new();
    for path in [
        "/api/v1/resolve/support/emails@stable".to_string(),
        format!("/api/v1/resolve/@{org_slug}/support/emails@stable"),
    ] {
        let res = anon
            .get(app.url(&path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let res = anon
        .get(app.url("/api/v1/resolve/support/emails@stable"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
