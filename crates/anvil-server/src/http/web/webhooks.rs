//! `/o/{org}/webhooks`: the organisation's webhooks (admins and owners), each signing secret
//! shown once when created, and `/o/{org}/webhooks/{id}`: one webhook's settings and its
//! delivery log, newest attempt first. The rules (which URLs, which event types, who) are
//! the domain's ([`crate::domain::webhooks`]), shared with `/api/v1/webhooks`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::account::minute;
use super::pages::{CsrfForm, Layout, Problems, member_page, member_post, refused, status_of};
use crate::domain;
use crate::domain::access::OrgContext;
use crate::domain::page::Page;
use crate::domain::records::webhook;
use crate::domain::webhooks::{self, WebhookInput};
use crate::http::AppState;

/// Deliveries per page of the log.
const LOG_PAGE: u64 = 50;

struct WebhookRow {
    id: String,
    url: String,
    events: String,
    active: bool,
    created: String,
}

fn types_of(w: &webhook::Model) -> Vec<String> {
    serde_json::from_value(w.event_types.clone()).unwrap_or_default()
}

impl From<webhook::Model> for WebhookRow {
    fn from(w: webhook::Model) -> Self {
        WebhookRow {
            events: types_of(&w).join(", "),
            created: minute(w.created_at),
            active: w.active,
            id: w.id,
            url: w.url,
        }
    }
}

/// What the new-webhook form holds, kept when it is shown again with its problems.
struct Draft {
    url: String,
    events: String,
}

impl Draft {
    /// An empty new-webhook form, offering the events most receivers want.
    fn blank() -> Draft {
        Draft {
            url: String::new(),
            events: "version.*, channel.*".into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    org_slug: String,
    hooks: Vec<WebhookRow>,
    /// The webhook just created and its secret: shown this once.
    created: Option<(String, String)>,
    draft: Draft,
    max: usize,
    problems: Problems,
}

fn crumbs(ctx: &OrgContext, layout: &mut Layout) -> String {
    let path = format!("/o/{}/webhooks", ctx.organisation.slug);
    layout.crumbs.push(("Webhooks".into(), path.clone()));
    path
}

async fn list_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    created: Option<(String, String)>,
    draft: Draft,
    problems: Problems,
) -> domain::Result<WebhooksPage> {
    // An organisation has at most MAX_WEBHOOKS, so one page holds them all.
    let hooks = webhooks::list(&state.db, ctx, &Page::first(webhooks::MAX_WEBHOOKS as u64))
        .await?
        .items;
    layout.title = format!("Webhooks of {}", ctx.organisation.name);
    crumbs(ctx, &mut layout);
    Ok(WebhooksPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        hooks: hooks.into_iter().map(WebhookRow::from).collect(),
        created,
        draft,
        max: webhooks::MAX_WEBHOOKS,
        problems,
    })
}

/// Event types as typed into the form: separated by commas, spaces or lines.
fn event_types(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// `/o/{org}/webhooks`
pub async fn page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let draft = Draft::blank();
    let back = format!("/o/{org}");
    match list_page(&state, &ctx, layout, None, draft, Problems::default()).await {
        Ok(p) => p.into_response(),
        Err(e) => refused(&state, &who, e, &back),
    }
}

#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: String,
    #[serde(default)]
    active: Option<String>,
}

/// `POST /o/{org}/webhooks`: creates a webhook and shows its secret, once.
pub async fn create(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Form(form): Form<WebhookForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let back = format!("/o/{org}");
    let made = webhooks::create(
        &state.db,
        &ctx,
        &state.secret_key,
        &state.config.webhook_allowed_hosts,
        WebhookInput {
            url: Some(form.url.clone()),
            event_types: Some(event_types(&form.events)),
            active: Some(form.active.is_some()),
        },
    )
    .await;
    let (created, draft, problems, status) = match made {
        Ok(w) => (
            Some((w.model.url, w.secret)),
            Draft::blank(),
            Problems::default(),
            StatusCode::CREATED,
        ),
        Err(e @ (domain::Error::Forbidden(_) | domain::Error::Internal(_))) => {
            return refused(&state, &who, e, &back);
        }
        Err(e) => {
            let status = status_of(&e);
            let draft = Draft {
                url: form.url,
                events: form.events,
            };
            (None, draft, Problems::of(e), status)
        }
    };
    match list_page(&state, &ctx, layout, created, draft, problems).await {
        // The secret is in this page only: no cache may keep it.
        Ok(p) => (status, [(header::CACHE_CONTROL, "no-store")], p).into_response(),
        Err(e) => refused(&state, &who, e, &back),
    }
}

