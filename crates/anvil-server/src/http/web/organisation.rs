//! An organisation's people and credentials: `/o/{org}/members` (members with their roles,
//! invitations) and `/o/{org}/keys` (API keys, each shown once when created). Who may do what
//! is the domain's roles table; the pages only offer what the viewer's role allows.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::account::minute;
use super::pages::{CsrfForm, Layout, Problems, failure, member_page, member_post, status_of};
use crate::domain::access::{Action, OrgContext};
use crate::domain::page::Page;
use crate::domain::{self, api_keys, invitations, members};
use crate::http::AppState;

struct MemberRow {
    user_id: String,
    name: String,
    email: String,
    role: String,
    joined: String,
    me: bool,
}

struct InvitationRow {
    id: String,
    email: String,
    role: String,
    expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    org_slug: String,
    personal: bool,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    can_change_roles: bool,
    can_remove: bool,
    can_invite: bool,
    invite_email: String,
    summary: String,
    errors: Vec<(String, String)>,
    problems: Problems,
}

impl MembersPage {
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problems.field(name)
    }
}

async fn members_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    invite_email: String,
    problems: Problems,
) -> domain::Result<MembersPage> {
    let all = Page::first(200);
    let list = members::list(&state.db, ctx, &all).await?.items;
    let can_invite = ctx.require(Action::ManageInvitations).is_ok();
    let pending = if can_invite {
        invitations::list(&state.db, ctx, &all).await?.items
    } else {
        Vec::new()
    };
    layout.title = format!("Members of {}", ctx.organisation.name);
    layout.crumbs.push((
        "Members".into(),
        format!("/o/{}/members", ctx.organisation.slug),
    ));
    Ok(MembersPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        personal: ctx.organisation.personal,
        members: list
            .into_iter()
            .map(|m| MemberRow {
                me: m.user.id == ctx.actor.user_id,
                user_id: m.user.id,
                name: m.user.name,
                email: m.user.email,
                role: m.membership.role,
                joined: minute(m.membership.created_at),
            })
            .collect(),
        invitations: pending
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id,
                email: i.email,
                role: i.role,
                expires: minute(i.expires_at),
            })
            .collect(),
        can_change_roles: ctx.require(Action::ChangeRoles).is_ok(),
        can_remove: ctx.require(Action::RemoveMembers).is_ok(),
        can_invite,
        invite_email,
        summary: problems.summary.clone(),
        errors: problems.errors.clone(),
        problems,
    })
}

/// `/o/{org}/members`
pub async fn members(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match members_page(&state, &ctx, layout, String::new(), Problems::default()).await {
        Ok(p) => p.into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

/// After a members form: back to the page, or the page again with the problem.
async fn members_outcome(
    state: &AppState,
    who: &Option<(
        crate::domain::records::session::Model,
        crate::domain::records::user::Model,
    )>,
    ctx: &OrgContext,
    layout: Layout,
    email: String,
    outcome: domain::Result<()>,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/o/{}/members", ctx.organisation.slug)).into_response(),
        Err(e @ domain::Error::Internal(_)) => failure(state, who, e),
        Err(e) => {
            let status = status_of(&e);
            match members_page(state, ctx, layout, email, Problems::of(e)).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => failure(state, who, e),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /o/{org}/invitations`: mails an invitation.
pub async fn invite(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let base = state.base_url();
    let mail = crate::domain::tokens::MailContext {
        jobs: &state.jobs,
        base_url: &base,
    };
    let outcome = invitations::invite(&state.db, &ctx, &form.email, &form.role, &mail)
        .await
        .map(|_| ());
    members_outcome(&state, &who, &ctx, layout, form.email, outcome).await
}

/// `POST /o/{org}/invitations/{id}/revoke`
pub async fn revoke_invitation(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let outcome = invitations::revoke(&state.db, &ctx, &id).await;
    members_outcome(&state, &who, &ctx, layout, String::new(), outcome).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /o/{org}/members/{user_id}/role`
pub async fn change_role(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, user_id)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let outcome = members::change_role(&state.db, &ctx, &user_id, &form.role)
        .await
        .map(|_| ());
    members_outcome(&state, &who, &ctx, layout, String::new(), outcome).await
}

/// `POST /o/{org}/members/{user_id}/remove`
pub async fn remove(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, user_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let outcome = members::remove(&state.db, &ctx, &user_id).await;
    members_outcome(&state, &who, &ctx, layout, String::new(), outcome).await
}

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
    /// The key just created: shown this once.
    created: Option<String>,
    name: String,
    summary: String,
    errors: Vec<(String, String)>,
    problems: Problems,
}

impl KeysPage {
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problems.field(name)
    }
}

async fn keys_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    created: Option<String>,
    name: String,
    problems: Problems,
) -> domain::Result<KeysPage> {
    let keys = api_keys::list(
        &state.db,
        &ctx.actor,
        Some(&ctx.organisation.id),
        &Page::first(200),
    )
    .await?
    .items;
    layout.title = format!("API keys of {}", ctx.organisation.name);
    layout.crumbs.push((
        "API keys".into(),
        format!("/o/{}/keys", ctx.organisation.slug),
    ));
    Ok(KeysPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        keys: keys
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
        created,
        name,
        summary: problems.summary.clone(),
        errors: problems.errors.clone(),
        problems,
    })
}

