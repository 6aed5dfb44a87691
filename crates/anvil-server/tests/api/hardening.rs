//! Regression tests for the defects a review and an API fuzzing pass found: concurrent
//! writes, bodies and parameters that are not what they claim, preconditions, archived
//! content, and credentials that do not authenticate.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Registry, TestApp, api_error, spawn_app, spawn_app_with};

async fn no_limits() -> TestApp {
    spawn_app_with(|c| c.rate_limits = anvil_server::config::Switch::Off).await
}

/// A raw request in the registry's organisation (not contract-checked: some of these bodies
/// are deliberately outside the document).
async fn raw(
    app: &TestApp,
    r: &Registry,
    client: &reqwest::Client,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, app.url(path))
        .header("x-anvil-organisation", &r.org_id)
}

#[tokio::test]
async fn concurrent_writers_all_succeed_and_every_write_lands() {
    let app = no_limits().await;
    let r = app.registry().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let (s, b) = app
            .call(
                &r,
                &r.owner,
                Method::POST,
                "/api/v1/projects",
                Some(json!({"name": format!("Writer {i}")})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["project"]["id"].as_str().unwrap().to_string());
    }
    let writers = ids.iter().enumerate().map(|(i, id)| {
        let (app, r) = (&app, &r);
        async move {
            let mut statuses = Vec::new();
            for n in 0..100 {
                let res = raw(
                    app,
                    r,
                    &r.owner,
                    Method::PATCH,
                    &format!("/api/v1/projects/{id}"),
                )
                .await
                .json(&json!({"description": format!("w{i}-{n}")}))
                .send()
                .await
                .unwrap();
                statuses.push(res.status().as_u16());
            }
            statuses
        }
    });
    let statuses: Vec<u16> = join_all(writers).await.into_iter().flatten().collect();
    let failed: Vec<&u16> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of 800 writes failed: {failed:?}",
        failed.len()
    );
    for (i, id) in ids.iter().enumerate() {
        let (_, b) = app
            .read(&r, &r.owner, &format!("/api/v1/projects/{id}"))
            .await;
        assert_eq!(b["project"]["description"], format!("w{i}-99"));
    }
    let updated = app
        .count("audit_events WHERE action = 'project.updated'")
        .await;
    assert_eq!(updated, 800, "every write is applied and audited");
}

