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

/// Exports `path` from `app` as JSON.
async fn export(app: &TestApp, r: &Registry, path: &str) -> Value {
    let res = r
        .owner
        .get(app.url(path))
        .header("x-anvil-organisation", &r.org_id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// POSTs a bundle to `/bundles/import{query}` as `client` in the registry's organisation.
async fn import(
    app: &TestApp,
    r: &Registry,
    client: &reqwest::Client,
    query: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let res = client
        .post(app.url(&format!("/api/v1/bundles/import{query}")))
        .header("x-anvil-organisation", &r.org_id)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let res = crate::contract::checked("POST", "/api/v1/bundles/import", res).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The bundle with its checksums made right again after an edit.
fn resealed(mut b: Bundle) -> Vec<u8> {
    for s in &mut b.prompt_sets {
        s.version.checksum = s.snapshot().checksum();
    }
    b.checksum = b.computed_checksum();
    serde_json::to_vec(&b).unwrap()
}

async fn content_counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("prompt_sets").await,
        app.count("versions").await,
        app.count("channels").await,
        app.count("events").await,
    )
}

#[tokio::test]
async fn a_project_round_trips_between_forges_and_a_second_import_changes_nothing() {
    let a = spawn_app().await;
    let ra = a.registry().await;
    published(&a, &ra).await;
    let from_a = export(
        &a,
        &ra,
        &format!("/api/v1/projects/{}/bundle", ra.project_id),
    )
    .await;

    let b = spawn_app().await;
    let rb = b.registry().await;
    // B's registry already has support/emails (unpublished): the bundle's version lands in
    // that set, and common/tone is created.
    let (s, report) = import(&b, &rb, &rb.owner, "", serde_json::to_vec(&from_a).unwrap()).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["report"]["written"], true);
    let created: Vec<String> = report["report"]["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}@{}",
                i["set"].as_str().unwrap(),
                i["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        created,
        vec![
            "support/emails@1.0.0",
            "common/tone@1.0.1",
            "support/emails@channel production"
        ],
        "{report}"
    );
    let from_b = export(
        &b,
        &rb,
        &format!("/api/v1/projects/{}/bundle", rb.project_id),
    )
    .await;
    assert_eq!(
        from_a["prompt_sets"], from_b["prompt_sets"],
        "the same entries and checksums"
    );
    // Resolving and rendering on B gives what A gives.
    for address in [
        "support/emails@production/welcome",
        "support/emails@1.0.0/welcome",
        "common/tone@1.0.1/formal",
    ] {
        let (sa, on_a) = a
            .call(
                &ra,
                &ra.member,
                Method::GET,
                &format!("/api/v1/resolve/{address}"),
                None,
            )
            .await;
        let (sb, on_b) = b
            .call(
                &rb,
                &rb.member,
                Method::GET,
                &format!("/api/v1/resolve/{address}"),
                None,
            )
            .await;
        assert_eq!((sa, sb), (200, 200), "{address}");
        assert_eq!(on_a["checksum"], on_b["checksum"], "{address}");
        assert_eq!(
            on_a["prompt"]["template"], on_b["prompt"]["template"],
            "{address}"
        );
    }
    let body = json!({"variables": {"customer_name": "Ada"}});
    let (_, ra_render) = a
        .call(
            &ra,
            &ra.member,
            Method::POST,
            "/api/v1/render/support/emails@production/welcome",
            Some(body.clone()),
        )
        .await;
    let (_, rb_render) = b
        .call(
            &rb,
            &rb.member,
            Method::POST,
            "/api/v1/render/support/emails@production/welcome",
            Some(body),
        )
        .await;
    assert_eq!(ra_render["rendered"], rb_render["rendered"]);

    // Importing the same bundle again changes nothing.
    let before = content_counts(&b).await;
    let (s, again) = import(&b, &rb, &rb.owner, "", serde_json::to_vec(&from_a).unwrap()).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["report"]["created"], json!([]), "{again}");
    assert_eq!(again["report"]["skipped"].as_array().unwrap().len(), 2);
    assert_eq!(content_counts(&b).await, before, "no row and no event");
}

