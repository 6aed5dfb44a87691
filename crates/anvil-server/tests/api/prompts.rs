use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_error, browser, spawn_app};

/// A project "support" with a set "emails" in the team's organisation; returns the set id.
async fn set_in(app: &TestApp, client: &reqwest::Client, org_id: &str) -> String {
    let res = app
        .send_in(
            client,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Support"})),
        )
        .await;
    let project = res.json::<Value>().await.unwrap()["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .send_in(
            client,
            Method::POST,
            org_id,
            &format!("/api/v1/projects/{project}/prompt_sets"),
            Some(json!({"name": "Emails"})),
        )
        .await;
    res.json::<Value>().await.unwrap()["prompt_set"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn prompts_are_validated_analysed_and_concurrency_safe() {
    let app = spawn_app().await;
    let (owner, admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let set = set_in(&app, &owner, org_id).await;
    let prompts = format!("/api/v1/prompt_sets/{set}/prompts");

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &prompts,
            Some(json!({"prompt": {
                "name": "Welcome",
                "template": "Hello {{ customer_name }}, welcome to {{ company }}!",
                "parameters": [
                    {"name": "customer_name", "type": "string", "required": true},
                    {"name": "tone", "type": "string", "default": "friendly"}
                ],
                "metadata": {"model": "gpt-x", "temperature": 0.2}
            }})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["prompt"]["slug"], "welcome");
    assert_eq!(
        body["analysis"]["missing"],
        json!(["company"]),
        "saved with a warning"
    );
    assert_eq!(body["analysis"]["unused"], json!(["tone"]));
    let id = body["prompt"]["id"].as_str().unwrap().to_string();

    // Reads carry the ETag; If-None-Match gives 304.
    let res = member
        .get(app.url(&format!("/api/v1/prompts/{id}")))
        .header("x-anvil-organisation", org_id)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let by_addr = app
        .send_in(
            &member,
            Method::GET,
            org_id,
            "/api/v1/prompts/by_address/support/emails/welcome",
            None,
        )
        .await;
    assert_eq!(
        by_addr.json::<Value>().await.unwrap()["prompt"]["id"],
        id.as_str()
    );

    // A template that does not parse is a 422 naming the field, with line and column.
    let res = app
        .send_in(
            &member,
            Method::PATCH,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            Some(json!({"template": "Hi\n{% if x %}"})),
        )
        .await;
    let error = api_error(res, 422).await;
    assert_eq!(error["details"][0]["field"], "template");
    assert!(
        error["details"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("line "),
        "{error}"
    );

    // Optimistic concurrency: a stale If-Match is a 412 (RFC 9110) and changes nothing.
    let ok = member
        .patch(app.url(&format!("/api/v1/prompts/{id}")))
        .header("x-anvil-organisation", org_id)
        .header("if-match", &etag)
        .json(&json!({"template": "Hello {{ customer_name }}, welcome to {{ company }}! v2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let stale = admin
        .patch(app.url(&format!("/api/v1/prompts/{id}")))
        .header("x-anvil-organisation", org_id)
        .header("if-match", &etag)
        .json(&json!({"template": "overwritten"}))
        .send()
        .await
        .unwrap();
    let current_tag = stale
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        api_error(stale, 412).await["message"]
            .as_str()
            .unwrap()
            .contains("If-Match")
    );
    assert!(
        current_tag.is_some_and(|t| t != etag),
        "a 412 carries the current tag"
    );
    let now: Value = app
        .send_in(
            &member,
            Method::GET,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(now["prompt"]["template"].as_str().unwrap().ends_with("v2"));

    // Locked sets refuse edits; deleting prompts is for admins.
    let res = app
        .send_in(
            &admin,
            Method::POST,
            org_id,
            &format!("/api/v1/prompt_sets/{set}/status"),
            Some(json!({"status": "locked"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .send_in(
            &member,
            Method::PATCH,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            Some(json!({"description": "x"})),
        )
        .await;
    assert_eq!(res.status(), 409);
    app.send_in(
        &admin,
        Method::POST,
        org_id,
        &format!("/api/v1/prompt_sets/{set}/status"),
        Some(json!({"status": "live"})),
    )
    .await;
    let res = app
        .send_in(
            &member,
            Method::DELETE,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .send_in(
            &admin,
            Method::DELETE,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.send_in(
            &admin,
            Method::GET,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            None
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn bad_prompt_input_is_refused_whole_and_other_tenants_see_nothing() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let set = set_in(&app, &owner, org_id).await;
    let prompts = format!("/api/v1/prompt_sets/{set}/prompts");
    for (body, field) in [
        (json!({"template": "x"}), "name"),
        (json!({"name": "A"}), "template"),
        (
            json!({"name": "A", "template": "x", "parameters": [{"name": "1x", "type": "string"}]}),
            "parameters[0].name",
        ),
        (
            json!({"name": "A", "template": "x", "parameters": [{"name": "x", "type": "integer", "default": "one"}]}),
            "parameters[0].default",
        ),
        (
            json!({"name": "A", "template": "x", "metadata": [1, 2]}),
            "metadata",
        ),
        (
            json!({"name": "A", "template": "{{ x | nosuchfilter }}"}),
            "template",
        ),
        (
            json!({"name": "A", "template": "x", "parameters": "none"}),
            "parameters",
        ),
    ] {
        let res = app
            .send_in(&owner, Method::POST, org_id, &prompts, Some(body.clone()))
            .await;
        assert_eq!(
            api_error(res, 422).await["details"][0]["field"],
            field,
            "{body}"
        );
    }
    let big = "x".repeat(300 * 1024);
    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            &prompts,
            Some(json!({"name": "Big", "template": big})),
        )
        .await;
    assert_eq!(
        api_error(res, 422).await["details"][0]["field"],
        "template",
        "template size limit"
    );
    assert_eq!(app.count("prompts").await, 0);

    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            &prompts,
            Some(json!({"name": "Secret", "template": "s3cret"})),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["prompt"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            &prompts,
            Some(json!({"name": "Secret", "template": "other"})),
        )
        .await;
    assert_eq!(api_error(res, 409).await["details"][0]["field"], "name");
    let eve = browser();
    app.register(&eve, "eve@other.test").await;
    for (m, path, body) in [
        (Method::GET, format!("/api/v1/prompts/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/prompts/{id}"),
            Some(json!({"template": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/prompts/{id}"), None),
        (Method::GET, prompts.clone(), None),
        (Method::POST, prompts.clone(), Some(json!({"name": "x"}))),
    ] {
        let res = app.send_in(&eve, m.clone(), "", &path, body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 404, "{m} {path}");
        assert!(!text.contains("s3cret"));
    }
}

#[tokio::test]
async fn the_working_copy_renders_with_checked_variables_and_composition() {
    let app = spawn_app().await;
    let (owner, _admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let set = set_in(&app, &owner, org_id).await;
    let prompts = format!("/api/v1/prompt_sets/{set}/prompts");
    app.send_in(
        &owner,
        Method::POST,
        org_id,
        &prompts,
        Some(json!({
            "name": "Signature",
            "template": "-- {{ sender | default: 'The team' }}",
            "parameters": [{"name": "sender", "type": "string"}]
        })),
    )
    .await;
    let res = app
        .send_in(&owner, Method::POST, org_id, &prompts, Some(json!({
            "name": "Welcome",
            "template": "Hello {{ name | upcase }}{% if vip %} (VIP){% endif %}.\n{% render 'signature', sender: from %}",
            "parameters": [
                {"name": "name", "type": "string", "required": true},
                {"name": "vip", "type": "boolean", "default": false},
                {"name": "from", "type": "string"}
            ]
        })))
        .await;
    let id = res.json::<Value>().await.unwrap()["prompt"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/prompts/{id}/render");

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &path,
            Some(json!({"variables": {"name": "Ada", "vip": true, "from": "Bob", "utm": "x"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["rendered"], "Hello ADA (VIP).\n-- Bob");
    assert_eq!(r["ignored_variables"], json!(["utm"]));
    assert_eq!(r["resolved_version"], Value::Null);
    assert!(r["checksum"].as_str().unwrap().starts_with("sha256:"));
    let again: Value = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &path,
            Some(json!({"variables": {"name": "Eve"}})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["rendered"], "Hello EVE.\n-- The team");
    assert_eq!(
        again["checksum"], r["checksum"],
        "same content, same checksum"
    );

    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &path,
            Some(json!({"variables": {"vip": "yes"}})),
        )
        .await;
    let error = api_error(res, 422).await;
    let fields: Vec<&str> = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["variables.name", "variables.vip"]);

    // An undeclared name in the template fails strictly, naming it.
    let res = app
        .send_in(
            &owner,
            Method::PATCH,
            org_id,
            &format!("/api/v1/prompts/{id}"),
            Some(json!({"template": "Hi {{ nmae }}"})),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["analysis"]["missing"],
        json!(["nmae"])
    );
    let res = app
        .send_in(
            &member,
            Method::POST,
            org_id,
            &path,
            Some(json!({"variables": {"name": "Ada"}})),
        )
        .await;
    let error = api_error(res, 422).await;
    assert!(
        error["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("undefined variable 'nmae'"),
        "{error}"
    );
}

#[tokio::test]
async fn the_editor_previews_an_unsaved_draft_without_saving_it() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let path = format!("/api/v1/prompts/{}/render", r.welcome_id);
    let draft = |template: &str| {
        json!({"variables": {"customer_name": "Ada"},
               "draft": {"template": template,
                         "parameters": [{"name": "customer_name", "type": "string", "required": true}]}})
    };
    // The draft reaches the set's other prompts as a saved prompt would.
    let (status, body) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &path,
            Some(draft("Hey {{ customer_name }} {% render 'footer' %}")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rendered"], "Hey Ada -- Support");
    // A draft that does not parse names the draft's template, with the position.
    let (status, body) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &path,
            Some(draft("Hey {% iff x %}")),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "draft.template");
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 1, column "),
        "{body}"
    );
    // Its variables are checked against the draft's parameters, not the saved ones.
    let (status, body) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &path,
            Some(json!({"variables": {}, "draft": {"template": "{{ who }}",
                        "parameters": [{"name": "who", "type": "string", "required": true}]}})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "variables.who");
    // Nothing was saved.
    let (_, body) = app
        .read(&r, &r.member, &format!("/api/v1/prompts/{}", r.welcome_id))
        .await;
    assert_eq!(
        body["prompt"]["template"],
        "Hello {{ customer_name }}!\n{% render 'footer', team: team %}"
    );
}