struct DeliveryRow {
    when: String,
    event_type: String,
    event_id: i64,
    attempt: i64,
    /// The receiver's status, or what happened instead.
    outcome: String,
    ok: bool,
    duration_ms: i64,
    error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhook.html")]
struct WebhookPage {
    layout: Layout,
    path: String,
    hook: WebhookRow,
    /// The form's values: the webhook's, or what was posted when it was refused.
    draft: Draft,
    saved: bool,
    deliveries: Vec<DeliveryRow>,
    /// The id to continue the log after, when older attempts exist.
    older: Option<String>,
    /// Whether this page continues the log (and so may link back to its start).
    continued: bool,
    problems: Problems,
}

struct Shown {
    draft: Option<Draft>,
    saved: bool,
    after: Option<String>,
    problems: Problems,
}

async fn one_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    id: &str,
    shown: Shown,
) -> domain::Result<WebhookPage> {
    let hook = webhooks::get(&state.db, ctx, id).await?;
    let page = Page {
        after: shown.after.clone(),
        limit: LOG_PAGE,
    };
    let log = webhooks::deliveries(&state.db, ctx, id, &page).await?;
    let older = log.next_after(|d| &d.id);
    let list_path = crumbs(ctx, &mut layout);
    let path = format!("{list_path}/{}", hook.id);
    layout.title = format!("Webhook {}", hook.url);
    layout.crumbs.push((hook.url.clone(), path.clone()));
    let draft = shown.draft.unwrap_or_else(|| Draft {
        url: hook.url.clone(),
        events: types_of(&hook).join(", "),
    });
    Ok(WebhookPage {
        layout,
        path,
        hook: hook.into(),
        draft,
        saved: shown.saved,
        deliveries: log
            .items
            .into_iter()
            .map(|d| DeliveryRow {
                when: minute(d.created_at),
                ok: d.status_code.is_some_and(|s| (200..300).contains(&s)),
                outcome: match d.status_code {
                    Some(s) => s.to_string(),
                    None => "no answer".into(),
                },
                event_type: d.event_type,
                event_id: d.event_id,
                attempt: d.attempt,
                duration_ms: d.duration_ms,
                error: d.error.unwrap_or_default(),
            })
            .collect(),
        older,
        continued: shown.after.is_some(),
        problems: shown.problems,
    })
}

#[derive(Deserialize)]
pub struct LogQuery {
    after: Option<String>,
}

/// `/o/{org}/webhooks/{id}`: the webhook's settings and delivery log.
pub async fn webhook(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<LogQuery>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let shown = Shown {
        draft: None,
        saved: false,
        after: q.after,
        problems: Problems::default(),
    };
    let back = format!("/o/{org}");
    match one_page(&state, &ctx, layout, &id, shown).await {
        Ok(p) => p.into_response(),
        Err(e) => refused(&state, &who, e, &back),
    }
}

/// `POST /o/{org}/webhooks/{id}`: saves its URL, event types and whether it is on.
pub async fn save(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
    Form(form): Form<WebhookForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let outcome = webhooks::update(
        &state.db,
        &ctx,
        &state.config.webhook_allowed_hosts,
        &id,
        WebhookInput {
            url: Some(form.url.clone()),
            event_types: Some(event_types(&form.events)),
            active: Some(form.active.is_some()),
        },
    )
    .await;
    let (shown, status) = match outcome {
        Ok(_) => (
            Shown {
                draft: None,
                saved: true,
                after: None,
                problems: Problems::default(),
            },
            StatusCode::OK,
        ),
        Err(e @ (domain::Error::Validation(_) | domain::Error::Conflict { .. })) => {
            let status = status_of(&e);
            let draft = Draft {
                url: form.url,
                events: form.events,
            };
            let shown = Shown {
                draft: Some(draft),
                saved: false,
                after: None,
                problems: Problems::of(e),
            };
            (shown, status)
        }
        Err(e) => return refused(&state, &who, e, &format!("/o/{org}/webhooks")),
    };
    match one_page(&state, &ctx, layout, &id, shown).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => refused(&state, &who, e, &format!("/o/{org}/webhooks")),
    }
}

/// `POST /o/{org}/webhooks/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (ctx, _) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let list = format!("/o/{}/webhooks", ctx.organisation.slug);
    match webhooks::delete(&state.db, &ctx, &id).await {
        Ok(()) => Redirect::to(&list).into_response(),
        Err(e) => refused(&state, &who, e, &list),
    }
}
