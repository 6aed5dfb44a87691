use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{api_error, browser, spawn_app};

#[tokio::test]
async fn organisations_can_be_created_read_renamed_and_deleted() {
    let app = spawn_app().await;
    app.register(&app.client, "ada@example.com").await;
    let res = app
        .post(
            &app.client,
            "/api/v1/organisations",
            json!({"name": "Acme Prompts", "description": "ours"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let org = res.json::<Value>().await.unwrap()["organisation"].clone();
    assert_eq!(org["slug"], "acme-prompts");
    assert_eq!(org["role"], "owner");
    let id = org["id"].as_str().unwrap();

    let list: Value = app
        .get(&app.client, "/api/v1/organisations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["organisations"].as_array().unwrap().len(), 2);

    let res = app
        .client
        .patch(app.url(&format!("/api/v1/organisations/{id}")))
        .json(&json!({"organisation": {"name": "Acme"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["organisation"]["name"],
        "Acme"
    );

    // Deleting needs the slug as confirmation.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/organisations/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 422).await["details"][0]["field"], "confirm");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/organisations/{id}?confirm=acme-prompts")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get(&app.client, &format!("/api/v1/organisations/{id}"))
            .await
            .status(),
        404
    );

    // The personal organisation cannot be deleted.
    let me: Value = app
        .get(&app.client, "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    let personal = &me["organisations"][0];
    let res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/organisations/{}?confirm={}",
            personal["id"].as_str().unwrap(),
            personal["slug"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(res, 409).await["type"], "conflict_error");
}

/// The roles table of domain.md, walked through the HTTP API for each role.
#[tokio::test]
async fn the_roles_table_holds_for_every_role() {
    let app = spawn_app().await;
    let (owner, admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap().to_string();
    let slug = org["slug"].as_str().unwrap().to_string();
    let users: Value = app
        .send_in(
            &owner,
            Method::GET,
            &org_id,
            "/api/v1/organisation/members",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let member_id = users["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "member")
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string();

    struct Case {
        what: &'static str,
        method: Method,
        path: String,
        body: Option<Value>,
        // Expected status for member, admin, owner.
        expect: [u16; 3],
    }
    let cases = vec![
        Case {
            what: "read the organisation",
            method: Method::GET,
            path: "/api/v1/organisation".into(),
            body: None,
            expect: [200, 200, 200],
        },
        Case {
            what: "list members",
            method: Method::GET,
            path: "/api/v1/organisation/members".into(),
            body: None,
            expect: [200, 200, 200],
        },
        Case {
            what: "read the audit log",
            method: Method::GET,
            path: "/api/v1/organisation/audit".into(),
            body: None,
            expect: [403, 200, 200],
        },
        Case {
            what: "list invitations",
            method: Method::GET,
            path: "/api/v1/organisation/invitations".into(),
            body: None,
            expect: [403, 200, 200],
        },
        Case {
            what: "invite a member",
            method: Method::POST,
            path: "/api/v1/organisation/members".into(),
            body: Some(json!({"email": "new@acme.test", "role": "member"})),
            expect: [403, 201, 201],
        },
        Case {
            what: "invite an admin",
            method: Method::POST,
            path: "/api/v1/organisation/members".into(),
            body: Some(json!({"email": "new2@acme.test", "role": "admin"})),
            expect: [403, 201, 201],
        },
        Case {
            what: "invite an owner",
            method: Method::POST,
            path: "/api/v1/organisation/members".into(),
            body: Some(json!({"email": "boss@acme.test", "role": "owner"})),
            expect: [403, 403, 201],
        },
        Case {
            what: "rename the organisation",
            method: Method::PATCH,
            path: "/api/v1/organisation".into(),
            body: Some(json!({"name": "Acme 2"})),
            expect: [403, 403, 200],
        },
        Case {
            what: "change a role",
            method: Method::PATCH,
            path: format!("/api/v1/organisation/members/{member_id}"),
            body: Some(json!({"role": "member"})),
            expect: [403, 403, 200],
        },
        Case {
            what: "delete the organisation",
            method: Method::DELETE,
            path: format!("/api/v1/organisations/{org_id}?confirm={slug}"),
            body: None,
            expect: [403, 403, 204],
        },
    ];
    for case in &cases {
        for (i, (who, client)) in [("member", &member), ("admin", &admin), ("owner", &owner)]
            .into_iter()
            .enumerate()
        {
            if case.what == "delete the organisation" && who == "owner" {
                continue; // run last, below
            }
            let res = app
                .send_in(
                    client,
                    case.method.clone(),
                    &org_id,
                    &case.path,
                    case.body.clone(),
                )
                .await;
            let status = res.status().as_u16();
            assert_eq!(
                status, case.expect[i],
                "{who} may {}? got {status}",
                case.what
            );
            if status == 403 {
                let error = res.json::<Value>().await.unwrap();
                let message = error["error"]["message"].as_str().unwrap().to_string();
                assert!(message.starts_with("only "), "403 says who can: {message}");
            }
        }
    }
    // Members may remove themselves (leave); removing others is for owners.
    let res = app
        .send_in(
            &admin,
            Method::DELETE,
            &org_id,
            &format!("/api/v1/organisation/members/{member_id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .send_in(
            &member,
            Method::DELETE,
            &org_id,
            &format!("/api/v1/organisation/members/{member_id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204, "a member can leave");
    assert_eq!(
        app.send_in(&member, Method::GET, &org_id, "/api/v1/organisation", None)
            .await
            .status(),
        404
    );

    let res = app
        .send_in(
            &owner,
            Method::DELETE,
            &org_id,
            &format!("/api/v1/organisations/{org_id}?confirm={slug}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.send_in(&admin, Method::GET, &org_id, "/api/v1/organisation", None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn every_organisation_keeps_an_owner_and_personal_ones_stay_personal() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let me: Value = app.get(&owner, "/api/v1/me").await.json().await.unwrap();
    let my_id = me["user"]["id"].as_str().unwrap();
    let res = app
        .send_in(
            &owner,
            Method::PATCH,
            org_id,
            &format!("/api/v1/organisation/members/{my_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(api_error(res, 409).await["type"], "conflict_error");
    let res = app
        .send_in(
            &owner,
            Method::DELETE,
            org_id,
            &format!("/api/v1/organisation/members/{my_id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 409, "the last owner cannot leave");

    let personal = me["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["personal"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .send_in(
            &owner,
            Method::POST,
            &personal,
            "/api/v1/organisation/members",
            Some(json!({"email": "x@y.test"})),
        )
        .await;
    assert_eq!(res.status(), 409, "no members in a personal organisation");
    let res = app
        .send_in(
            &owner,
            Method::DELETE,
            &personal,
            &format!("/api/v1/organisation/members/{my_id}"),
            None,
        )
        .await;
    assert_eq!(
        res.status(),
        409,
        "nobody leaves their personal organisation"
    );
}

#[tokio::test]
async fn invitations_are_single_use_for_their_recipient_and_revocable() {
    let app = spawn_app().await;
    let (owner, _admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    // Already accepted: reuse fails.
    let token = app.mailed_token("member@acme.test").await;
    let res = app
        .post(
            &member,
            "/api/v1/invitations/accept",
            json!({"token": token}),
        )
        .await;
    assert_eq!(res.status(), 404);

    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            "/api/v1/organisation/members",
            Some(json!({"email": "carol@acme.test"})),
        )
        .await;
    let inv = res.json::<Value>().await.unwrap()["invitation"].clone();
    let token = app.mailed_token("carol@acme.test").await;
    let mallory = browser();
    app.register(&mallory, "mallory@evil.test").await;
    let res = app
        .post(
            &mallory,
            "/api/v1/invitations/accept",
            json!({"token": token}),
        )
        .await;
    assert_eq!(res.status(), 403, "someone else's invitation");

    let res = app
        .send_in(
            &owner,
            Method::DELETE,
            org_id,
            &format!(
                "/api/v1/organisation/invitations/{}",
                inv["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let carol = browser();
    app.register(&carol, "carol@acme.test").await;
    let res = app
        .post(
            &carol,
            "/api/v1/invitations/accept",
            json!({"token": token}),
        )
        .await;
    assert_eq!(res.status(), 404, "revoked");
    let res = app
        .post(
            &carol,
            "/api/v1/invitations/accept",
            json!({"token": "garbage"}),
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn mutations_are_in_the_audit_log() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let log: Value = app
        .send_in(
            &owner,
            Method::GET,
            org_id,
            "/api/v1/organisation/audit",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "organisation.created",
        "invitation.created",
        "member.joined",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let joined: Value = app
        .send_in(
            &owner,
            Method::GET,
            org_id,
            "/api/v1/organisation/audit?action=member.joined",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(joined["audit_events"].as_array().unwrap().len(), 2);
    let res = app
        .send_in(
            &owner,
            Method::GET,
            org_id,
            "/api/v1/organisation/audit?since=yesterday",
            None,
        )
        .await;
    assert_eq!(api_error(res, 400).await["type"], "invalid_request_error");
}

/// A user of organisation B uses organisation A's ids everywhere: 404, and nothing of A leaks.
#[tokio::test]
async fn other_tenants_see_nothing() {
    let app = spawn_app().await;
    let (owner_a, _admin, _member, org_a) = app.team().await;
    let a = org_a["id"].as_str().unwrap();
    let a_slug = org_a["slug"].as_str().unwrap();
    let res = app
        .send_in(
            &owner_a,
            Method::POST,
            a,
            "/api/v1/api_keys",
            Some(json!({"name": "ci", "scopes": ["read"], "organisation_id": a})),
        )
        .await;
    let key_a = res.json::<Value>().await.unwrap()["api_key"].clone();
    let res = app
        .send_in(
            &owner_a,
            Method::POST,
            a,
            "/api/v1/organisation/members",
            Some(json!({"email": "pending@acme.test"})),
        )
        .await;
    let inv_a = res.json::<Value>().await.unwrap()["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let eve = browser();
    app.register(&eve, "eve@other.test").await;
    let probes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/organisations/{a}"), None),
        (
            Method::PATCH,
            format!("/api/v1/organisations/{a}"),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/organisations/{a}?confirm={a_slug}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/api_keys/{}", key_a["id"].as_str().unwrap()),
            None,
        ),
    ];
    for (m, path, body) in probes {
        let res = app.send_in(&eve, m.clone(), "", &path, body).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 404, "{m} {path}: {text}");
        assert!(!text.contains("Acme"), "{text}");
    }
    for selector in [a, a_slug] {
        for path in [
            "/api/v1/organisation",
            "/api/v1/organisation/members",
            "/api/v1/organisation/audit",
            "/api/v1/organisation/invitations",
            "/api/v1/api_keys",
        ] {
            let res = app.send_in(&eve, Method::GET, selector, path, None).await;
            assert_eq!(res.status(), 404, "{path} as {selector}");
        }
        let res = app
            .send_in(
                &eve,
                Method::DELETE,
                selector,
                &format!("/api/v1/organisation/invitations/{inv_a}"),
                None,
            )
            .await;
        assert_eq!(res.status(), 404);
    }
    // In her own organisation, A's invitation does not exist either.
    let res = app
        .send_in(
            &eve,
            Method::DELETE,
            "",
            &format!("/api/v1/organisation/invitations/{inv_a}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
    let mine: Value = app
        .get(&eve, "/api/v1/organisations")
        .await
        .json()
        .await
        .unwrap();
    assert!(!mine.to_string().contains("Acme"));
    // Nothing changed in A.
    let still: Value = app
        .send_in(&owner_a, Method::GET, a, "/api/v1/organisation", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["organisation"]["name"], "Acme");
}

#[tokio::test]
async fn expired_invitations_cannot_be_accepted() {
    let app = spawn_app().await;
    let (owner, _admin, _member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let carol = browser();
    app.register(&carol, "carol@acme.test").await;
    app.send_in(
        &owner,
        Method::POST,
        org_id,
        "/api/v1/organisation/members",
        Some(json!({"email": "carol@acme.test"})),
    )
    .await;
    let token = app.mailed_token("carol@acme.test").await;
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(
            "UPDATE invitations SET expires_at = created_at WHERE accepted_at IS NULL",
        )
        .await
        .unwrap();
    let res = app
        .post(
            &carol,
            "/api/v1/invitations/accept",
            json!({"token": token}),
        )
        .await;
    assert_eq!(api_error(res, 404).await["type"], "not_found_error");
    let me: Value = app.get(&carol, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(
        me["organisations"].as_array().unwrap().len(),
        1,
        "still only the personal one"
    );
}

/// The content rows of the roles table: members create and edit prompt sets and prompts;
/// deleting them and managing projects is for admins and owners.
#[tokio::test]
async fn the_roles_table_holds_for_content() {
    let app = spawn_app().await;
    let (owner, admin, member, org) = app.team().await;
    let org_id = org["id"].as_str().unwrap();
    let clients = [("member", &member), ("admin", &admin), ("owner", &owner)];
    for (i, (who, client)) in clients.iter().enumerate() {
        // Projects: admins and owners.
        let res = app
            .send_in(
                client,
                Method::POST,
                org_id,
                "/api/v1/projects",
                Some(json!({"name": format!("P{i}")})),
            )
            .await;
        assert_eq!(
            res.status(),
            if *who == "member" { 403 } else { 201 },
            "{who} creates a project"
        );
    }
    let res = app
        .send_in(
            &owner,
            Method::POST,
            org_id,
            "/api/v1/projects",
            Some(json!({"name": "Shared"})),
        )
        .await;
    let project = res.json::<Value>().await.unwrap()["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (who, client) in clients {
        // Sets and prompts: everyone creates and edits.
        let res = app
            .send_in(
                client,
                Method::POST,
                org_id,
                &format!("/api/v1/projects/{project}/prompt_sets"),
                Some(json!({"name": format!("Set {who}")})),
            )
            .await;
        assert_eq!(res.status(), 201, "{who} creates a prompt set");
        let set = res.json::<Value>().await.unwrap()["prompt_set"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let res = app
            .send_in(
                client,
                Method::POST,
                org_id,
                &format!("/api/v1/prompt_sets/{set}/prompts"),
                Some(json!({"name": "P", "template": "x"})),
            )
            .await;
        assert_eq!(res.status(), 201, "{who} creates a prompt");
        let prompt = res.json::<Value>().await.unwrap()["prompt"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let res = app
            .send_in(
                client,
                Method::PATCH,
                org_id,
                &format!("/api/v1/prompts/{prompt}"),
                Some(json!({"template": "y"})),
            )
            .await;
        assert_eq!(res.status(), 200, "{who} edits a prompt");
        // Deleting: admins and owners.
        let expect = if who == "member" { 403 } else { 204 };
        let res = app
            .send_in(
                client,
                Method::DELETE,
                org_id,
                &format!("/api/v1/prompts/{prompt}"),
                None,
            )
            .await;
        assert_eq!(res.status(), expect, "{who} deletes a prompt");
        let res = app
            .send_in(
                client,
                Method::DELETE,
                org_id,
                &format!("/api/v1/prompt_sets/{set}"),
                None,
            )
            .await;
        assert_eq!(res.status(), expect, "{who} deletes a prompt set");
        let res = app
            .send_in(
                client,
                Method::PATCH,
                org_id,
                &format!("/api/v1/projects/{project}"),
                Some(json!({"description": who})),
            )
            .await;
        assert_eq!(
            res.status(),
            if who == "member" { 403 } else { 200 },
            "{who} edits a project"
        );
    }
}