#[tokio::test]
async fn bad_bundles_are_refused_whole_naming_what_is_wrong() {
    let a = spawn_app().await;
    let r = a.registry().await;
    published(&a, &r).await;
    let good: Bundle = serde_json::from_value(
        export(&a, &r, &format!("/api/v1/prompt_sets/{}/bundle", r.set_id)).await,
    )
    .unwrap();
    let b = spawn_app().await;
    let rb = b.registry().await;
    let before = content_counts(&b).await;

    let mut tampered = serde_json::to_value(&good).unwrap();
    tampered["prompt_sets"][0]["prompts"]["welcome"]["template"] = json!("Hacked");
    let mut broken = good.clone();
    broken.prompt_sets[0]
        .prompts
        .get_mut("welcome")
        .unwrap()
        .template = "{% if %}".into();
    let mut bad_param = good.clone();
    bad_param.prompt_sets[0]
        .prompts
        .get_mut("welcome")
        .unwrap()
        .parameters[0]
        .name = "1x".into();
    let mut newer = serde_json::to_value(&good).unwrap();
    newer["format"] = json!("anvil.bundle/v2");
    let mut unknown = serde_json::to_value(&good).unwrap();
    unknown["prompt_sets"][0]["colour"] = json!("red");
    let mut lonely = good.clone();
    lonely.prompt_sets.truncate(1); // pinned to common/tone@1.0.1, which B lacks
    let text = serde_json::to_vec(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "tampered",
            serde_json::to_vec(&tampered).unwrap(),
            "checksum",
        ),
        (
            "unparsable template",
            resealed(broken),
            "prompt_sets[0].prompts.welcome.template",
        ),
        (
            "bad parameter",
            resealed(bad_param),
            "prompt_sets[0].prompts.welcome.parameters[0].name",
        ),
        (
            "newer format",
            serde_json::to_vec(&newer).unwrap(),
            "format",
        ),
        (
            "unknown field",
            serde_json::to_vec(&unknown).unwrap(),
            "body",
        ),
        ("truncated", text[..text.len() / 2].to_vec(), "body"),
        (
            "missing dependency",
            resealed(lonely),
            "prompt_sets[0].dependencies[0]",
        ),
        (
            "larger than other bodies",
            vec![b' '; 2 * 1024 * 1024],
            "body",
        ),
    ];
    for (what, body, field) in cases {
        let (s, e) = import(&b, &rb, &rb.owner, "", body).await;
        assert_eq!(s, 422, "{what}: {e}");
        assert_eq!(e["error"]["details"][0]["field"], field, "{what}: {e}");
    }
    assert_eq!(content_counts(&b).await, before, "nothing written");
    // Bundles take up to 32 MiB, no more.
    let res = rb
        .owner
        .post(b.url("/api/v1/bundles/import"))
        .header("x-anvil-organisation", &rb.org_id)
        .header("content-type", "application/json")
        .body(vec![b' '; 33 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Members may not import.
    let (s, _) = import(&b, &rb, &rb.member, "", text.clone()).await;
    assert_eq!(s, 403);
    // A dry run reports and writes nothing.
    let (s, dry) = import(&b, &rb, &rb.owner, "?dry_run=true", text).await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["report"]["written"], false);
    assert_eq!(
        dry["report"]["created"].as_array().unwrap().len(),
        2,
        "{dry}"
    );
    assert_eq!(content_counts(&b).await, before, "a dry run writes nothing");
}

#[tokio::test]
async fn a_label_with_other_content_fails_skips_or_renames() {
    let app = spawn_app().await;
    let r = app.registry().await;
    published(&app, &r).await;
    let mut other: Bundle = serde_json::from_value(
        export(
            &app,
            &r,
            &format!("/api/v1/prompt_sets/{}/bundle", r.set_id),
        )
        .await,
    )
    .unwrap();
    other.prompt_sets[0]
        .prompts
        .get_mut("footer")
        .unwrap()
        .template = "-- elsewhere".into();
    let body = resealed(other);
    let before = content_counts(&app).await;
    let (s, refused) = import(&app, &r, &r.owner, "", body.clone()).await;
    assert_eq!(s, 409, "{refused}");
    assert_eq!(refused["report"]["conflicts"][0]["set"], "support/emails");
    assert_eq!(refused["report"]["written"], false);
    assert_eq!(content_counts(&app).await, before);
    let (s, skipped) = import(&app, &r, &r.owner, "?on_conflict=skip", body.clone()).await;
    assert_eq!(s, 200, "{skipped}");
    assert_eq!(skipped["report"]["created"], json!([]), "{skipped}");
    let (s, renamed) = import(&app, &r, &r.owner, "?on_conflict=rename", body).await;
    assert_eq!(s, 200, "{renamed}");
    assert_eq!(
        renamed["report"]["created"][0]["set"], "support/emails-2",
        "{renamed}"
    );
    let (s, v) = app
        .call(
            &r,
            &r.member,
            Method::GET,
            "/api/v1/resolve/support/emails-2@1.0.0/footer",
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["prompt"]["template"], "-- elsewhere");
}
