use reqwest::Method;
use serde_json::{Value, json};

use crate::contract::{assert_documented, check, operation_path};
use crate::helpers::spawn_app;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

#[tokio::test]
async fn the_document_covers_every_route_the_router_serves() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();

    // Every documented path answers its documented methods and 405 to the others: the router
    // and the document come from one list, and this shows they agree.
    let mut served = 0;
    for (template, ops) in paths {
        if !template.starts_with("/api/v1/") {
            continue;
        }
        let concrete = template
            .replace("{address}", "support/emails@1.0.0/welcome")
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for m in METHODS {
            let res = client
                .request(m.clone(), app.url(&concrete))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let documented = ops.get(m.as_str().to_lowercase()).is_some();
            assert_eq!(
                res.status() != 405,
                documented,
                "{m} {template}: answered {} but documented: {documented}",
                res.status()
            );
            served += usize::from(documented);
        }
    }
    assert!(served >= 70, "{served} operations");
}

#[tokio::test]
async fn the_reference_page_and_its_assets_come_from_the_binary() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let res = client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "no external assets: {html}");
    let res = client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().len() > 100_000);
    let res = client
        .get(app.url("/api/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("/api/v1/openapi.json"));
}

#[test]
fn the_contract_check_catches_drift() {
    assert_eq!(
        operation_path("/api/v1/prompt_sets/by_address/a/b").as_deref(),
        Some("/api/v1/prompt_sets/by_address/{project}/{set}")
    );
    assert_eq!(
        operation_path("/api/v1/resolve/a/b@1/c?x=1").as_deref(),
        Some("/api/v1/resolve/{address}")
    );
    let project = json!({"project": {"id": "1", "organisation_id": "o", "name": "n", "slug": "s",
        "description": "", "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:00Z"}});
    assert_documented("GET", "/api/v1/projects/1", 200, &project);
    let schema = json!({"$ref": "#/components/schemas/ProjectEnvelope"});
    assert!(check(&schema, &project, "body").is_ok());
    let mut missing = project.clone();
    missing["project"].as_object_mut().unwrap().remove("slug");
    assert!(
        check(&schema, &missing, "body")
            .unwrap_err()
            .contains("slug")
    );
    let mut wrong = project.clone();
    wrong["project"]["name"] = json!(5);
    assert!(check(&schema, &wrong, "body").is_err());
    let mut extra = project.clone();
    extra["project"]["secret"] = json!("x");
    assert!(
        check(&schema, &extra, "body").is_err(),
        "an undocumented field fails"
    );
    let undocumented =
        std::panic::catch_unwind(|| assert_documented("GET", "/api/v1/projects/1", 302, &project));
    assert!(undocumented.is_err());
}

#[test]
fn errors_are_documented_in_the_api_format() {
    let error = json!({"error": {"type": "not_found_error", "message": "project not found", "request_id": "r"}});
    assert_documented("GET", "/api/v1/projects/1", 404, &error);
    let not_an_error = json!({"project": {}});
    let refused = std::panic::catch_unwind(|| {
        assert_documented("GET", "/api/v1/projects/1", 404, &not_an_error)
    });
    assert!(refused.is_err());
}
