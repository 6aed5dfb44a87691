use serde_json::{Value, json};

use crate::helpers::{api_error, browser, spawn_app};

#[tokio::test]
async fn templates_validate_against_their_parameters() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    let res = app
        .post(
            &app.client,
            "/api/v1/templates/validate",
            json!({
                "template": "Dear {{ customer.name | capitalize }},{% for o in orders %}{{ o.id }}{% endfor %}{% render 'signature' %}",
                "parameters": [
                    {"name": "customer", "type": "object", "required": true},
                    {"name": "tone", "type": "string"}
                ]
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["variables"], json!(["customer.name", "orders"]));
    assert_eq!(v["missing"], json!(["orders"]));
    assert_eq!(v["unused"], json!(["tone"]));
    assert_eq!(v["partials"], json!(["signature"]));

    let res = app
        .post(
            &app.client,
            "/api/v1/templates/validate",
            json!({"template": "Hi\n{% if x %}{% endfor %}"}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["column"], 14);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("endfor")
    );
}

#[tokio::test]
async fn invalid_parameters_and_anonymous_callers_are_refused() {
    let app = spawn_app().await;
    let res = app
        .post(
            &browser(),
            "/api/v1/templates/validate",
            json!({"template": "x"}),
        )
        .await;
    assert_eq!(res.status(), 401);
    app.register(&app.client, "ada@example.com").await;
    let res = app
        .post(
            &app.client,
            "/api/v1/templates/validate",
            json!({"template": "x", "parameters": [{"name": "a b", "type": "string"}]}),
        )
        .await;
    assert_eq!(
        api_error(res, 422).await["details"][0]["field"],
        "parameters[0].name"
    );
    let res = app
        .post(
            &app.client,
            "/api/v1/templates/validate",
            json!({"template": "x", "parameters": [{"name": "a", "type": "date"}]}),
        )
        .await;
    assert_eq!(res.status(), 422);
}
