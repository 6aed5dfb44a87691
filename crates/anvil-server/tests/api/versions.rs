use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn cutting_suggests_labels_refuses_undeclared_variables_and_is_idempotent() {
    let app = spawn_app().await;
    let r = app.registry().await;

    // A template that uses an undeclared variable cannot be frozen; nothing is written.
    app.edit_welcome(
        &r,
        json!({"template": "Hello {{ customer_name }} from {{ company }}"}),
    )
    .await;
    let (s, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["details"][0]["field"],
        "prompts.welcome.parameters"
    );
    assert!(
        b["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("company")
    );
    assert_eq!(app.count("versions").await, 0);
    app.edit_welcome(
        &r,
        json!({"template": "Hello {{ customer_name }}!\n{% render 'footer', team: team %}"}),
    )
    .await;

    // The first version is 1.0.0 and carries the snapshot and its checksum.
    let (s, b) = app
        .cut_version(&r, &r.member, json!({"description": "first"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let v1 = b["version"].clone();
    assert_eq!(v1["label"], "1.0.0");
    assert!(v1["checksum"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(
        v1["snapshot"]["prompts"]["welcome"]["parameters"][0]["name"],
        "customer_name"
    );
    assert_eq!(v1["yanked"], false);

    // Nothing changed: 409. The same label with the same content: the same version (200).
    let (s, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(s, 409);
    assert_eq!(b["error"]["message"], "nothing changed since 1.0.0");
    let (s, b) = app
        .cut_version(&r, &r.member, json!({"label": "v1.0.0"}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"]["id"], v1["id"]);

    // Template text: patch. An optional parameter: minor. A removed parameter: major.
    app.edit_welcome(
        &r,
        json!({"template": "Hi {{ customer_name }}!\n{% render 'footer', team: team %}"}),
    )
    .await;
    let (_, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(b["version"]["label"], "1.0.1");
    app.edit_welcome(
        &r,
        json!({"parameters": [
            {"name": "customer_name", "type": "string", "required": true},
            {"name": "team", "type": "string"},
            {"name": "tone", "type": "string"}
        ]}),
    )
    .await;
    let (_, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(b["version"]["label"], "1.1.0");
    app.edit_welcome(
        &r,
        json!({"parameters": [
            {"name": "customer_name", "type": "string", "required": true},
            {"name": "team", "type": "string"}
        ]}),
    )
    .await;
    let (_, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(b["version"]["label"], "2.0.0");

    // A taken label with other content is a conflict; a label that is not semver is a 422.
    app.edit_welcome(&r, json!({"description": "changed"}))
        .await;
    let (s, b) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 409);
    assert_eq!(b["error"]["details"][0]["field"], "label");
    let (s, b) = app
        .cut_version(&r, &r.member, json!({"label": "one"}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["details"][0]["field"], "label");
    let (s, b) = app
        .cut_version(&r, &r.member, json!({"lable": "1.0.0"}))
        .await;
    assert_eq!(s, 422, "unknown fields are named: {b}");
    assert_eq!(app.count("versions").await, 4);
    assert_eq!(app.events_of("version.created").await, 4);

    // Lists, reads by label (a `v` prefix is fine) and by id, with ETag and cache headers.
    let (s, b) = app
        .read(
            &r,
            &r.member,
            &format!("/api/v1/prompt_sets/{}/versions?limit=3", r.set_id),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["versions"].as_array().unwrap().len(), 3);
    assert_eq!(b["meta"]["has_more"], true);
    assert!(b["versions"][0].get("snapshot").is_none());
    let (s, b) = app
        .read(
            &r,
            &r.member,
            &format!("/api/v1/prompt_sets/{}/versions/v1.1.0", r.set_id),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["version"]["label"], "1.1.0");
    let res = app
        .send_in(
            &r.member,
            Method::GET,
            &r.org_id,
            &format!("/api/v1/versions/{}", v1["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let res = r
        .member
        .get(app.url(&format!("/api/v1/versions/{}", v1["id"].as_str().unwrap())))
        .header("x-anvil-organisation", &r.org_id)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let (s, _) = app
        .read(
            &r,
            &r.member,
            &format!("/api/v1/prompt_sets/{}/versions/9.9.9", r.set_id),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn status_rules_govern_cutting_and_restoring() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let status = |s: &'static str| json!({"status": s});
    let set_status = format!("/api/v1/prompt_sets/{}/status", r.set_id);

    // In review, cutting is the admins' approval.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &set_status,
            Some(status("review")),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(s, 403);
    let message = b["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("review") && message.contains("admins"),
        "{message}"
    );
    let (s, _) = app.cut_version(&r, &r.admin, json!({})).await;
    assert_eq!(s, 201);

    // Locked: nobody edits, admins still cut, restoring is refused until unlocked.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &set_status,
            Some(status("locked")),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = app
        .call(
            &r,
            &r.admin,
            Method::PATCH,
            &format!("/api/v1/prompts/{}", r.welcome_id),
            Some(json!({"description": "x"})),
        )
        .await;
    assert_eq!(s, 409);
    assert!(b["error"]["message"].as_str().unwrap().contains("locked"));
    let (s, b) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/restore", r.set_id),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    let (s, _) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn yanking_is_for_admins_and_keeps_exact_requests_working() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (_, b) = app.cut_version(&r, &r.member, json!({})).await;
    let v1 = b["version"]["id"].as_str().unwrap().to_string();
    app.edit_welcome(&r, json!({"description": "second"})).await;
    let (_, b) = app.cut_version(&r, &r.member, json!({})).await;
    let v2 = b["version"]["id"].as_str().unwrap().to_string();

    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("/api/v1/versions/{v2}/yank"),
            Some(json!({"reason": "bad"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/versions/{v2}/yank"),
            Some(json!({"reason": "typo in greeting"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"]["yanked"], true);
    assert_eq!(b["version"]["yank_reason"], "typo in greeting");
    assert_eq!(app.events_of("version.yanked").await, 1);

    // Ranges skip the yanked 1.0.1; the exact label still gets it, flagged.
    let (s, b) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@^1.0")
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["resolved_version"], "1.0.0");
    let (_, b) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@1.0.1")
        .await;
    assert_eq!(b["resolved_version"], "1.0.1");
    assert_eq!(b["yanked"], true);
    // The next suggestion follows the highest unyanked version and skips the taken label.
    app.edit_welcome(&r, json!({"description": "third"})).await;
    let (_, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(b["version"]["label"], "1.0.2");

    let (s, b) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &format!("/api/v1/versions/{v2}/unyank"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["version"]["yanked"], false);
    let (_, b) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@~1.0.0")
        .await;
    assert_eq!(b["resolved_version"], "1.0.2");
    // Yanking one version left the others alone.
    let (_, b) = app
        .read(&r, &r.member, &format!("/api/v1/versions/{v1}"))
        .await;
    assert_eq!(b["version"]["yanked"], false);
    assert_eq!(b["version"]["label"], "1.0.0");
}

#[tokio::test]
async fn channels_move_with_history_and_protection() {
    let app = spawn_app().await;
    let r = app.registry().await;
    app.cut_version(&r, &r.member, json!({})).await;
    app.edit_welcome(&r, json!({"description": "second"})).await;
    app.cut_version(&r, &r.member, json!({})).await;
    let channel = format!("/api/v1/prompt_sets/{}/channels/production", r.set_id);

    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["channel"]["version"], "1.0.0");
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.1"})),
        )
        .await;
    assert_eq!(s, 200);

    // Protecting is for admins; then only admins move it.
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.1", "protected": true})),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.1", "protected": true})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 403);
    assert!(b["error"]["message"].as_str().unwrap().contains("admins"));
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 200);

    let (s, b) = app.read(&r, &r.member, &channel).await;
    assert_eq!(s, 200);
    assert_eq!(b["channel"]["protected"], true);
    let history: Vec<(Value, Value)> = b["channel"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].clone(), m["to"].clone()))
        .collect();
    assert_eq!(
        history,
        [
            (json!("1.0.1"), json!("1.0.0")),
            (json!("1.0.0"), json!("1.0.1")),
            (Value::Null, json!("1.0.0")),
        ]
    );
    assert_eq!(app.events_of("channel.moved").await, 3);

    // Bad names and targets are 422s that name the field and change nothing.
    for (name, body, field) in [
        ("latest", json!({"version": "1.0.0"}), "name"),
        ("1.2", json!({"version": "1.0.0"}), "name"),
        ("staging", json!({"version": "7.0.0"}), "version"),
        ("staging", json!({}), "version"),
    ] {
        let (s, b) = app
            .call(
                &r,
                &r.admin,
                Method::PUT,
                &format!("/api/v1/prompt_sets/{}/channels/{name}", r.set_id),
                Some(body),
            )
            .await;
        assert_eq!(s, 422, "{name}: {b}");
        assert_eq!(b["error"]["details"][0]["field"], field);
    }
    let (_, b) = app
        .read(
            &r,
            &r.member,
            &format!("/api/v1/prompt_sets/{}/channels", r.set_id),
        )
        .await;
    assert_eq!(b["channels"].as_array().unwrap().len(), 1);

    // Deleting a channel is for admins.
    let (s, _) = app
        .call(&r, &r.member, Method::DELETE, &channel, None)
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.call(&r, &r.admin, Method::DELETE, &channel, None).await;
    assert_eq!(s, 204);
    let (s, _) = app.read(&r, &r.member, &channel).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn diffs_and_restores_work_between_versions_and_the_working_copy() {
    let app = spawn_app().await;
    let r = app.registry().await;
    app.cut_version(&r, &r.member, json!({})).await;
    app.edit_welcome(
        &r,
        json!({"template": "Hello {{ customer_name }}!\nBye.\n{% render 'footer', team: team %}",
               "metadata": {"model": "m-2"}, "name": "Greeting"}),
    )
    .await;
    let diff = format!("/api/v1/prompt_sets/{}/diff", r.set_id);
    let (s, b) = app
        .read(&r, &r.member, &format!("{diff}?from=1.0.0&to=working"))
        .await;
    assert_eq!(s, 200, "{b}");
    let prompts = b["prompts"].as_array().unwrap();
    assert_eq!(prompts.len(), 1, "only welcome changed: {b}");
    assert_eq!(prompts[0]["slug"], "welcome");
    assert_eq!(prompts[0]["change"], "changed");
    assert_eq!(prompts[0]["metadata_changed"], true);
    assert_eq!(prompts[0]["fields_changed"], json!(["name"]));
    assert!(
        prompts[0]["template_diff"]
            .as_array()
            .unwrap()
            .iter()
            .any(|run| run["op"] == "insert" && run["text"] == "Bye.\n")
    );
    let (s, b) = app
        .read(&r, &r.member, &format!("{diff}?from=1.0.0&to=3.0.0"))
        .await;
    // A label that names no version is not found (a malformed one is a 422).
    assert_eq!(s, 404);
    assert!(
        b["error"]["message"].as_str().unwrap().contains("3.0.0"),
        "{b}"
    );
    let (s, b) = app
        .read(&r, &r.member, &format!("{diff}?from=1.0.0&to=three"))
        .await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["details"][0]["field"], "to");

    // A prompt added after the version goes away again on restore; the working copy then
    // has the version's checksum.
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/prompts", r.set_id),
            Some(json!({"name": "Extra", "template": "x"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/restore", r.set_id),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, working) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails")
        .await;
    let (_, v1) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@1.0.0")
        .await;
    assert_eq!(working["checksum"], v1["checksum"]);
    assert!(working["prompts"].get("extra").is_none());
    let (s, b) = app.cut_version(&r, &r.member, json!({})).await;
    assert_eq!(s, 409, "restored content equals 1.0.0: {b}");
}

#[tokio::test]
async fn size_limits_and_key_scopes_hold_for_content_and_versions() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let prompts = format!("/api/v1/prompt_sets/{}/prompts", r.set_id);
    // Templates over 256 KiB and more than 100 parameters are refused, naming the field.
    let big = "x".repeat(300 * 1024);
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &prompts,
            Some(json!({"name": "Big", "template": big})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["details"][0]["field"], "template");
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"name": format!("p{i}"), "type": "string"}))
        .collect();
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &prompts,
            Some(json!({"name": "Many", "template": "x", "parameters": many})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["error"]["details"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("parameters")
    );
    assert_eq!(app.count("prompts").await, 2, "nothing was saved");

    // A read-only key reads and renders but cannot cut, yank or move channels.
    let (s, _) = app.cut_version(&r, &r.admin, json!({})).await;
    assert_eq!(s, 201);
    let (_, b) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            "/api/v1/api_keys",
            Some(json!({"name": "ci", "scopes": ["read"], "organisation_id": r.org_id})),
        )
        .await;
    let key = b["api_key"]["key"].as_str().unwrap().to_string();
    let anon = reqwest::Client::new();
    let res = anon
        .get(app.url("/api/v1/resolve/support/emails@1.0.0"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = anon
        .post(app.url(&format!("/api/v1/prompt_sets/{}/versions", r.set_id)))
        .bearer_auth(&key)
        .json(&json!({"label": "9.0.0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = anon
        .put(app.url(&format!(
            "/api/v1/prompt_sets/{}/channels/production",
            r.set_id
        )))
        .bearer_auth(&key)
        .json(&json!({"version": "1.0.0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("channels").await, 0);
}

#[tokio::test]
async fn concurrent_cuts_and_channel_moves_conflict_cleanly() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let path = format!("/api/v1/prompt_sets/{}/versions", r.set_id);
    let cuts = (0..6).map(|_| app.call(&r, &r.member, Method::POST, &path, Some(json!({}))));
    let mut statuses: Vec<u16> = futures_util::future::join_all(cuts)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 409, 409, 409, 409, 409],
        "one version, the rest 'nothing changed'"
    );
    assert_eq!(app.count("versions").await, 1);

    let channel = format!("/api/v1/prompt_sets/{}/channels/production", r.set_id);
    let puts = (0..6).map(|_| {
        app.call(
            &r,
            &r.member,
            Method::PUT,
            &channel,
            Some(json!({"version": "1.0.0"})),
        )
    });
    let results = futures_util::future::join_all(puts).await;
    assert!(
        results.iter().all(|(s, _)| [200, 201, 409].contains(s)),
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{results:?}"
    );
    assert_eq!(app.count("channels").await, 1);
    assert_eq!(app.count("channel_moves").await, 1);
}
