//! Archived projects and prompt sets: owners list, restore and purge them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Registry, TestApp, spawn_app};

async fn archive_project(app: &TestApp, r: &Registry) {
    let path = format!("/api/v1/projects/{}", r.project_id);
    let (s, b) = app.call(r, &r.owner, Method::DELETE, &path, None).await;
    assert_eq!(s, 204, "{b}");
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn owners_restore_an_archived_project_with_its_content() {
    let app = spawn_app().await;
    let r = app.registry().await;
    app.cut_version(&r, &r.admin, json!({})).await;
    archive_project(&app, &r).await;

    let (s, b) = app.read(&r, &r.admin, "/api/v1/projects/archived").await;
    assert_eq!(s, 403, "{b}");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("owners"),
        "{b}"
    );
    let (s, b) = app.read(&r, &r.owner, "/api/v1/projects/archived").await;
    assert_eq!(s, 200);
    assert_eq!(ids(&b, "projects"), vec![r.project_id.clone()]);

    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/unarchive", r.project_id),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["project"]["slug"], "support");
    let (s, _) = app
        .read(&r, &r.member, &format!("/api/v1/prompts/{}", r.welcome_id))
        .await;
    assert_eq!(s, 200, "the project's prompts are back");
    let (s, _) = app
        .read(
            &r,
            &r.member,
            "/api/v1/resolve/support/emails@1.0.0/welcome",
        )
        .await;
    assert_eq!(s, 200, "and its versions resolve again");
    let (_, b) = app.read(&r, &r.owner, "/api/v1/projects/archived").await;
    assert!(ids(&b, "projects").is_empty());
    assert_eq!(app.events_of("project.restored").await, 1);
    assert_eq!(
        app.count("audit_events WHERE action = 'project.restored'")
            .await,
        1
    );
    // Restoring what is not archived finds nothing to restore.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/unarchive", r.project_id),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn restoring_under_a_name_taken_meanwhile_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let r = app.registry().await;
    archive_project(&app, &r).await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "Support"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["project"]["slug"], "support-2",
        "the old slug stays reserved"
    );
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/unarchive", r.project_id),
            None,
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["details"][0]["field"], "name");
    let (_, b) = app.read(&r, &r.owner, "/api/v1/projects/archived").await;
    assert_eq!(ids(&b, "projects"), vec![r.project_id.clone()]);
}

#[tokio::test]
async fn purging_deletes_the_content_for_good_and_keeps_the_slug() {
    let app = spawn_app().await;
    let r = app.registry().await;
    app.cut_version(&r, &r.admin, json!({})).await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/access_tokens", r.project_id),
            Some(json!({"name": "app"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["access_token"]["token"].as_str().unwrap().to_string();
    let purge = format!("/api/v1/projects/{}/purge", r.project_id);
    // A live project is not purged: archive it first.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &purge,
            Some(json!({"confirm": "support"})),
        )
        .await;
    assert_eq!(s, 404);
    archive_project(&app, &r).await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &purge,
            Some(json!({"confirm": "Support"})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["details"][0]["field"], "confirm");
    assert_eq!(
        app.count("versions").await,
        1,
        "a refused purge changes nothing"
    );
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            Method::POST,
            &purge,
            Some(json!({"confirm": "support"})),
        )
        .await;
    assert_eq!(s, 403, "admins do not purge");
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &purge,
            Some(json!({"confirm": "support"})),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    for table in [
        "prompt_sets",
        "prompts",
        "versions",
        "channels",
        "access_tokens",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} left behind");
    }
    let res = app
        .client
        .get(app.url("/api/v1/resolve/support/emails@1.0.0/welcome"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the project's tokens are gone");
    let (_, b) = app.read(&r, &r.owner, "/api/v1/projects/archived").await;
    assert!(ids(&b, "projects").is_empty(), "purged is not archived");
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "New", "slug": "support"})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["details"][0]["field"], "slug");
    assert_eq!(app.events_of("project.purged").await, 1);
}

#[tokio::test]
async fn prompt_sets_are_restored_and_purged_inside_a_live_project() {
    let app = spawn_app().await;
    let r = app.registry().await;
    app.cut_version(&r, &r.admin, json!({})).await;
    let set = format!("/api/v1/prompt_sets/{}", r.set_id);
    let (s, _) = app.call(&r, &r.admin, Method::DELETE, &set, None).await;
    assert_eq!(s, 204);
    let archived = format!("/api/v1/projects/{}/prompt_sets/archived", r.project_id);
    let (s, b) = app.read(&r, &r.owner, &archived).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&b, "prompt_sets"), vec![r.set_id.clone()]);

    // A set of an archived project waits for its project.
    archive_project(&app, &r).await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("{set}/unarchive"),
            None,
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("project"),
        "{b}"
    );
    app.call(
        &r,
        &r.owner,
        Method::POST,
        &format!("/api/v1/projects/{}/unarchive", r.project_id),
        None,
    )
    .await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("{set}/unarchive"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["prompt_set"]["slug"], "emails");

    let (s, _) = app.call(&r, &r.admin, Method::DELETE, &set, None).await;
    assert_eq!(s, 204);
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("{set}/purge"),
            Some(json!({"confirm": "emails"})),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(app.count("prompts").await, 0);
    assert_eq!(app.count("versions").await, 0);
    let (_, b) = app.read(&r, &r.owner, &archived).await;
    assert!(ids(&b, "prompt_sets").is_empty());
    let (s, b) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            &format!("/api/v1/projects/{}/prompt_sets", r.project_id),
            Some(json!({"name": "Emails again", "slug": "emails"})),
        )
        .await;
    assert_eq!(s, 409, "the purged set's slug stays reserved: {b}");
}
