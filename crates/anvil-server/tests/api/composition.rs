use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Registry, TestApp, spawn_app};

/// Project `common` with set `tone` (prompts `formal` rendering `sign`), cut at 1.0.0 and
/// 1.0.1 (whose sign says "tone 1.1"). Returns the set id.
pub(crate) async fn tone(app: &TestApp, r: &Registry) -> String {
    let (_, p) = app
        .call(
            r,
            &r.owner,
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "Common"})),
        )
        .await;
    let project = p["project"]["id"].as_str().unwrap().to_string();
    let (_, s) = app
        .call(
            r,
            &r.member,
            Method::POST,
            &format!("/api/v1/projects/{project}/prompt_sets"),
            Some(json!({"name": "Tone"})),
        )
        .await;
    let set = s["prompt_set"]["id"].as_str().unwrap().to_string();
    let prompts = format!("/api/v1/prompt_sets/{set}/prompts");
    let (st, _) = app
        .call(
            r,
            &r.member,
            Method::POST,
            &prompts,
            Some(json!({"name": "Formal", "template": "Formally, {% render 'sign' %}"})),
        )
        .await;
    assert_eq!(st, 201);
    let (_, sign) = app
        .call(
            r,
            &r.member,
            Method::POST,
            &prompts,
            Some(json!({"name": "Sign", "template": "-- tone 1.0"})),
        )
        .await;
    let sign = sign["prompt"]["id"].as_str().unwrap().to_string();
    let versions = format!("/api/v1/prompt_sets/{set}/versions");
    assert_eq!(
        app.call(r, &r.member, Method::POST, &versions, Some(json!({})))
            .await
            .0,
        201
    );
    app.call(
        r,
        &r.member,
        Method::PATCH,
        &format!("/api/v1/prompts/{sign}"),
        Some(json!({"template": "-- tone 1.1"})),
    )
    .await;
    assert_eq!(
        app.call(r, &r.member, Method::POST, &versions, Some(json!({})))
            .await
            .0,
        201
    );
    app.call(
        r,
        &r.member,
        Method::PATCH,
        &format!("/api/v1/prompts/{sign}"),
        Some(json!({"template": "-- tone working"})),
    )
    .await;
    set
}

async fn render(app: &TestApp, r: &Registry, address: &str) -> (u16, Value) {
    app.call(
        r,
        &r.member,
        Method::POST,
        &format!("/api/v1/render/{address}"),
        Some(json!({"variables": {"customer_name": "Ada"}})),
    )
    .await
}

#[tokio::test]
async fn prompts_render_dependencies_pinned_by_version() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let tone_set = tone(&app, &r).await;
    let set = format!("/api/v1/prompt_sets/{}", r.set_id);

    // Before the dependency is listed, a version that renders it is refused.
    app.call(
        &r,
        &r.member,
        Method::PATCH,
        &format!("/api/v1/prompts/{}", r.welcome_id),
        Some(json!({"template": "Hi {{ customer_name }}. {% render 'common/tone/formal' %}"})),
    )
    .await;
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("{set}/versions"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["details"][0]["field"],
        "prompts.welcome.template"
    );

    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::PATCH,
            &set,
            Some(json!({"dependencies": ["common/tone@^1.0"]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["prompt_set"]["dependencies"], json!(["common/tone@^1.0"]));
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("{set}/versions"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["version"]["snapshot"]["dependencies"],
        json!([{"address": "common/tone@^1.0", "resolved": "1.0.1"}])
    );

    // The version renders the pinned 1.0.1 with the dependency's own `sign`.
    let (s, b) = render(&app, &r, "support/emails@1.0.0/welcome").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["rendered"], "Hi Ada. Formally, -- tone 1.1");
    // A newer release of the dependency changes the working copy, not the version.
    assert_eq!(
        app.call(
            &r,
            &r.member,
            Method::POST,
            &format!("/api/v1/prompt_sets/{tone_set}/versions"),
            Some(json!({}))
        )
        .await
        .0,
        201
    );
    let (_, b) = render(&app, &r, "support/emails/welcome").await;
    assert_eq!(b["rendered"], "Hi Ada. Formally, -- tone working");
    let (_, b) = render(&app, &r, "support/emails@1.0.0/welcome").await;
    assert_eq!(b["rendered"], "Hi Ada. Formally, -- tone 1.1");
    // The resolved set carries its pins.
    let (_, b) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@1.0.0")
        .await;
    assert_eq!(b["dependencies"][0]["resolved"], "1.0.1");
}

#[tokio::test]
async fn dependency_lists_and_partials_refuse_cycles_and_bad_entries() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let tone_set = tone(&app, &r).await;
    let set = format!("/api/v1/prompt_sets/{}", r.set_id);
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("{set}/versions"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::PATCH,
            &set,
            Some(json!({"dependencies": ["common/tone@^1"]})),
        )
        .await;
    assert_eq!(s, 200);

    // tone -> emails would close the loop emails -> tone -> emails.
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::PATCH,
            &format!("/api/v1/prompt_sets/{tone_set}"),
            Some(json!({"dependencies": ["support/emails@^1"]})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["details"][0]["field"], "dependencies[0]");
    assert!(
        b["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cycle")
    );

    for (list, reason) in [
        (json!(["common/tone"]), "version spec"),
        (json!(["@acme/common/tone@1"]), "organisation"),
        (json!(["common/nope@1"]), "no prompt set"),
        (json!(["common/tone@^5"]), "1.0.1"),
        (json!(["support/emails@^1"]), "itself"),
        (json!(["common/tone@1", "common/tone@^1"]), "twice"),
        (json!(["common/tone@1/formal"]), "names a prompt"),
    ] {
        let (s, b) = app
            .call(
                &r,
                &r.member,
                Method::PATCH,
                &set,
                Some(json!({"dependencies": list})),
            )
            .await;
        assert_eq!(s, 422, "{list}: {b}");
        let detail = &b["error"]["details"].as_array().unwrap().last().unwrap()["message"];
        assert!(
            detail.as_str().unwrap().contains(reason),
            "{list}: {detail}"
        );
    }
    let (_, b) = app.read(&r, &r.member, &set).await;
    assert_eq!(
        b["prompt_set"]["dependencies"],
        json!(["common/tone@^1"]),
        "unchanged"
    );

    // Within a set, a prompt may not render itself through others.
    let (_, list) = app.read(&r, &r.member, &format!("{set}/prompts")).await;
    let footer = list["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "footer")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::PATCH,
            &format!("/api/v1/prompts/{footer}"),
            Some(json!({"template": "{% render 'welcome' %}"})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("footer -> welcome -> footer"),
        "{b}"
    );
}