/// `/o/{org}/keys`: the organisation's keys (all of them for admins, one's own for members).
pub async fn keys(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match keys_page(
        &state,
        &ctx,
        layout,
        None,
        String::new(),
        Problems::default(),
    )
    .await
    {
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
    .await;
    let (created, name, problems, status) = match made {
        Ok(k) => (
            Some(k.key),
            String::new(),
            Problems::default(),
            axum::http::StatusCode::CREATED,
        ),
        Err(e @ domain::Error::Internal(_)) => return failure(&state, &who, e),
        Err(e) => {
            let status = status_of(&e);
            (None, form.name, Problems::of(e), status)
        }
    };
    match keys_page(&state, &ctx, layout, created, name, problems).await {
        // The key is in this page only: no cache may keep it.
        Ok(p) => (status, [(axum::http::header::CACHE_CONTROL, "no-store")], p).into_response(),
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
    // Only keys this page lists (this organisation's) are revoked from it.
    let listed = api_keys::list(
        &state.db,
        &ctx.actor,
        Some(&ctx.organisation.id),
        &Page::first(200),
    )
    .await
    .map(|p| p.items.iter().any(|k| k.id == id));
    match listed {
        Ok(true) => {}
        Ok(false) => {
            return failure(
                &state,
                &who,
                domain::Error::NotFound("API key not found".into()),
            );
        }
        Err(e) => return failure(&state, &who, e),
    }
    match api_keys::revoke(&state.db, &state.key_cache, &ctx.actor, &id).await {
        Ok(()) => Redirect::to(&format!("/o/{}/keys", ctx.organisation.slug)).into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "org_settings.html")]
struct OrgSettingsPage {
    layout: Layout,
    org_slug: String,
    name: String,
    description: String,
    can_rename: bool,
    saved: bool,
    summary: String,
    errors: Vec<(String, String)>,
    problems: Problems,
}

impl OrgSettingsPage {
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problems.field(name)
    }
}

fn org_settings_page(
    ctx: &OrgContext,
    mut layout: Layout,
    name: String,
    description: String,
    saved: bool,
    problems: Problems,
) -> OrgSettingsPage {
    layout.title = format!("Settings of {}", ctx.organisation.name);
    layout.crumbs.push((
        "Settings".into(),
        format!("/o/{}/settings", ctx.organisation.slug),
    ));
    OrgSettingsPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        name,
        description,
        can_rename: ctx.require(Action::RenameOrganisation).is_ok(),
        saved,
        summary: problems.summary.clone(),
        errors: problems.errors.clone(),
        problems,
    }
}

/// `/o/{org}/settings`: the organisation's name and description (owners change them).
pub async fn settings(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (name, description) = (
        ctx.organisation.name.clone(),
        ctx.organisation.description.clone(),
    );
    org_settings_page(&ctx, layout, name, description, false, Problems::default()).into_response()
}

#[derive(Deserialize)]
pub struct OrgForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn save_settings(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Form(form): Form<OrgForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let input = crate::domain::organisations::OrganisationInput {
        name: Some(form.name.clone()),
        description: Some(form.description.clone()),
    };
    match crate::domain::organisations::update(&state.db, &ctx, input).await {
        Ok(o) => {
            let mut layout = layout;
            layout.crumbs[0].0 = o.name.clone();
            org_settings_page(
                &ctx,
                layout,
                o.name,
                o.description,
                true,
                Problems::default(),
            )
            .into_response()
        }
        Err(e @ domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => {
            let status = status_of(&e);
            (
                status,
                org_settings_page(
                    &ctx,
                    layout,
                    form.name,
                    form.description,
                    false,
                    Problems::of(e),
                ),
            )
                .into_response()
        }
    }
}
