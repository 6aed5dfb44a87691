//! An organisation's people and settings: `/o/{org}/members` (members with their roles,
//! invitations) and `/o/{org}/settings`. Who may do what is the domain's roles table; the
//! pages only offer what the viewer's role allows.

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
use crate::domain::{self, invitations, members};
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
    can_invite_owner: bool,
    invite_email: String,
    problems: Problems,
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
        can_invite_owner: ctx.require(Action::InviteOwner).is_ok(),
        invite_email,
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

#[derive(Template, WebTemplate)]
#[template(path = "org_settings.html")]
struct OrgSettingsPage {
    layout: Layout,
    org_slug: String,
    name: String,
    description: String,
    can_rename: bool,
    saved: bool,
    problems: Problems,
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
