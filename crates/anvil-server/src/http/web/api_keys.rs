//! `/o/{org}/keys`: the organisation's API keys (every key for admins and owners, one's own
//! for members), each shown once when created.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::account::minute;
use super::credentials::{AfterQuery, Shown};
use super::pages::{CsrfForm, Layout, Problems, failure, member_page, member_post};
use crate::domain::access::OrgContext;
use crate::domain::{self, api_keys};
use crate::http::AppState;

struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    created: String,
    last_used: String,
    expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "keys.html")]
struct KeysPage {
    layout: Layout,
    org_slug: String,
    keys: Vec<KeyRow>,
    created: Option<String>,
    name: String,
    /// Where the list continues (`?after=`), when more keys follow this page.
    older: Option<String>,
    continued: bool,
    problems: Problems,
}

async fn keys_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    shown: Shown,
) -> domain::Result<KeysPage> {
    let org_id = Some(ctx.organisation.id.as_str());
    let list = api_keys::list(&state.db, &ctx.actor, org_id, &shown.page()).await?;
    layout.title = format!("API keys of {}", ctx.organisation.name);
    layout.crumbs.push((
        "API keys".into(),
        format!("/o/{}/keys", ctx.organisation.slug),
    ));
    Ok(KeysPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        older: list.next_after(|k| &k.id),
        keys: list
            .items
            .into_iter()
            .map(|k| KeyRow {
                scopes: k.scopes.replace(',', ", "),
                created: minute(k.created_at),
                last_used: k.last_used_at.map(minute).unwrap_or_else(|| "never".into()),
                expires: k.expires_at.map(minute).unwrap_or_else(|| "never".into()),
                id: k.id,
                name: k.name,
                prefix: k.prefix,
            })
            .collect(),
        created: shown.created,
        name: shown.name,
        continued: shown.after.is_some(),
        problems: shown.problems,
    })
}

/// `/o/{org}/keys`
pub async fn keys(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match keys_page(&state, &ctx, layout, Shown::listing(q.after)).await {
        Ok(p) => p.into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    read: Option<String>,
    #[serde(default)]
    write: Option<String>,
    #[serde(default)]
    admin: Option<String>,
}

/// `POST /o/{org}/keys`: creates a key and shows it, once.
pub async fn create_key(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Form(form): Form<KeyForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let scopes = [
        ("read", &form.read),
        ("write", &form.write),
        ("admin", &form.admin),
    ]
    .into_iter()
    .filter(|(_, on)| on.is_some())
    .map(|(s, _)| s.to_string())
    .collect();
    let made = api_keys::create(
        &state.db,
        &ctx.actor,
        api_keys::KeyInput {
            name: form.name.clone(),
            scopes,
            organisation_id: Some(ctx.organisation.id.clone()),
            expires_at: None,
        },
    )
    .await
    .map(|k| k.key);
    let (shown, status) = match Shown::created(made, form.name) {
        Ok(x) => x,
        Err(e) => return failure(&state, &who, e),
    };
    match keys_page(&state, &ctx, layout, shown).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

/// `POST /o/{org}/keys/{id}/revoke`
pub async fn revoke_key(
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
    // Only this organisation's keys are revoked from its page.
    let within = Some(ctx.organisation.id.as_str());
    match api_keys::revoke(&state.db, &state.key_cache, &ctx.actor, &id, within).await {
        Ok(()) => Redirect::to(&format!("/o/{}/keys", ctx.organisation.slug)).into_response(),
        Err(e) => failure(&state, &who, e),
    }
}
