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
                url.starts_with('/') || url.starts_with('#') || url.starts_with("data:"),
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
    assert_eq!(
        headers["cache-control"], "no-store",
        "pages are never cached"
    );
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
    scrape(html, "name=\"_csrf\" value=\"", '"')
}

/// What follows the first `marker` in `html`, up to `end`: an id, a token, a value.
fn scrape(html: &str, marker: &str, end: char) -> String {
    let rest = html
        .split_once(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page: {html}"))
        .1;
    rest.split(end).next().unwrap_or_default().to_string()
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
    let other = scrape(&html, "/account/sessions/", '/');
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

/// Posts a form as `client` with the CSRF token of the page at `from`.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    from: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let (status, _, html) = page(app, client, from).await;
    assert_eq!(status, 200, "GET {from}: {html}");
    let token = csrf_of(&html);
    let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
    form.extend_from_slice(fields);
    let res = client.post(app.url(to)).form(&form).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

#[tokio::test]
async fn projects_sets_and_prompts_are_created_through_the_forms_by_who_may() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let dashboard = format!("/o/{org}");
    let new_project = format!("/o/{org}/-/new");

    // Only admins and owners are offered (and allowed) a new project.
    let (_, _, member_view) = page(&app, &r.member, &dashboard).await;
    assert!(!member_view.contains(&new_project), "{member_view}");
    let (_, _, owner_view) = page(&app, &r.owner, &dashboard).await;
    assert!(owner_view.contains(&new_project), "{owner_view}");
    let before = app.count("projects").await;
    let (status, _, html) = post_form(
        &app,
        &r.member,
        &dashboard,
        &new_project,
        &[("name", "Billing")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(html.contains("only admins and owners"), "{html}");
    let forged = r
        .owner
        .post(app.url(&new_project))
        .form(&[("_csrf", "forged"), ("name", "Billing")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(app.count("projects").await, before, "nothing was created");

    // A refused form comes back with the problem under its field and the input kept.
    let (status, _, html) = post_form(
        &app,
        &r.owner,
        &new_project,
        &new_project,
        &[("name", " "), ("description", "keeps <this>")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("class=\"error\""), "{html}");
    assert!(html.contains("keeps &#60;this&#62;"), "{html}");

    let (status, headers, _) = post_form(
        &app,
        &r.owner,
        &new_project,
        &new_project,
        &[("name", "Billing")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), format!("/o/{org}/billing"));

    // Members create sets and prompts.
    let new_set = format!("/o/{org}/billing/-/new");
    let (status, headers, _) =
        post_form(&app, &r.member, &new_set, &new_set, &[("name", "Invoices")]).await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), format!("/o/{org}/billing/invoices"));
    let new_prompt = format!("/o/{org}/billing/invoices/-/new");
    let (status, headers, _) = post_form(
        &app,
        &r.member,
        &new_prompt,
        &new_prompt,
        &[("name", "Reminder"), ("slug", "reminder")],
    )
    .await;
    assert_eq!(status, 303);
    let editor = format!("/o/{org}/billing/invoices/reminder");
    assert_eq!(location(&headers), editor);

    // The editor starts from the entity tag the API gives, so its first save is not refused.
    let (status, headers, html) = page(&app, &r.member, &editor).await;
    assert_eq!(status, 200);
    let id = scrape(&html, "data-prompt-id=\"", '"');
    let res = r
        .member
        .get(app.url(&format!("/api/v1/prompts/{id}")))
        .send()
        .await
        .unwrap();
    let etag = res.headers()["etag"]
        .to_str()
        .unwrap()
        .replace('"', "&#34;");
    assert!(
        html.contains(&format!("data-etag=\"{etag}\"")),
        "{etag} in {html}"
    );
    // Its CSP allows CodeMirror's <style> elements by this response's nonce, and no more.
    let csp = headers["content-security-policy"].to_str().unwrap();
    let nonce = scrape(&html, "name=\"anvil-style-nonce\" content=\"", '"');
    assert!(
        csp.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let (_, again, _) = page(&app, &r.member, &editor).await;
    assert_ne!(
        again["content-security-policy"], headers["content-security-policy"],
        "a fresh nonce per response"
    );

    // Someone else's organisation: its forms are not found.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    assert_eq!(page(&app, &stranger, &new_set).await.0, 404);
    assert_eq!(
        page(&app, &r.member, &format!("/o/{org}/nope/-/new"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn versions_are_cut_and_channels_moved_through_the_forms_with_their_diffs() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let set = format!("/o/{org}/support/emails");
    let cut = format!("{set}/-/cut");

    let (status, _, html) = page(&app, &r.member, &cut).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"1.0.0\""), "{html}");
    assert!(html.contains("the first version"), "{html}");
    let (status, headers, _) = post_form(
        &app,
        &r.member,
        &cut,
        &cut,
        &[("label", "1.0.0"), ("description", "First")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), format!("{set}/v/1.0.0"));
    let (_, _, html) = page(&app, &r.member, &cut).await;
    assert!(html.contains("Nothing changed since"), "{html}");

    // The next cut shows what it freezes, and suggests the label from the change.
    app.edit_welcome(
        &r,
        json!({"template": "Hi {{ customer_name }}!\n{% render 'footer', team: team %}"}),
    )
    .await;
    let (_, _, html) = page(&app, &r.member, &cut).await;
    assert!(
        html.contains("<span class=\"del\">Hello {{ customer_name }}!</span>"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"ins\">Hi {{ customer_name }}!</span>"),
        "{html}"
    );
    let next = scrape(
        &html,
        "id=\"label\" name=\"label\" class=\"mono\" value=\"",
        '"',
    );
    assert_ne!(next, "1.0.0");
    let (status, _, _) = post_form(&app, &r.member, &cut, &cut, &[("label", &next)]).await;
    assert_eq!(status, 303);

    // production: created at 1.0.0, then moved, each through its confirmation.
    let channel = format!("{set}/-/channels/production");
    let (status, _, html) = page(&app, &r.member, &format!("{channel}?to=1.0.0")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Create production"), "{html}");
    let (status, headers, _) = post_form(
        &app,
        &r.member,
        &format!("{channel}?to=1.0.0"),
        &channel,
        &[("to", "1.0.0")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), set);
    let confirm = format!("{channel}?to={next}");
    let (_, _, html) = page(&app, &r.member, &confirm).await;
    assert!(
        html.contains(&format!("Move production to {next}")),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"del\">Hello {{ customer_name }}!</span>"),
        "the diff it will ship: {html}"
    );
    // Resolve production once so the delivery cache holds 1.0.0 ...
    let (_, body) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@production")
        .await;
    assert_eq!(body["resolved_version"], "1.0.0", "{body}");
    let (status, _, _) = post_form(&app, &r.member, &confirm, &channel, &[("to", &next)]).await;
    assert_eq!(status, 303);
    // ... and a move through the form reaches it before the redirect is answered.
    let (_, body) = app
        .read(&r, &r.member, "/api/v1/resolve/support/emails@production")
        .await;
    assert_eq!(body["resolved_version"], next.as_str(), "{body}");
    let (_, body) = app
        .read(
            &r,
            &r.member,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
        )
        .await;
    assert_eq!(body["channel"]["version"], next.as_str(), "{body}");
    let (status, _, html) =
        post_form(&app, &r.member, &confirm, &channel, &[("to", "9.9.9")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("has no version 9.9.9"), "{html}");
    assert_eq!(
        page(&app, &r.member, &format!("{channel}?to=9.9.9"))
            .await
            .0,
        404,
        "no confirmation for a version that does not exist"
    );

    // The set page's live fragment, the version page, the diff view.
    let (status, _, fragment) = page(&app, &r.member, &format!("{set}?fragment=live")).await;
    assert_eq!(status, 200);
    assert!(
        fragment.trim_start().starts_with("<div id=\"live\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "{fragment}");
    assert!(fragment.contains(&next), "{fragment}");
    let (status, _, html) = page(&app, &r.member, &format!("{set}/v/1.0.0")).await;
    assert_eq!(status, 200);
    assert!(html.contains("support/emails@1.0.0/welcome"), "{html}");
    assert!(html.contains("Hello {{ customer_name }}!"), "{html}");
    let (status, _, html) =
        page(&app, &r.member, &format!("{set}/diff?from=1.0.0&to={next}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<span class=\"ins\">Hi {{ customer_name }}!</span>"),
        "{html}"
    );
    assert_eq!(
        page(&app, &r.member, &format!("{set}/diff?from=1.0.0&to=7.0.0"))
            .await
            .0,
        404
    );

    // Restoring 1.0.0 brings its text back into the working copy.
    let version = format!("{set}/v/1.0.0");
    let (status, _, _) = post_form(
        &app,
        &r.member,
        &version,
        &format!("{version}/restore"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = app
        .read(&r, &r.member, &format!("/api/v1/prompts/{}", r.welcome_id))
        .await;
    assert_eq!(
        body["prompt"]["template"],
        "Hello {{ customer_name }}!\n{% render 'footer', team: team %}"
    );
}

#[tokio::test]
async fn assets_are_sent_precompressed_by_what_the_browser_accepts() {
    let app = spawn_app().await;
    let (_, _, html) = page(&app, &browser(), "/").await;
    let js = html
        .split("src=\"")
        .map(|p| p.split('"').next().unwrap())
        .find(|u| u.starts_with("/assets/htmx."))
        .expect("htmx is on every page")
        .to_string();
    // reqwest is built without decompression here, so bodies arrive as sent.
    let raw = reqwest::Client::new();
    for (accept, coding) in [
        ("gzip, deflate, br", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0, gzip", Some("gzip")),
        ("identity", None),
    ] {
        let res = raw
            .get(app.url(&js))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            coding,
            "{accept}"
        );
        assert_eq!(res.headers()["vary"], "accept-encoding");
        let len = res.bytes().await.unwrap().len();
        if coding.is_some() {
            assert!(len < 25_000, "{accept}: {len} bytes");
        } else {
            assert!(len > 40_000, "{accept}: {len} bytes");
        }
    }
}

#[tokio::test]
async fn members_and_invitations_are_managed_by_role() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let members = format!("/o/{org}/members");

    // A member sees who is here, but no controls.
    let (status, _, html) = page(&app, &r.member, &members).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("admin@acme.test") && html.contains("owner@acme.test"),
        "{html}"
    );
    assert!(!html.contains("/role\""), "{html}");
    assert!(!html.contains("Send invitation"), "{html}");
    // ... and cannot post them either.
    let (_, body) = app.read(&r, &r.owner, "/api/v1/organisation/members").await;
    let member_id = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "member@acme.test")
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .unwrap();
    let role = format!("/o/{org}/members/{member_id}/role");
    let (status, _, html) = post_form(&app, &r.member, &members, &role, &[("role", "owner")]).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("only owners can"), "{html}");

    // The owner changes a role and invites; an admin revokes the invitation.
    let (status, _, _) = post_form(&app, &r.owner, &members, &role, &[("role", "admin")]).await;
    assert_eq!(status, 303);
    let (_, body) = app.read(&r, &r.owner, "/api/v1/organisation/members").await;
    assert!(
        body["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "member@acme.test" && m["role"] == "admin"),
        "{body}"
    );
    let invitations = format!("/o/{org}/invitations");
    let (status, _, html) = post_form(
        &app,
        &r.owner,
        &members,
        &invitations,
        &[("email", "not an email"), ("role", "member")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("value=\"not an email\""), "{html}");
    let (status, _, _) = post_form(
        &app,
        &r.owner,
        &members,
        &invitations,
        &[("email", "new@acme.test"), ("role", "member")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(app.mail_count("new@acme.test").await, 1);
    let (_, _, html) = page(&app, &r.admin, &members).await;
    let id = scrape(&html, "/invitations/", '/');
    let (status, _, _) = post_form(
        &app,
        &r.admin,
        &members,
        &format!("/o/{org}/invitations/{id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&app, &r.admin, &members).await;
    assert!(!html.contains("new@acme.test"), "{html}");

    // Removing: the owner removes the admin, who then has no pages here.
    let (_, body) = app.read(&r, &r.owner, "/api/v1/organisation/members").await;
    let admin_id = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "admin@acme.test")
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .unwrap();
    let (status, _, _) = post_form(
        &app,
        &r.owner,
        &members,
        &format!("/o/{org}/members/{admin_id}/remove"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(page(&app, &r.admin, &members).await.0, 404);
}

#[tokio::test]
async fn api_keys_are_shown_once_and_revoked_from_their_page() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let keys = format!("/o/{org}/keys");
    let (status, _, html) = post_form(&app, &r.member, &keys, &keys, &[("name", "")]).await;
    assert_eq!(status, 422, "{html}");
    let res = {
        let (_, _, html) = page(&app, &r.member, &keys).await;
        let token = csrf_of(&html);
        r.member
            .post(app.url(&keys))
            .form(&[
                ("_csrf", token.as_str()),
                ("name", "checkout"),
                ("read", "on"),
            ])
            .send()
            .await
            .unwrap()
    };
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let key = scrape(&html, "<code id=\"new-key\">", '<');
    assert!(key.starts_with("ank_"), "{key}");
    let me = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the key works");

    // Listed by name and prefix afterwards, never in full again.
    let (_, _, html) = page(&app, &r.member, &keys).await;
    assert!(html.contains("checkout"), "{html}");
    assert!(!html.contains(&key), "the key is not shown twice");
    let id = scrape(&html, "/keys/", '/');
    // Another organisation's page cannot revoke it.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    let (_, body) = app
        .call(&r, &stranger, reqwest::Method::GET, "/api/v1/me", None)
        .await;
    let theirs = body["organisations"][0]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, _) = post_form(
        &app,
        &stranger,
        &format!("/o/{theirs}/keys"),
        &format!("/o/{theirs}/keys/{id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) =
        post_form(&app, &r.member, &keys, &format!("{keys}/{id}/revoke"), &[]).await;
    assert_eq!(status, 303);
    let me = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "a revoked key is refused");
}

/// Posts `fields` to `path` (a form of the signed-out pages: no CSRF token to carry).
async fn post_plain(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let res = client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

#[tokio::test]
async fn the_mailed_links_open_pages_that_redeem_nothing_until_clicked() {
    let app = spawn_app().await;
    let ada = browser();
    app.register(&ada, "ada@example.com").await;

    // Email confirmation: the link's page, then one click.
    let token = app.mailed_token("ada@example.com").await;
    let link = format!("/auth/confirm_email?token={token}");
    for _ in 0..2 {
        let (status, _, html) = page(&app, &browser(), &link).await;
        assert_eq!(status, 200);
        assert!(html.contains("Confirm my address"), "{html}");
    }
    let (status, _, html) = post_plain(
        &app,
        &browser(),
        "/auth/confirm_email",
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("ada@example.com is confirmed"), "{html}");
    let me: serde_json::Value = ada
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["confirmed"], true);

    // A sign-in link: asked for by form, the same answer for an unknown address.
    let (status, _, html) = post_plain(
        &app,
        &browser(),
        "/sign_in/link",
        &[("email", "nobody@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Check your email"), "{html}");
    let (status, _, html) = post_plain(
        &app,
        &browser(),
        "/sign_in/link",
        &[("email", "ada@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Check your email"), "{html}");
    let token = app.mailed_token("ada@example.com").await;
    let (status, _, html) =
        page(&app, &browser(), &format!("/auth/magic_link?token={token}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("value=\"{token}\"")), "{html}");
    let there = browser();
    let (status, headers, _) =
        post_plain(&app, &there, "/auth/magic_link", &[("token", &token)]).await;
    assert_eq!(status, 303);
    assert!(headers.contains_key("set-cookie"));
    assert_eq!(page(&app, &there, "/account").await.0, 200, "signed in");
    // Signed in, a link's form also needs the session's CSRF token: a forged post cannot
    // sign this browser into another account.
    let (status, _, _) = post_plain(&app, &there, "/auth/magic_link", &[("token", "forged")]).await;
    assert_eq!(status, 403);
    let (status, _, html) =
        post_plain(&app, &browser(), "/auth/magic_link", &[("token", &token)]).await;
    assert_eq!(status, 422, "used once: {html}");
    assert!(html.contains("/sign_in/link"), "offers a new link: {html}");

    // A password reset: too short is refused with the field named, then it works.
    post_plain(
        &app,
        &browser(),
        "/password_reset",
        &[("email", "ada@example.com")],
    )
    .await;
    let token = app.mailed_token("ada@example.com").await;
    let (status, _, html) = post_plain(
        &app,
        &browser(),
        "/auth/password_reset",
        &[("token", &token), ("password", "short")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("class=\"error\""), "{html}");
    let (status, _, _) = post_plain(
        &app,
        &browser(),
        "/auth/password_reset",
        &[("token", &token), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        page(&app, &there, "/account").await.0,
        303,
        "other sessions ended"
    );
    let (status, _, _) = post_plain(
        &app,
        &browser(),
        "/sign_in",
        &[
            ("email", "ada@example.com"),
            ("password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(status, 303);

    // A cross-site post of any of them is refused.
    let res = browser()
        .post(app.url("/auth/magic_link"))
        .header("origin", "https://evil.example")
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn an_invitation_link_registers_the_invited_address_and_joins() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let members = format!("/o/{org}/members");
    post_form(
        &app,
        &r.owner,
        &members,
        &format!("/o/{org}/invitations"),
        &[("email", "grace@example.com"), ("role", "member")],
    )
    .await;
    let token = app.mailed_token("grace@example.com").await;
    let link = format!("/invitations/accept?token={token}");
    let (status, _, html) = page(&app, &browser(), &link).await;
    assert_eq!(status, 200);
    assert!(html.contains("Join Acme"), "{html}");
    assert!(html.contains("grace@example.com"), "{html}");
    // Signed in as someone else: told so, not joined.
    let (_, _, html) = page(&app, &r.member, &link).await;
    assert!(
        html.contains("you are signed in as member@acme.test"),
        "{html}"
    );
    let grace = browser();
    let (status, headers, html) = post_plain(
        &app,
        &grace,
        "/invitations/accept",
        &[
            ("token", &token),
            ("name", "Grace"),
            ("password", "a long enough secret"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(location(&headers), format!("/o/{org}"));
    assert_eq!(page(&app, &grace, &format!("/o/{org}")).await.0, 200);
    let (status, _, _) = page(&app, &browser(), &link).await;
    assert_eq!(status, 404, "used");
}

#[tokio::test]
async fn the_dashboard_counts_shows_production_and_what_happened_by_role() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201);
    let dashboard = format!("/o/{org}");
    let (status, _, html) = page(&app, &r.owner, &dashboard).await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>1</strong> projects · <strong>1</strong> prompt sets · <strong>2</strong> prompts · <strong>1</strong> versions"), "{html}");
    assert!(
        html.contains(&format!("href=\"/o/{org}/support/emails\">support/emails</a> <span class=\"pill version\">1.0.0</span>")),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "href=\"/o/{org}/support/emails/welcome\">Welcome</a>"
        )),
        "{html}"
    );
    // Owners and admins see the audit log, membership included ...
    assert!(html.contains("the audit log"), "{html}");
    assert!(
        html.contains("channel.moved") || html.contains("channel.created"),
        "{html}"
    );
    assert!(html.contains("invitation."), "{html}");
    assert!(html.contains("member@acme.test"), "who did it: {html}");
    // ... members the content events they may see, and no membership events.
    let (_, _, html) = page(&app, &r.member, &dashboard).await;
    assert!(html.contains("changes to content"), "{html}");
    assert!(html.contains("version.created"), "{html}");
    assert!(
        !html.contains("member.added") && !html.contains("invitation."),
        "{html}"
    );
}

#[tokio::test]
async fn admins_yank_versions_and_change_status_and_members_are_not_offered_either() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let set = format!("/o/{org}/support/emails");
    let version = format!("{set}/v/1.0.0");

    let (_, _, html) = page(&app, &r.member, &version).await;
    assert!(!html.contains("/yank\""), "{html}");
    let (_, _, html) = page(&app, &r.member, &set).await;
    assert!(!html.contains("/-/status\""), "{html}");
    let (status, _, html) = post_form(
        &app,
        &r.member,
        &version,
        &format!("{version}/yank"),
        &[("reason", "mine")],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("only admins and owners"), "{html}");
    let (status, _, _) = post_form(
        &app,
        &r.member,
        &set,
        &format!("{set}/-/status"),
        &[("status", "locked")],
    )
    .await;
    assert_eq!(status, 403);

    let (_, _, html) = page(&app, &r.admin, &version).await;
    assert!(
        html.contains(&format!("action=\"{version}/yank\"")),
        "{html}"
    );
    let (status, _, _) = post_form(
        &app,
        &r.admin,
        &version,
        &format!("{version}/yank"),
        &[("reason", "leaks the discount code")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&app, &r.admin, &version).await;
    assert!(html.contains("Yanked: leaks the discount code"), "{html}");
    let (status, _, _) =
        post_form(&app, &r.admin, &version, &format!("{version}/unyank"), &[]).await;
    assert_eq!(status, 303);
    let (status, _, _) = post_form(
        &app,
        &r.admin,
        &set,
        &format!("{set}/-/status"),
        &[("status", "locked")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&app, &r.member, &format!("{set}/welcome")).await;
    assert!(html.contains("This set is locked"), "{html}");
    assert!(html.contains("data-editable=\"false\""), "{html}");
    let (status, _, html) = post_form(
        &app,
        &r.admin,
        &set,
        &format!("{set}/-/status"),
        &[("status", "sideways")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("status: must be one of"), "{html}");
}

#[tokio::test]
async fn projects_and_sets_are_renamed_and_deleted_with_their_slug_typed_out() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let settings = format!("/o/{org}/support/-/edit");

    // Members may not edit or delete a project: no form, and a post is refused.
    let (status, _, html) = page(&app, &r.member, &settings).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("/-/delete\"") && !html.contains("name=\"etag\""),
        "{html}"
    );
    let (_, _, owner_view) = page(&app, &r.owner, &settings).await;
    let etag = scrape(&owner_view, "name=\"etag\" value=\"", '"').replace("&#34;", "\"");
    // The confirmation names what goes with the project, counted.
    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let (_, _, owner_view) = page(&app, &r.owner, &settings).await;
    assert!(
        owner_view.contains(
            "Deleting <strong class=\"mono\">support</strong>: 1 prompt set (emails) with their 2 prompts and 1 version stop resolving at once"
        ),
        "{owner_view}"
    );
    let (_, _, set_view) = page(&app, &r.owner, &format!("/o/{org}/support/emails/-/edit")).await;
    assert!(
        set_view.contains("Deleting <strong class=\"mono\">emails</strong>: its 2 prompts and 1 version stop resolving at once, with its channels"),
        "{set_view}"
    );
    let (status, _, _) = post_form(
        &app,
        &r.member,
        &format!("/o/{org}/support"),
        &settings,
        &[("name", "Mine"), ("slug", "support"), ("etag", &etag)],
    )
    .await;
    assert_eq!(status, 403);

    // A save from a page someone else has changed since is refused and says so.
    app.call(
        &r,
        &r.owner,
        reqwest::Method::PATCH,
        &format!("/api/v1/projects/{}", r.project_id),
        Some(json!({"description": "changed elsewhere"})),
    )
    .await;
    let (status, _, html) = post_form(
        &app,
        &r.owner,
        &settings,
        &settings,
        &[("name", "Help desk"), ("slug", "support"), ("etag", &etag)],
    )
    .await;
    assert_eq!(status, 412, "{html}");
    assert!(html.contains("Someone else changed this project"), "{html}");
    let (_, _, fresh) = page(&app, &r.owner, &settings).await;
    let etag = scrape(&fresh, "name=\"etag\" value=\"", '"').replace("&#34;", "\"");
    let (status, headers, _) = post_form(
        &app,
        &r.owner,
        &settings,
        &settings,
        &[("name", "Help desk"), ("slug", "help"), ("etag", &etag)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), format!("/o/{org}/help"));

    // Deleting a set: admins, with its slug typed out.
    let set_settings = format!("/o/{org}/help/emails/-/edit");
    let (_, _, html) = page(&app, &r.member, &set_settings).await;
    assert!(
        !html.contains("/-/delete\""),
        "members do not delete sets: {html}"
    );
    let delete = format!("/o/{org}/help/emails/-/delete");
    let (status, _, html) = post_form(
        &app,
        &r.admin,
        &set_settings,
        &delete,
        &[("confirm", "email")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("type emails to confirm"), "{html}");
    let (status, headers, _) = post_form(
        &app,
        &r.admin,
        &set_settings,
        &delete,
        &[("confirm", "emails")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), format!("/o/{org}/help"));
    assert_eq!(
        page(&app, &r.admin, &format!("/o/{org}/help/emails"))
            .await
            .0,
        404
    );

    // And the project, by its owner.
    let (status, headers, _) = post_form(
        &app,
        &r.owner,
        &format!("/o/{org}/help/-/edit"),
        &format!("/o/{org}/help/-/delete"),
        &[("confirm", "help")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), format!("/o/{org}"));
    assert_eq!(page(&app, &r.owner, &format!("/o/{org}/help")).await.0, 404);
}

#[tokio::test]
async fn the_audit_log_page_filters_and_is_for_admins() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let audit = format!("/o/{org}/audit");
    let (status, _, html) = page(&app, &r.admin, &audit).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("project.created") && html.contains("prompt.created"),
        "{html}"
    );
    let (status, _, html) = page(&app, &r.admin, &format!("{audit}?action=prompt.created")).await;
    assert_eq!(status, 200);
    assert!(html.contains("prompt.created"), "{html}");
    assert!(!html.contains(">project.created<"), "filtered: {html}");
    assert!(
        html.contains("value=\"prompt.created\""),
        "the filter is kept: {html}"
    );
    let (status, _, html) = page(&app, &r.member, &audit).await;
    assert_eq!(status, 403);
    assert!(html.contains("only admins and owners"), "{html}");
}

#[tokio::test]
async fn owners_rename_the_organisation_and_others_are_not_offered_it() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let settings = format!("/o/{org}/settings");
    let (status, _, html) = page(&app, &r.admin, &settings).await;
    assert_eq!(status, 200);
    assert!(!html.contains(&format!("action=\"{settings}\"")), "{html}");
    assert!(html.contains("Only owners change these"), "{html}");
    let (status, _, _) = post_form(&app, &r.admin, &settings, &settings, &[("name", "Mine")]).await;
    assert_eq!(status, 403);
    let (status, _, html) = post_form(&app, &r.owner, &settings, &settings, &[("name", " ")]).await;
    assert_eq!(status, 422, "{html}");
    let (status, _, html) = post_form(
        &app,
        &r.owner,
        &settings,
        &settings,
        &[("name", "Acme Support"), ("description", "the help desk")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Saved."), "{html}");
    let (_, body) = app.read(&r, &r.member, "/api/v1/organisation").await;
    assert_eq!(body["organisation"]["name"], "Acme Support");
}

#[tokio::test]
async fn access_tokens_are_shown_once_read_their_project_and_are_revoked_by_admins() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let tokens = format!("/o/{org}/support/-/tokens");
    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let (_, _, html) = page(&app, &r.member, &format!("/o/{org}/support")).await;
    assert!(
        !html.contains(&tokens),
        "members are not offered tokens: {html}"
    );
    assert_eq!(page(&app, &r.member, &tokens).await.0, 403);

    let (_, _, html) = page(&app, &r.admin, &tokens).await;
    let csrf = csrf_of(&html);
    let res = r
        .admin
        .post(app.url(&tokens))
        .form(&[("_csrf", csrf.as_str()), ("name", "checkout")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let token = scrape(&html, "<code id=\"new-token\">", '<');
    let resolve = |t: String| {
        let url = app.url("/api/v1/resolve/support/emails@1.0.0");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        resolve(token.clone()).await,
        200,
        "the token reads its project"
    );
    let (_, _, html) = page(&app, &r.admin, &tokens).await;
    assert!(!html.contains(&token), "shown once");
    let id = scrape(&html, "/-/tokens/", '/');
    let (status, _, _) = post_form(
        &app,
        &r.admin,
        &tokens,
        &format!("{tokens}/{id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(resolve(token).await, 401, "revoked");
}

/// How many webhooks the registry's organisation has, by the API.
async fn count(app: &TestApp, r: &crate::helpers::Registry) -> usize {
    let (_, list) = app
        .call(r, &r.owner, reqwest::Method::GET, "/api/v1/webhooks", None)
        .await;
    list["webhooks"].as_array().unwrap().len()
}

#[tokio::test]
async fn webhooks_are_added_paused_and_deleted_from_their_page_with_the_delivery_log() {
    use crate::webhooks::{Receiver, loopback_allowed};
    let app = loopback_allowed().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let hooks = format!("/o/{org}/webhooks");
    let receiver = Receiver::start(vec![500]).await;

    // Members neither see the page nor post its form.
    let (status, _, html) = page(&app, &r.member, &hooks).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("admin"), "the page says who may: {html}");
    let (_, _, dash) = page(&app, &r.member, &format!("/o/{org}")).await;
    let csrf = csrf_of(&dash);
    let res = r
        .member
        .post(app.url(&hooks))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("url", receiver.url.as_str()),
            ("events", "prompt.*"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(count(&app, &r).await, 0, "nothing was created");

    // Bad input: each problem under its field, nothing created.
    let (status, _, html) = post_form(
        &app,
        &r.admin,
        &hooks,
        &hooks,
        &[
            ("url", "ftp://example.com/x"),
            ("events", "prompts, channel.*"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("must be an http or https URL"), "{html}");
    assert!(
        html.contains("&#39;prompts&#39; is not an event type"),
        "{html}"
    );
    assert!(
        html.contains("value=\"prompts, channel.*\""),
        "the form keeps what was typed"
    );
    assert_eq!(count(&app, &r).await, 0);

    // Added: the secret shown once, and it signs what the receiver gets.
    let (status, headers, html) = post_form(
        &app,
        &r.admin,
        &hooks,
        &hooks,
        &[
            ("url", receiver.url.as_str()),
            ("events", "prompt.*"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert_eq!(headers["cache-control"], "no-store");
    let secret = scrape(&html, "<code id=\"new-secret\">", '<');
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, _, list) = page(&app, &r.admin, &hooks).await;
    assert!(!list.contains(&secret), "shown once");
    let id = scrape(&list, &format!("{hooks}/"), '"');
    let one = format!("{hooks}/{id}");
    let (status, _, html) = page(&app, &r.admin, &one).await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing delivered yet"), "{html}");

    // A failed attempt and its retry, newest first, with the receiver's answers.
    let (s, _) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::PATCH,
            &format!("/api/v1/prompts/{}", r.welcome_id),
            Some(json!({"template": "Hi {{ customer_name }}"})),
        )
        .await;
    assert_eq!(s, 200);
    receiver
        .wait_for(2, std::time::Duration::from_secs(10))
        .await;
    let log = loop {
        let (_, _, html) = page(&app, &r.admin, &one).await;
        if html.matches("data-delivery=").count() == 2 {
            break html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let rows: Vec<&str> = log.split("data-delivery=").skip(1).collect();
    assert!(
        rows[0].contains("prompt.updated") && rows[0].contains(">200<"),
        "{log}"
    );
    assert!(rows[1].contains(">500<"), "{log}");

    // Paused from its page: the next edit is not delivered.
    let (status, _, html) = post_form(
        &app,
        &r.admin,
        &one,
        &one,
        &[("url", receiver.url.as_str()), ("events", "prompt.*")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Saved.") && html.contains("paused"), "{html}");
    // A refused change keeps the webhook as it was.
    let (status, _, html) = post_form(
        &app,
        &r.admin,
        &one,
        &one,
        &[("url", "http://10.0.0.1/x"), ("events", "prompt.*")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("private address"), "{html}");
    let (_, list) = app
        .call(&r, &r.owner, reqwest::Method::GET, "/api/v1/webhooks", None)
        .await;
    assert_eq!(list["webhooks"][0]["url"], receiver.url.as_str());
    assert_eq!(list["webhooks"][0]["active"], false);

    // Another organisation's admin finds no such webhook.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    let (_, body) = app
        .call(&r, &stranger, reqwest::Method::GET, "/api/v1/me", None)
        .await;
    let theirs = body["organisations"][0]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        page(&app, &stranger, &format!("/o/{theirs}/webhooks/{id}"))
            .await
            .0,
        404
    );
    let (status, _, _) = post_form(
        &app,
        &stranger,
        &format!("/o/{theirs}/webhooks"),
        &format!("/o/{theirs}/webhooks/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(count(&app, &r).await, 1);

    // Deleted, with an audit event for each change.
    let (status, headers, _) = post_form(&app, &r.admin, &one, &format!("{one}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(location(&headers), hooks);
    assert_eq!(count(&app, &r).await, 0);
    let (_, audit) = app
        .call(
            &r,
            &r.owner,
            reqwest::Method::GET,
            "/api/v1/organisation/audit?resource=webhook",
            None,
        )
        .await;
    let actions: Vec<&str> = audit["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["webhook.deleted", "webhook.updated", "webhook.created"],
        "{audit}"
    );
}

#[tokio::test]
async fn the_dashboard_and_project_page_refresh_their_lists_from_a_live_fragment() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    // Each page listens to the events of what it shows and fetches its live block.
    let (_, _, html) = page(&app, &r.member, &format!("/o/{org}")).await;
    assert!(
        html.contains(&format!("hx-get=\"/o/{org}?fragment=live\""))
            && html.contains("hx-trigger=\"anvil:event from:body"),
        "{html}"
    );
    let (_, _, html) = page(&app, &r.member, &format!("/o/{org}/support")).await;
    assert!(
        html.contains(&format!(
            "hx-trigger=\"anvil:project:{} from:body",
            r.project_id
        )),
        "{html}"
    );

    // A set created elsewhere is in the next fragment: no layout around it.
    let (s, _) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &format!("/api/v1/projects/{}/prompt_sets", r.project_id),
            Some(json!({"name": "Refunds <b>fast</b>"})),
        )
        .await;
    assert_eq!(s, 201);
    let (status, _, fragment) =
        page(&app, &r.member, &format!("/o/{org}/support?fragment=live")).await;
    assert_eq!(status, 200);
    assert!(
        fragment.trim_start().starts_with("<div id=\"live\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "{fragment}");
    assert!(
        fragment.contains("Refunds &#60;b&#62;fast&#60;/b&#62;"),
        "escaped: {fragment}"
    );
    let (status, _, fragment) = page(&app, &r.member, &format!("/o/{org}?fragment=live")).await;
    assert_eq!(status, 200);
    assert!(
        fragment.trim_start().starts_with("<div id=\"live\""),
        "{fragment}"
    );
    assert!(
        fragment.contains("<strong>2</strong> prompt sets"),
        "{fragment}"
    );
    // Another organisation's fragments are not found, as its pages are.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    assert_eq!(
        page(&app, &stranger, &format!("/o/{org}?fragment=live"))
            .await
            .0,
        404
    );
    assert_eq!(
        page(&app, &stranger, &format!("/o/{org}/support?fragment=live"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn the_top_bar_switches_between_the_users_organisations() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let (_, me) = app
        .call(&r, &r.member, reqwest::Method::GET, "/api/v1/me", None)
        .await;
    let mine: Vec<String> = me["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap().to_string())
        .collect();
    assert!(mine.len() >= 2 && mine.contains(&org), "{me}");
    let (_, _, html) = page(&app, &r.member, &format!("/o/{org}/members")).await;
    let switcher = html
        .split("class=\"menu org-switcher\"")
        .nth(1)
        .and_then(|p| p.split("</details>").next())
        .expect("the organisation switcher");
    for slug in &mine {
        assert!(
            switcher.contains(&format!("href=\"/o/{slug}\"")),
            "{slug}: {switcher}"
        );
    }
    assert!(
        switcher.contains(&format!("href=\"/o/{org}\" aria-current=\"page\"")),
        "{switcher}"
    );
    // Nobody else's organisation is offered.
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    let (_, _, theirs) = page(&app, &stranger, "/account").await;
    assert!(!theirs.contains(&format!("/o/{org}\"")), "{theirs}");
}

#[tokio::test]
async fn no_project_takes_the_address_of_an_organisation_page() {
    let app = spawn_app().await;
    let r = app.registry().await;
    for name in ["Webhooks", "audit", "Keys", "members", "settings"] {
        let (s, body) = app
            .call(
                &r,
                &r.admin,
                reqwest::Method::POST,
                "/api/v1/projects",
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(s, 422, "{name}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], "slug", "{body}");
        assert!(
            body["error"]["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("reserved")
        );
    }
    // Renaming into one is refused too, and changes nothing.
    let (s, _) = app
        .call(
            &r,
            &r.admin,
            reqwest::Method::PATCH,
            &format!("/api/v1/projects/{}", r.project_id),
            Some(json!({"slug": "webhooks"})),
        )
        .await;
    assert_eq!(s, 422);
    let org = org_slug(&app, &r).await;
    assert_eq!(
        page(&app, &r.member, &format!("/o/{org}/support")).await.0,
        200
    );
}

#[tokio::test]
async fn the_keys_page_lists_every_key_a_page_at_a_time() {
    let app =
        crate::helpers::spawn_app_with(|c| c.rate_limits = anvil_server::config::Switch::Off).await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    for i in 0..101 {
        let (s, body) = app
            .call(
                &r,
                &r.member,
                reqwest::Method::POST,
                "/api/v1/api_keys",
                Some(json!({"name": format!("key-{i:03}"), "scopes": ["read"], "organisation_id": r.org_id})),
            )
            .await;
        assert_eq!(s, 201, "{body}");
    }
    let keys = format!("/o/{org}/keys");
    let (_, _, first) = page(&app, &r.member, &keys).await;
    assert_eq!(first.matches("<tr data-key=").count(), 100);
    assert!(first.contains("data-key=\"key-100\""), "newest first");
    let older = scrape(&first, &format!("href=\"{keys}?after="), '"');
    let (_, _, rest) = page(&app, &r.member, &format!("{keys}?after={older}")).await;
    assert_eq!(rest.matches("<tr data-key=").count(), 1, "{rest}");
    assert!(rest.contains("data-key=\"key-000\""), "{rest}");
    assert!(!rest.contains("?after="), "the last page links no further");
    // The oldest key is revoked from its page though the first page does not list it.
    let id = scrape(&rest, "/keys/", '/');
    let (status, _, _) =
        post_form(&app, &r.member, &keys, &format!("{keys}/{id}/revoke"), &[]).await;
    assert_eq!(status, 303);
    let (_, _, rest) = page(&app, &r.member, &format!("{keys}?after={older}")).await;
    assert_eq!(rest.matches("<tr data-key=").count(), 0, "{rest}");
}

#[tokio::test]
async fn the_account_page_changes_the_password_and_signs_out_the_other_sessions() {
    let app = spawn_app().await;
    let (here, there) = (browser(), browser());
    app.register(&here, "ada@example.com").await;
    let sign_in = |client: reqwest::Client, password: &'static str| {
        let url = app.url("/sign_in");
        async move {
            client
                .post(url)
                .form(&[("email", "ada@example.com"), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(sign_in(there.clone(), "correct horse battery").await, 303);
    // A wrong current password changes nothing, and says which field.
    let (status, _, html) = post_form(
        &app,
        &here,
        "/account",
        "/account/password",
        &[
            ("current_password", "wrong guess here"),
            ("new_password", "a much better passphrase"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("is not your current password"), "{html}");
    let (status, _, html) = post_form(
        &app,
        &here,
        "/account",
        "/account/password",
        &[
            ("current_password", "correct horse battery"),
            ("new_password", "short"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#new_password\""), "{html}");
    assert_eq!(
        page(&app, &there, "/account").await.0,
        200,
        "still signed in there"
    );

    let (status, _, html) = post_form(
        &app,
        &here,
        "/account",
        "/account/password",
        &[
            ("current_password", "correct horse battery"),
            ("new_password", "a much better passphrase"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Your password is changed"), "{html}");
    assert_eq!(
        page(&app, &here, "/account").await.0,
        200,
        "this browser stays"
    );
    assert_eq!(
        page(&app, &there, "/account").await.0,
        303,
        "the other is signed out"
    );
    assert_ne!(
        sign_in(browser(), "correct horse battery").await,
        303,
        "the old password no longer signs in"
    );
    assert_eq!(sign_in(browser(), "a much better passphrase").await, 303);
    // Without the session's token nothing changes.
    let res = here
        .post(app.url("/account/password"))
        .form(&[
            ("_csrf", "forged"),
            ("current_password", "a much better passphrase"),
            ("new_password", "an attacker's choice!!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(sign_in(browser(), "a much better passphrase").await, 303);
}

#[tokio::test]
async fn a_set_shows_its_dependencies_and_who_cut_each_version_and_projects_their_counts() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let set = format!("/o/{org}/support/emails");
    let settings = format!("{set}/-/edit");
    // A second set to depend on, with a version.
    let (s, common) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &format!("/api/v1/projects/{}/prompt_sets", r.project_id),
            Some(json!({"name": "Tone"})),
        )
        .await;
    assert_eq!(s, 201, "{common}");
    let tone = common["prompt_set"]["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &format!("/api/v1/prompt_sets/{tone}/prompts"),
            Some(json!({"name": "Formal", "template": "Kind regards"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::POST,
            &format!("/api/v1/prompt_sets/{tone}/versions"),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201);

    // A bad entry is named under the field, and nothing is saved.
    let (_, _, form) = page(&app, &r.member, &settings).await;
    let etag = scrape(&form, "name=\"etag\" value=\"", '"').replace("&#34;", "\"");
    let (status, _, html) = post_form(
        &app,
        &r.member,
        &settings,
        &settings,
        &[
            ("name", "Emails"),
            ("slug", "emails"),
            ("description", ""),
            ("etag", &etag),
            ("dependencies", "support/tone@^1.0\nsupport/nowhere@^1"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("support/nowhere@^1: no prompt set"), "{html}");
    assert!(html.contains("href=\"#dependencies\""), "{html}");
    let (status, headers, html) = post_form(
        &app,
        &r.member,
        &settings,
        &settings,
        &[
            ("name", "Emails"),
            ("slug", "emails"),
            ("description", ""),
            ("etag", &etag),
            ("dependencies", "support/tone@^1.0\n"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(location(&headers), set);
    let (_, body) = app
        .call(
            &r,
            &r.member,
            reqwest::Method::GET,
            &format!("/api/v1/prompt_sets/{}", r.set_id),
            None,
        )
        .await;
    assert_eq!(
        body["prompt_set"]["dependencies"],
        json!(["support/tone@^1.0"])
    );

    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let (_, _, html) = page(&app, &r.member, &set).await;
    assert!(
        html.contains(&format!("href=\"/o/{org}/support/tone\">support/tone</a> <span class=\"mono muted\">@^1.0</span>")),
        "{html}"
    );
    assert!(
        html.contains("<td data-label=\"By\">Test</td>"),
        "who cut it: {html}"
    );
    let (_, _, settings_page) = page(&app, &r.member, &settings).await;
    assert!(
        settings_page.contains(">support/tone@^1.0</textarea>"),
        "{settings_page}"
    );

    // The dashboard's project card counts what is in it.
    let (_, _, html) = page(&app, &r.member, &format!("/o/{org}")).await;
    assert!(
        html.contains("<strong>2</strong> sets · <strong>3</strong> prompts"),
        "{html}"
    );
}

#[tokio::test]
async fn another_organisations_pages_and_forms_are_not_found() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let set = format!("/o/{org}/support/emails");
    let pages = [
        format!("/o/{org}"),
        format!("/o/{org}/members"),
        format!("/o/{org}/keys"),
        format!("/o/{org}/webhooks"),
        format!("/o/{org}/audit"),
        format!("/o/{org}/settings"),
        format!("/o/{org}/-/new"),
        format!("/o/{org}/support"),
        format!("/o/{org}/support/-/edit"),
        format!("/o/{org}/support/-/tokens"),
        format!("/o/{org}/support/-/new"),
        set.clone(),
        format!("{set}/-/edit"),
        format!("{set}/-/new"),
        format!("{set}/-/cut"),
        format!("{set}/-/channels/production?to=1.0.0"),
        format!("{set}/v/1.0.0"),
        format!("{set}/diff?from=1.0.0&to=working"),
        format!("{set}/welcome"),
    ];
    // Each opens for a member of the organisation (or says why not), and is a 404 to
    // someone signed in elsewhere: nothing of it shows.
    for path in &pages {
        let (status, _, _) = page(&app, &r.owner, path).await;
        assert_eq!(status, 200, "{path} for its owner");
    }
    let stranger = browser();
    app.register(&stranger, "stranger@example.com").await;
    for path in &pages {
        let (status, _, html) = page(&app, &stranger, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !html.contains("Welcome") && !html.contains("support/emails"),
            "{path}: {html}"
        );
    }
    // Their forms, posted with the stranger's own valid token, change nothing.
    let (_, _, own) = page(&app, &stranger, "/account").await;
    let token = csrf_of(&own);
    let posts = [
        format!("{set}/-/cut"),
        format!("{set}/-/channels/production"),
        format!("{set}/v/1.0.0/yank"),
        format!("{set}/v/1.0.0/restore"),
        format!("{set}/-/status"),
        format!("{set}/-/delete"),
        format!("/o/{org}/support/-/delete"),
        format!("/o/{org}/invitations"),
        format!("/o/{org}/webhooks"),
        format!("/o/{org}/settings"),
    ];
    for path in &posts {
        let res = stranger
            .post(app.url(path))
            .form(&[
                ("_csrf", token.as_str()),
                ("label", "9.0.0"),
                ("to", "1.0.0"),
                ("status", "locked"),
                ("confirm", "emails"),
                ("name", "Mine now"),
                ("email", "x@example.com"),
                ("role", "member"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "POST {path}");
    }
    let (_, body) = app
        .call(
            &r,
            &r.owner,
            reqwest::Method::GET,
            &format!("/api/v1/prompt_sets/{}", r.set_id),
            None,
        )
        .await;
    assert_eq!(body["prompt_set"]["status"], "live", "{body}");
    let (_, body) = app
        .call(
            &r,
            &r.owner,
            reqwest::Method::GET,
            "/api/v1/organisation",
            None,
        )
        .await;
    assert_eq!(body["organisation"]["name"], "Acme");
}

#[tokio::test]
async fn members_are_not_offered_what_only_admins_may_release() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let org = org_slug(&app, &r).await;
    let (s, _) = app
        .cut_version(&r, &r.member, json!({"label": "1.0.0"}))
        .await;
    assert_eq!(s, 201);
    let (s, body) = app
        .call(
            &r,
            &r.admin,
            reqwest::Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0", "protected": true})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let set = format!("/o/{org}/support/emails");
    let (_, _, html) = page(&app, &r.member, &set).await;
    assert!(!html.contains("id=\"move-production\""), "{html}");
    assert!(
        html.contains("Admins and owners move a protected channel."),
        "{html}"
    );
    let (_, _, html) = page(&app, &r.admin, &set).await;
    assert!(html.contains("id=\"move-production\""), "{html}");
    // And posting it anyway is refused, with the channel where it was.
    let (status, _, _) = post_form(
        &app,
        &r.member,
        &set,
        &format!("{set}/-/channels/production"),
        &[("to", "1.0.0")],
    )
    .await;
    assert_eq!(status, 403);
    // Admins are not offered inviting owners, which only owners may do.
    let (_, _, html) = page(&app, &r.admin, &format!("/o/{org}/members")).await;
    assert!(!html.contains("<option value=\"owner\">"), "{html}");
    let (_, _, html) = page(&app, &r.owner, &format!("/o/{org}/members")).await;
    assert!(html.contains("<option value=\"owner\">"), "{html}");
}

/// A form without the `_csrf` field, as htmx posts a button's request.
const NO_FIELDS: [(&str, &str); 1] = [("hx", "1")];

#[tokio::test]
async fn htmx_requests_carry_the_csrf_token_as_a_header() {
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
    let (_, _, html) = page(&app, &here, "/account").await;
    let token = scrape(&html, "<meta name=\"anvil-csrf\" content=\"", '"');
    assert_eq!(token, csrf_of(&html), "the page's token, for its scripts");
    let other = scrape(&html, "/account/sessions/", '/');
    let end = app.url(&format!("/account/sessions/{other}/end"));
    let res = here
        .post(&end)
        .header("X-CSRF-Token", "forged")
        .form(&NO_FIELDS)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a wrong header is refused");
    assert_eq!(page(&app, &there, "/account").await.0, 200);
    let res = here
        .post(&end)
        .header("X-CSRF-Token", &token)
        .form(&NO_FIELDS)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        page(&app, &there, "/account").await.0,
        303,
        "ended by the header's token"
    );
    // Signed out, a page carries no token at all.
    let (_, _, landing) = page(&app, &browser(), "/").await;
    assert!(!landing.contains("anvil-csrf"), "{landing}");
}
