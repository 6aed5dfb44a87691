use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{browser, spawn_app};

#[tokio::test]
async fn search_finds_names_descriptions_and_templates_within_the_organisation() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/prompts", r.set_id),
            Some(
                json!({"name": "Refund policy", "description": "Explains refunds",
                          "template": "Our refund window is thirty days, {{ customer_name }}.",
                          "parameters": [{"name": "customer_name", "type": "string"}]}),
            ),
        )
        .await;
    assert_eq!(s, 201);
    let search = |q: &str| {
        let (app, r, q) = (&app, &r, q.to_string());
        async move {
            let res = r
                .member
                .get(app.url("/api/v1/search"))
                .query(&[("q", q.as_str())])
                .header("x-anvil-organisation", &r.org_id)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    // A word of the template finds the prompt, with its address and a marked snippet.
    let (s, b) = search("thirty").await;
    assert_eq!(s, 200, "{b}");
    let results = b["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{b}");
    assert_eq!(results[0]["type"], "prompt");
    assert_eq!(results[0]["address"], "support/emails/refund-policy");
    assert!(
        results[0]["snippet"]
            .as_str()
            .unwrap()
            .contains("**thirty**"),
        "{b}"
    );
    // Prefixes of the last word match (search as you type); every word must match.
    let (_, b) = search("refund wind").await;
    assert_eq!(b["results"][0]["slug"], "refund-policy");
    let (_, b) = search("refund elephant").await;
    assert_eq!(b["results"].as_array().unwrap().len(), 0);
    // Projects and sets by name; query syntax is just text.
    let (_, b) = search("support").await;
    let kinds: Vec<&str> = b["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"project"), "{b}");
    let (s, _) = search("\"emails\" OR * NEAR(").await;
    assert_eq!(s, 200);
    let (_, b) = search("Emails").await;
    assert!(
        b["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["type"] == "prompt_set" && h["address"] == "support/emails")
    );

    // Edits show at once; archived sets vanish from results.
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::PATCH,
            &format!("/api/v1/prompts/{}", r.welcome_id),
            Some(json!({"template": "Hello {{ customer_name }}, zebra crossing"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = search("zebra").await;
    assert_eq!(b["results"][0]["address"], "support/emails/welcome");
    // Pagination: limit and a signed cursor.
    let res = r
        .member
        .get(app.url("/api/v1/search?q=s&limit=1"))
        .header("x-anvil-organisation", &r.org_id)
        .send()
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["results"].as_array().unwrap().len(), 1);
    assert_eq!(b["meta"]["has_more"], true);
    let cursor = b["meta"]["cursor"].as_str().unwrap().to_string();
    let res = r
        .member
        .get(app.url("/api/v1/search"))
        .query(&[("q", "s"), ("limit", "1"), ("cursor", cursor.as_str())])
        .header("x-anvil-organisation", &r.org_id)
        .send()
        .await
        .unwrap();
    let b2: Value = res.json().await.unwrap();
    assert_ne!(b2["results"][0]["id"], b["results"][0]["id"]);
    let res = r
        .member
        .get(app.url("/api/v1/search?q=s&cursor=forged"))
        .header("x-anvil-organisation", &r.org_id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

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
    let (_, b) = search("zebra").await;
    assert_eq!(b["results"].as_array().unwrap().len(), 0);

    // Empty queries are a 422 naming q; another organisation finds nothing of this one.
    let (s, b) = search("  ").await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["details"][0]["field"], "q");
    let stranger = browser();
    app.register(&stranger, "stranger@else.test").await;
    let res = stranger
        .get(app.url("/api/v1/search?q=support"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["results"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