/// Eight clients create the same name at once: one wins, the others hear a 409 that names
/// the field, and nothing answers 500.
async fn race_creates(app: &TestApp, r: &Registry, path: &str, body: Value) {
    let attempts = (0..8).map(|_| {
        let body = body.clone();
        async move {
            let res = raw(app, r, &r.owner, Method::POST, path)
                .await
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    });
    let results = join_all(attempts).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{path}: {results:?}");
    for (s, b) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*s, 409, "{path}: {b}");
        let field = &b["error"]["details"][0]["field"];
        assert!(field == "name" || field == "slug", "{path}: {b}");
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_name_give_one_201_and_409s() {
    let app = no_limits().await;
    let r = app.registry().await;
    race_creates(&app, &r, "/api/v1/projects", json!({"name": "Race"})).await;
    race_creates(
        &app,
        &r,
        &format!("/api/v1/projects/{}/prompt_sets", r.project_id),
        json!({"name": "Race"}),
    )
    .await;
    race_creates(
        &app,
        &r,
        &format!("/api/v1/prompt_sets/{}/prompts", r.set_id),
        json!({"name": "Race", "template": "hi"}),
    )
    .await;
    // Same name, distinct slugs: the name still decides.
    let attempts = (0..6).map(|i| {
        let (app, r) = (&app, &r);
        async move {
            raw(app, r, &r.owner, Method::POST, "/api/v1/projects")
                .await
                .json(&json!({"name": "Twin", "slug": format!("twin-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_json_array_is_not_an_object() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let path = format!("/api/v1/projects/{}", r.project_id);
    let res = raw(&app, &r, &r.owner, Method::PATCH, &path)
        .await
        .json(&json!(["Renamed", null, "desc"]))
        .send()
        .await
        .unwrap();
    let e = api_error(res, 400).await;
    assert_eq!(e["type"], "invalid_request_error");
    assert!(
        e["message"].as_str().unwrap().contains("JSON object"),
        "{e}"
    );
    let (_, b) = app.read(&r, &r.owner, &path).await;
    assert_eq!(b["project"]["name"], "Support", "nothing changed");

    let before = app.count("projects").await;
    let res = raw(&app, &r, &r.owner, Method::POST, "/api/v1/projects")
        .await
        .json(&json!(["Made", null, null]))
        .send()
        .await
        .unwrap();
    api_error(res, 400).await;
    let res = raw(&app, &r, &r.owner, Method::POST, "/api/v1/projects")
        .await
        .json(&json!("Made"))
        .send()
        .await
        .unwrap();
    api_error(res, 400).await;
    assert_eq!(app.count("projects").await, before);
}

/// A rejection of the query string or a path segment is JSON in the API's format.
async fn json_400(res: reqwest::Response, mentions: &str) {
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let e = api_error(res, 400).await;
    assert_eq!(e["type"], "invalid_request_error");
    assert!(e["message"].as_str().unwrap().contains(mentions), "{e}");
}

#[tokio::test]
async fn query_and_path_rejections_are_json_naming_the_parameter() {
    let app = spawn_app().await;
    let r = app.registry().await;
    for (query, mentions) in [
        ("limit=1&limit=2", "limit"),
        ("bogus=1", "bogus"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
    ] {
        let res = raw(
            &app,
            &r,
            &r.owner,
            Method::GET,
            &format!("/api/v1/projects?{query}"),
        )
        .await
        .send()
        .await
        .unwrap();
        json_400(res, mentions).await;
    }
    let res = raw(&app, &r, &r.owner, Method::GET, "/api/v1/search?q=hi&q=ho")
        .await
        .send()
        .await
        .unwrap();
    json_400(res, "q").await;
    let res = raw(&app, &r, &r.owner, Method::GET, "/api/v1/projects/%FF%FE")
        .await
        .send()
        .await
        .unwrap();
    json_400(res, "UTF-8").await;
}

/// Reads `path` and returns its ETag.
async fn etag_of(app: &TestApp, r: &Registry, path: &str) -> String {
    let res = app
        .send_in(&r.owner, Method::GET, &r.org_id, path, None)
        .await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.headers()["etag"].to_str().unwrap().to_string()
}

async fn with_if_match(
    app: &TestApp,
    r: &Registry,
    method: Method,
    path: &str,
    tag: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = raw(app, r, &r.owner, method, path)
        .await
        .header("if-match", tag);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn if_match_is_a_precondition_on_edits_and_deletes() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let resources = [
        (
            format!("/api/v1/prompts/{}", r.welcome_id),
            json!({"description": "v2"}),
        ),
        (
            format!("/api/v1/prompt_sets/{}", r.set_id),
            json!({"description": "v2"}),
        ),
        (
            format!("/api/v1/projects/{}", r.project_id),
            json!({"description": "v2"}),
        ),
    ];
    for (path, edit) in &resources {
        let old = etag_of(&app, &r, path).await;
        // A list that holds the current tag matches.
        let res = with_if_match(
            &app,
            &r,
            Method::PATCH,
            path,
            &format!("\"nope\", {old}"),
            Some(edit.clone()),
        )
        .await;
        assert_eq!(res.status(), 200, "PATCH {path}");
        let current = etag_of(&app, &r, path).await;
        assert_ne!(current, old, "{path}: an edit moves the tag");
        // The old tag is stale now: 412 with the current tag, and nothing changes.
        let res = with_if_match(
            &app,
            &r,
            Method::PATCH,
            path,
            &old,
            Some(json!({"description": "lost update"})),
        )
        .await;
        assert_eq!(res.headers()["etag"].to_str().unwrap(), current);
        assert_eq!(api_error(res, 412).await["type"], "precondition_failed");
        // A weak tag never matches, even the current one.
        let res = with_if_match(
            &app,
            &r,
            Method::PATCH,
            path,
            &format!("W/{current}"),
            Some(json!({"description": "weak"})),
        )
        .await;
        api_error(res, 412).await;
        let (_, b) = app.read(&r, &r.owner, path).await;
        let body = b.as_object().unwrap().values().next().unwrap().clone();
        assert_eq!(body["description"], "v2", "{path}");
        // DELETE with a stale tag deletes nothing.
        let res = with_if_match(&app, &r, Method::DELETE, path, &old, None).await;
        api_error(res, 412).await;
        let (s, _) = app.read(&r, &r.owner, path).await;
        assert_eq!(s, 200, "{path} still exists");
    }
    // With the current tag, DELETE goes through.
    let path = &resources[0].0;
    let current = etag_of(&app, &r, path).await;
    let res = with_if_match(&app, &r, Method::DELETE, path, &current, None).await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn an_archived_projects_sets_and_prompts_are_gone() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::DELETE,
            &format!("/api/v1/projects/{}", r.project_id),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let set = format!("/api/v1/prompt_sets/{}", r.set_id);
    let prompt = format!("/api/v1/prompts/{}", r.welcome_id);
    for (method, path, body) in [
        (Method::GET, set.clone(), None),
        (
            Method::PATCH,
            set.clone(),
            Some(json!({"name": "Still here"})),
        ),
        (
            Method::POST,
            format!("{set}/prompts"),
            Some(json!({"name": "New", "template": "hi"})),
        ),
        (Method::GET, format!("{set}/prompts"), None),
        (Method::GET, prompt.clone(), None),
        (
            Method::PATCH,
            prompt.clone(),
            Some(json!({"template": "changed"})),
        ),
        (
            Method::GET,
            "/api/v1/prompt_sets/by_address/support/emails".into(),
            None,
        ),
    ] {
        let (s, b) = app.call(&r, &r.owner, method.clone(), &path, body).await;
        assert_eq!(s, 404, "{method} {path}: {b}");
    }
    let n = app
        .count(&format!("prompts WHERE prompt_set_id = '{}'", r.set_id))
        .await;
    assert_eq!(n, 2, "no prompt was added to the archived project");
}

#[tokio::test]
async fn control_characters_in_names_and_nul_anywhere_are_refused() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let before = app.count("projects").await;
    for (body, field) in [
        (json!({"name": "nul\u{0}name"}), "name"),
        (json!({"name": "tab\tname"}), "name"),
        (json!({"name": "Fine", "slug": "nul\u{0}slug"}), "slug"),
        (
            json!({"name": "Fine", "description": "bell\u{7}"}),
            "description",
        ),
    ] {
        let res = raw(&app, &r, &r.owner, Method::POST, "/api/v1/projects")
            .await
            .json(&body)
            .send()
            .await
            .unwrap();
        let e = api_error(res, 422).await;
        assert_eq!(e["details"][0]["field"], field, "{body}: {e}");
    }
    assert_eq!(app.count("projects").await, before);
    let res = raw(
        &app,
        &r,
        &r.member,
        Method::PATCH,
        &format!("/api/v1/prompts/{}", r.welcome_id),
    )
    .await
    .json(&json!({"template": "Hello\u{0}"}))
    .send()
    .await
    .unwrap();
    let e = api_error(res, 422).await;
    assert_eq!(e["details"][0]["field"], "template", "{e}");
}

/// Found by schemathesis: C1 control characters (U+0080 to U+009F) passed in names of users,
/// access tokens and API keys and in an organisation's description.
#[tokio::test]
async fn c1_control_characters_are_refused_in_every_name_and_description() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = format!("/api/v1/organisations/{}", r.org_id);
    let tokens = format!("/api/v1/projects/{}/access_tokens", r.project_id);
    for (method, path, body, field) in [
        (
            Method::PATCH,
            org.as_str(),
            json!({"description": "a\u{84}b"}),
            "description",
        ),
        (
            Method::PATCH,
            org.as_str(),
            json!({"name": "a\u{9b}b"}),
            "name",
        ),
        (
            Method::POST,
            tokens.as_str(),
            json!({"name": "app\u{9b}"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/api_keys",
            json!({"name": "ci\u{85}x", "scopes": ["read"]}),
            "name",
        ),
    ] {
        let res = raw(&app, &r, &r.owner, method.clone(), path)
            .await
            .json(&body)
            .send()
            .await
            .unwrap();
        let e = api_error(res, 422).await;
        assert_eq!(
            e["details"][0]["field"], field,
            "{method} {path} {body}: {e}"
        );
    }
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "c1@acme.test", "password": "correct horse battery", "name": "x\u{9b}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 422).await["details"][0]["field"], "name");
}

#[tokio::test]
async fn invented_credentials_count_against_the_client_not_a_fresh_bucket() {
    let app = spawn_app_with(|c| c.rate_limit_standard_per_hour = 100).await;
    let owner = crate::helpers::browser();
    app.register(&owner, "owner@acme.test").await;
    let res = app
        .post(
            &owner,
            "/api/v1/api_keys",
            json!({"name": "ci", "scopes": ["read"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let key = res.json::<Value>().await.unwrap()["api_key"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let junk = reqwest::Client::new();
    let mut limited = 0;
    for i in 0..2_000 {
        let token = match i % 3 {
            0 => format!("junk-{i}"),
            1 => format!("ank_live_junk{i}"),
            _ => format!("anp_live_junk{i}"),
        };
        let res = junk
            .get(app.url("/api/v1/projects"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        match res.status().as_u16() {
            401 => {}
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        limited >= 1_800,
        "only {limited} of 2000 junk requests were limited"
    );
    // A real key has a bucket of its own, untouched by the flood from the same address.
    let res = junk
        .get(app.url("/api/v1/projects"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-ratelimit-remaining"], "99");
}

/// Event ids are in commit order; (event type, label) of the channel moves and yanks.
async fn release_events(app: &TestApp) -> Vec<(i64, String, String)> {
    use sea_orm::ConnectionTrait;
    let rows = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT id, event_type, payload FROM events \
             WHERE event_type IN ('channel.moved', 'version.yanked') ORDER BY id",
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            let payload: Value = r.try_get("", "payload").unwrap();
            let kind: String = r.try_get("", "event_type").unwrap();
            let label = if kind == "channel.moved" {
                payload["to"].as_str().unwrap_or_default().to_string()
            } else {
                payload["label"].as_str().unwrap_or_default().to_string()
            };
            (r.try_get("", "id").unwrap(), kind, label)
        })
        .collect()
}

#[tokio::test]
async fn a_channel_never_moves_onto_a_version_yanked_before_the_move_commits() {
    let app = no_limits().await;
    let r = app.registry().await;
    for n in 0..15 {
        app.edit_welcome(&r, json!({"description": format!("revision {n}")}))
            .await;
        let (s, v) = app.cut_version(&r, &r.member, json!({})).await;
        assert_eq!(s, 201, "{v}");
        let (id, label) = (
            v["version"]["id"].as_str().unwrap().to_string(),
            v["version"]["label"].as_str().unwrap().to_string(),
        );
        let yank = raw(
            &app,
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/versions/{id}/yank"),
        )
        .await
        .json(&json!({"reason": "race"}))
        .send();
        let channel = format!("/api/v1/prompt_sets/{}/channels/production", r.set_id);
        let moved = raw(&app, &r, &r.admin, Method::PUT, &channel)
            .await
            .json(&json!({"version": label}))
            .send();
        let (yank, moved) = tokio::join!(yank, moved);
        assert_eq!(yank.unwrap().status(), 200);
        let moved = moved.unwrap().status().as_u16();
        assert!([200, 201, 422].contains(&moved), "move answered {moved}");
        let events = release_events(&app).await;
        let at = |kind: &str| {
            events
                .iter()
                .find(|(_, k, l)| k == kind && *l == label)
                .map(|(id, _, _)| *id)
        };
        if let (Some(move_id), Some(yank_id)) = (at("channel.moved"), at("version.yanked")) {
            assert!(
                move_id < yank_id,
                "the move to {label} committed after its yank (round {n})"
            );
        }
    }
}

#[tokio::test]
async fn only_successful_writes_catch_up_and_concurrent_callers_share_a_pass() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let before = app.state.feed.passes();
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::PATCH,
            &format!("/api/v1/prompts/{}", r.welcome_id),
            Some(json!({"template": "{% if %}"})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::DELETE,
            &format!("/api/v1/projects/{}", r.project_id),
            None,
        )
        .await;
    assert_eq!(s, 403);
    // The background tick may run once meanwhile; the refused writes add nothing.
    assert!(
        app.state.feed.passes() - before <= 1,
        "refused writes read the feed"
    );

    let before = app.state.feed.passes();
    let callers = (0..50).map(|_| app.state.feed.catch_up(&app.state.db));
    for r in join_all(callers).await {
        r.unwrap();
    }
    let passes = app.state.feed.passes() - before;
    // Without sharing every caller would read: 50 passes. Scheduling decides how many
    // callers each pass absorbs, so only the order of magnitude is asserted.
    assert!(passes < 10, "50 concurrent callers made {passes} passes");
}

#[tokio::test]
async fn a_method_a_path_does_not_take_is_an_error_in_the_api_format() {
    let app = spawn_app().await;
    let res = app
        .client
        .put(app.url("/api/v1/projects"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let allow = res.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["request_id"].is_string());
}

#[tokio::test]
async fn the_editor_validates_from_a_session_in_a_bucket_of_its_own() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    let body = json!({"template": "Hello {{ name }}", "parameters": []});
    let mut limited = None;
    for i in 0..80 {
        let res = app
            .client
            .post(app.url("/api/v1/templates/validate"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["x-ratelimit-limit"],
            "60",
            "the editor's burst"
        );
        if res.status() == 429 {
            limited = Some(i);
            let e = api_error(res, 429).await;
            assert!(e["message"].as_str().unwrap().contains("editor"), "{e}");
            break;
        }
        assert_eq!(res.status(), 200);
    }
    let at = limited.expect("the editor bucket refuses past its burst");
    assert!((55..=65).contains(&at), "refused at request {at}");
    // The session's other calls are in the standard bucket, untouched.
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-ratelimit-limit"], "1000");
}

#[tokio::test]
async fn me_with_an_api_key_names_the_key_and_only_its_organisation() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/api_keys",
            Some(json!({"name": "ci", "scopes": ["read"], "organisation_id": r.org_id})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let key = b["api_key"]["key"].as_str().unwrap().to_string();
    let key_id = b["api_key"]["id"].as_str().unwrap().to_string();
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let me = crate::contract::checked("GET", "/api/v1/me", res)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "owner@acme.test");
    assert_eq!(me["api_key"]["id"], key_id.as_str());
    assert_eq!(me["api_key"]["scopes"], json!(["read"]));
    let orgs = me["organisations"].as_array().unwrap();
    assert_eq!(
        orgs.len(),
        1,
        "the owner's personal organisation is not the key's: {me}"
    );
    assert_eq!(orgs[0]["id"], r.org_id.as_str());
    // With the session: every organisation, no key.
    let (_, me) = app.read(&r, &r.owner, "/api/v1/me").await;
    assert_eq!(me["api_key"], Value::Null);
    assert_eq!(me["organisations"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn events_carry_the_typed_payloads_of_the_domain() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/status", r.set_id),
            Some(json!({"status": "review"})),
        )
        .await;
    assert_eq!(s, 200);
    let rows = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT event_type, payload FROM events ORDER BY id",
        ))
        .await
        .unwrap();
    let events: Vec<(String, Value)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get("", "event_type").unwrap(),
                row.try_get("", "payload").unwrap(),
            )
        })
        .collect();
    let find = |kind: &str| {
        events
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("no {kind} in {events:?}"))
    };
    assert_eq!(
        find("project.created"),
        json!({"project_id": r.project_id, "slug": "support"})
    );
    assert_eq!(
        find("prompt_set.created"),
        json!({"prompt_set_id": r.set_id, "project": "support", "slug": "emails", "status": "live"})
    );
    assert_eq!(find("prompt_set.status_changed")["status"], "review");
    assert_eq!(find("prompt.created")["prompt_set_id"], r.set_id.as_str());
    assert!(find("prompt.created")["prompt_id"].is_string());
    assert_eq!(find("member.added")["role"], "admin");
}
