//! The web UI's pages as a browser gets them: status, content, security headers, escaping,
//! sign-in flows, CSRF, and what another organisation's member sees.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, browser, spawn_app};

/// The page at `path` for `client`: its status, headers and body.
async fn page(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

fn location(headers: &reqwest::header::HeaderMap) -> &str {
    headers["location"].to_str().unwrap()
}

/// Every `src`/`href` of a page points at this origin.
fn assert_no_off_site_urls(html: &str) {
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let url = part.split('"').next().unwrap();
            assert!(
                url.starts_with('/') || url.starts_with('#'),
                "{attr}{url} leaves the origin"
            );
        }
    }
}

#[tokio::test]
async fn the_landing_page_is_self_contained_and_locked_down() {
    let app = spawn_app().await;
    let (status, headers, html) = page(&app, &browser(), "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Create an account"), "{html}");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    assert!(!html.contains("<script>"), "no inline script");
    assert_no_off_site_urls(&html);
    // Its assets come from here, under content-hashed names, cached for good.
    let css = html
        .split("href=\"")
        .map(|p| p.split('"').next().unwrap())
        .find(|u| u.starts_with("/assets/anvil.") && u.ends_with(".css"))
        .expect("the stylesheet")
        .to_string();
    let res = reqwest::get(app.url(&css)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(res.text().await.unwrap().contains("--accent"));
    let res = reqwest::get(app.url("/assets/anvil.0000000000.css"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "only the current build's names exist");
}

#[tokio::test]
async fn sign_up_sign_in_and_sign_out_through_the_forms() {
    let app = spawn_app().await;
    let b = browser();
    // A bad form: 422, errors under the fields, what was typed kept (and escaped).
    let res = b
        .post(app.url("/sign_up"))
        .form(&[
            ("name", "Ada"),
            ("email", "not-an-email\"><b>"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-error-summary"), "{html}");
    assert!(html.contains("not-an-email&#34;&#62;&#60;b&#62;"), "{html}");
    assert!(!html.contains("<b>"), "typed text never becomes markup");

    let res = b
        .post(app.url("/sign_up"))
        .form(&[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    // Home sends a signed-in user to their organisation's dashboard.
    let (status, headers, _) = page(&app, &b, "/").await;
    assert_eq!(status, 303);
    let dashboard = location(&headers).to_string();
    assert!(dashboard.starts_with("/o/"), "{dashboard}");
    let (status, _, html) = page(&app, &b, &dashboard).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("ada@example.com") && html.contains("No projects yet"),
        "{html}"
    );
    assert_no_off_site_urls(&html);

    // Sign out needs the session's token.
    let res = b
        .post(app.url("/sign_out"))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let token = csrf_of(&html);
    let res = b
        .post(app.url("/sign_out"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, headers, _) = page(&app, &b, &dashboard).await;
    assert_eq!(status, 303, "signed out: the dashboard asks to sign in");
    assert_eq!(location(&headers), "/sign_in");

    // Wrong password: 422 and a message; right one: back in.
    let res = b
        .post(app.url("/sign_in"))
        .form(&[
            ("email", "ada@example.com"),
            ("password", "wrong password!!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("ada@example.com"));
    let res = b
        .post(app.url("/sign_in"))
        .form(&[
            ("email", "ada@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(page(&app, &b, &dashboard).await.0, 200);

    // Another site cannot post the forms with the user's cookie.
    let res = b
        .post(app.url("/sign_in"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("email", "ada@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_dashboard_escapes_what_users_write_and_hides_other_organisations() {
    let app = spawn_app().await;
    let (owner, _, member, org) = app.team().await;
    let slug = org["slug"].as_str().unwrap().to_string();
    let org_id = org["id"].as_str().unwrap().to_string();
    let res = app
        .send_in(
            &owner,
            reqwest::Method::POST,
            &org_id,
            "/api/v1/projects",
            Some(json!({"name": "<script>alert(1)</script>", "slug": "xss",
                        "description": "{{ '<img src=x onerror=alert(1)>' }}"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (status, _, html) = page(&app, &member, &format!("/o/{slug}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "never markup");
    assert!(!html.contains("<img"), "never markup");
    assert!(
        html.contains("Projects <span class=\"muted\">(1)</span>"),
        "{html}"
    );
    // Someone outside the organisation gets the same 404 as for one that does not exist.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    let (status, _, html) = page(&app, &stranger, &format!("/o/{slug}")).await;
    assert_eq!(status, 404);
    assert!(!html.contains("xss"));
    assert_eq!(page(&app, &stranger, "/o/no-such-org").await.0, 404);
}

#[tokio::test]
async fn project_and_set_pages_show_sets_prompts_channels_and_versions() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            reqwest::Method::POST,
            &format!("/api/v1/prompt_sets/{}/versions", r.set_id),
            Some(json!({"label": "1.0.0", "description": "First <cut>"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            reqwest::Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert!(s == 200 || s == 201, "{s}");
    let org = org_slug(&app, &r).await;
    let (status, _, html) = page(&app, &r.member, &format!("/o/{org}/support")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("href=\"/o/{org}/support/emails\"")),
        "{html}"
    );
    assert!(
        html.contains("support/emails") && html.contains("live"),
        "{html}"
    );
    let (status, _, html) = page(&app, &r.member, &format!("/o/{org}/support/emails")).await;
    assert_eq!(status, 200);
    assert!(html.contains("support/emails/welcome"), "{html}");
    assert!(
        html.contains("customer_name"),
        "the parameters are listed: {html}"
    );
    assert!(
        html.contains("channel-production") && html.contains("1.0.0"),
        "{html}"
    );
    assert!(html.contains("First &#60;cut&#62;"), "{html}");
    // Breadcrumbs: Organisation › Project › Set.
    assert!(
        html.contains(&format!("<a href=\"/o/{org}/support\">Support</a>")),
        "{html}"
    );
    assert_no_off_site_urls(&html);
    // Nothing of it for someone outside the organisation, nor for a set that does not exist.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    for path in [
        format!("/o/{org}/support"),
        format!("/o/{org}/support/emails"),
    ] {
        let (status, _, html) = page(&app, &stranger, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!html.contains("welcome"));
    }
    assert_eq!(
        page(&app, &r.member, &format!("/o/{org}/support/nope"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_prompt_page_shows_templates_as_text_and_how_to_use_them() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            reqwest::Method::POST,
            &format!("/api/v1/prompt_sets/{}/prompts", r.set_id),
            Some(json!({"name": "Hostile", "slug": "hostile",
                        "template": "<script>alert(1)</script>{{ '<img src=x onerror=alert(1)>' }} {{ who }}",
                        "parameters": [{"name": "who", "type": "string", "required": true, "description": "<b>bold</b>"}]})),
        )
        .await;
    assert_eq!(s, 201);
    let org = org_slug(&app, &r).await;
    let (status, headers, html) =
        page(&app, &r.member, &format!("/o/{org}/support/emails/hostile")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(
        !html.contains("<script>alert") && !html.contains("<img") && !html.contains("<b>bold"),
        "{html}"
    );
    // Snippets for the SDKs, the CLI and curl, with the required parameter filled in.
    assert!(html.contains("support/emails@production/hostile"), "{html}");
    assert!(
        html.contains("anvil render support/emails@production/hostile --var who=..."),
        "{html}"
    );
    assert!(html.contains("data-copy=\"address\""));
    assert_no_off_site_urls(&html);
    // The set's page links to it; a prompt that does not exist is a 404.
    let (_, _, set_html) = page(&app, &r.member, &format!("/o/{org}/support/emails")).await;
    assert!(
        set_html.contains(&format!("href=\"/o/{org}/support/emails/hostile\"")),
        "{set_html}"
    );
    assert_eq!(
        page(&app, &r.member, &format!("/o/{org}/support/emails/nope"))
            .await
            .0,
        404
    );
}

/// The slug of the registry's organisation (pages are addressed by it).
async fn org_slug(app: &TestApp, r: &crate::helpers::Registry) -> String {
    let (_, body) = app
        .call(
            r,
            &r.owner,
            reqwest::Method::GET,
            "/api/v1/organisation",
            None,
        )
        .await;
    body["organisation"]["slug"].as_str().unwrap().to_string()
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    html.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .expect("a form with the token")
        .to_string()
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_signs_them_out() {
    let app = spawn_app().await;
    let (here, there) = (browser(), browser());
    app.register(&here, "ada@example.com").await;
    let res = there
        .post(app.url("/sign_in"))
        .form(&[
            ("email", "ada@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, _, html) = page(&app, &here, "/account").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("ada@example.com") && html.contains("this browser"),
        "{html}"
    );
    assert_eq!(
        html.matches("/account/sessions/").count(),
        1,
        "the other session: {html}"
    );
    let other = html
        .split("/account/sessions/")
        .nth(1)
        .and_then(|p| p.split('/').next())
        .unwrap()
        .to_string();
    let token = csrf_of(&html);
    // Without the token nothing happens.
    let res = here
        .post(app.url(&format!("/account/sessions/{other}/end")))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(page(&app, &there, "/account").await.0, 200);
    let res = here
        .post(app.url(&format!("/account/sessions/{other}/end")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, headers, _) = page(&app, &there, "/account").await;
    assert_eq!(
        (status.as_u16(), location(&headers)),
        (303, "/sign_in"),
        "signed out there"
    );
    // Everywhere, this browser included.
    let res = here
        .post(app.url("/account/sign_out_everywhere"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(page(&app, &here, "/account").await.0, 303);
}
