//! Organisations, members and the audit log over JSON.

use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::{PageQuery, list_body};
use crate::db::entities::organisation;
use crate::domain::access::{self, OrgContext};
use crate::domain::organisations::{self, OrganisationInput, Role};
use crate::domain::{audit_log, members};

fn ts(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn org_json(o: &organisation::Model, role: Option<Role>) -> Value {
    let mut v = json!({
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
        "description": o.description,
        "personal": o.personal,
        "created_at": ts(o.created_at),
        "updated_at": ts(o.updated_at),
    });
    if let Some(r) = role {
        v["role"] = json!(r.as_str());
    }
    v
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn parse_org(body: Value) -> Result<OrganisationInput, ApiError> {
    let b: OrgBody = resource(body, "organisation")?;
    Ok(OrganisationInput {
        name: b.name,
        description: b.description,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "organisations",
    summary = "List the caller's organisations",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The caller's organisations", body = super::schemas::OrganisationList), super::schemas::ApiErrors),
)]
pub async fn list_organisations(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let orgs = organisations::list_for(&state.db, &caller.actor, &page).await?;
    let body = list_body(
        &state,
        "organisations",
        &orgs,
        |m| &m.organisation.id,
        |m| org_json(&m.organisation, Some(m.role)),
    );
    Ok(Json(body).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/organisations",
    tag = "organisations",
    summary = "Create an organisation",
    request_body = super::schemas::OrganisationInput,
    responses((status = 201, description = "Created; the caller owns it", body = super::schemas::OrganisationEnvelope), super::schemas::ApiErrors),
)]
pub async fn create_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let input = parse_org(body)?;
    let org = organisations::create(&state.db, &caller.actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"organisation": org_json(&org, Some(Role::Owner))})),
    )
        .into_response())
}

async fn by_id(state: &AppState, caller: &Caller, id: &str) -> Result<OrgContext, ApiError> {
    Ok(access::org_context_by_id(&state.db, &caller.actor, id).await?)
}

async fn current(state: &AppState, caller: &Caller) -> Result<OrgContext, ApiError> {
    Ok(access::org_context(&state.db, &caller.actor, caller.organisation.as_deref()).await?)
}

fn show(ctx: &OrgContext) -> Result<Response, ApiError> {
    ctx.require(access::Action::ReadOrganisation)?;
    Ok(Json(json!({"organisation": org_json(&ctx.organisation, Some(ctx.role))})).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    summary = "Get an organisation",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The organisation", body = super::schemas::OrganisationEnvelope), super::schemas::ApiErrors),
)]
pub async fn get_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    show(&by_id(&state, &caller, &id).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/organisation",
    tag = "organisations",
    summary = "Get the current organisation",
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The organisation the request acts in", body = super::schemas::OrganisationEnvelope), super::schemas::ApiErrors),
)]
pub async fn get_current(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    show(&current(&state, &caller).await?)
}

async fn patch(state: &AppState, ctx: OrgContext, body: Value) -> Result<Response, ApiError> {
    let input = parse_org(body)?;
    let org = organisations::update(&state.db, &ctx, input).await?;
    Ok(Json(json!({"organisation": org_json(&org, Some(ctx.role))})).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    summary = "Update an organisation",
    params(("id" = String, Path)),
    request_body = super::schemas::OrganisationInput,
    responses((status = 200, description = "Updated", body = super::schemas::OrganisationEnvelope), super::schemas::ApiErrors),
)]
pub async fn patch_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = by_id(&state, &caller, &id).await?;
    patch(&state, ctx, body).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/organisation",
    tag = "organisations",
    summary = "Update the current organisation",
    request_body = super::schemas::OrganisationInput,
    responses((status = 200, description = "Updated", body = super::schemas::OrganisationEnvelope), super::schemas::ApiErrors),
)]
pub async fn patch_current(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let ctx = current(&state, &caller).await?;
    patch(&state, ctx, body).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmQuery {
    confirm: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    summary = "Delete an organisation",
    params(("id" = String, Path), ("confirm" = String, Query, description = "The organisation's slug, to confirm")),
    responses((status = 204, description = "Deleted"), super::schemas::ApiErrors),
)]
pub async fn delete_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ConfirmQuery>,
) -> Result<Response, ApiError> {
    let ctx = by_id(&state, &caller, &id).await?;
    organisations::delete(&state.db, &ctx, q.confirm.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/organisation/members",
    tag = "organisations",
    summary = "List members",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Members", body = super::schemas::MemberList), super::schemas::ApiErrors),
)]
pub async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = current(&state, &caller).await?;
    let list = members::list(&state.db, &ctx, &page).await?;
    let body = list_body(
        &state,
        "members",
        &list,
        |m| &m.membership.id,
        |m| {
            json!({
                "user_id": m.user.id,
                "email": m.user.email,
                "name": m.user.name,
                "role": m.membership.role,
                "joined_at": ts(m.membership.created_at),
            })
        },
    );
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/organisation/members/{user_id}",
    tag = "organisations",
    summary = "Change a member's role",
    params(("user_id" = String, Path)),
    request_body = super::schemas::RoleBody,
    responses((status = 200, description = "Role changed", body = super::schemas::MemberEnvelope), super::schemas::ApiErrors),
)]
pub async fn patch_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: RoleBody = resource(body, "member")?;
    let ctx = current(&state, &caller).await?;
    let m = members::change_role(&state.db, &ctx, &user_id, &b.role).await?;
    Ok(Json(json!({"member": {"user_id": m.user_id, "role": m.role}})).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/organisation/members/{user_id}",
    tag = "organisations",
    summary = "Remove a member, or leave",
    params(("user_id" = String, Path)),
    responses((status = 204, description = "Removed (or left)"), super::schemas::ApiErrors),
)]
pub async fn delete_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = current(&state, &caller).await?;
    members::remove(&state.db, &ctx, &user_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    actor: Option<String>,
    resource: Option<String>,
    action: Option<String>,
    since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/organisation/audit",
    tag = "organisations",
    summary = "Read the audit log",
    params(super::pagination::PageQuery, ("actor" = Option<String>, Query, description = "Actor id"), ("resource" = Option<String>, Query, description = "Resource type or id"), ("action" = Option<String>, Query, description = "Action"), ("since" = Option<String>, Query, description = "RFC 3339 time")),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Audit events, newest first", body = super::schemas::AuditList), super::schemas::ApiErrors),
)]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let ctx = current(&state, &caller).await?;
    let since = q
        .since
        .as_deref()
        .map(|s| time::OffsetDateTime::parse(s, &Rfc3339))
        .transpose()
        .map_err(|_| ApiError::InvalidRequest("since must be an RFC 3339 time".to_string()))?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page(&state)?;
    let filter = audit_log::Filter {
        actor: q.actor,
        resource: q.resource,
        action: q.action,
        since,
    };
    let events = audit_log::list(&state.db, &ctx, &filter, &page).await?;
    let body = list_body(
        &state,
        "audit_events",
        &events,
        |e| &e.id,
        |e| {
            json!({
                "id": e.id,
                "actor": {"type": e.actor_type, "id": e.actor_id},
                "action": e.action,
                "resource": {"type": e.resource_type, "id": e.resource_id},
                "ip": e.ip,
                "user_agent": e.user_agent,
                "changes": e.changes,
                "created_at": ts(e.created_at),
            })
        },
    );
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: String,
    #[serde(default = "default_role")]
    role: String,
}

fn default_role() -> String {
    "member".to_string()
}

fn invitation_json(i: &crate::db::entities::invitation::Model) -> Value {
    json!({
        "id": i.id,
        "email": i.email,
        "role": i.role,
        "invited_by": i.invited_by,
        "expires_at": ts(i.expires_at),
        "created_at": ts(i.created_at),
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/organisation/members",
    tag = "organisations",
    summary = "Invite a member",
    request_body = super::schemas::InviteBody,
    responses((status = 201, description = "Invitation mailed", body = super::schemas::InvitationEnvelope), super::schemas::ApiErrors),
)]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: InviteBody = resource(body, "invitation")?;
    let ctx = current(&state, &caller).await?;
    let base = state.base_url();
    let mail_ctx = crate::domain::tokens::MailContext {
        jobs: &state.jobs,
        base_url: &base,
    };
    let inv =
        crate::domain::invitations::invite(&state.db, &ctx, &b.email, &b.role, &mail_ctx).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"invitation": invitation_json(&inv)})),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/organisation/invitations",
    tag = "organisations",
    summary = "List invitations",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Open invitations", body = super::schemas::InvitationList), super::schemas::ApiErrors),
)]
pub async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = current(&state, &caller).await?;
    let list = crate::domain::invitations::list(&state.db, &ctx, &page).await?;
    let body = list_body(&state, "invitations", &list, |i| &i.id, invitation_json);
    Ok(Json(body).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/organisation/invitations/{id}",
    tag = "organisations",
    summary = "Revoke an invitation",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), super::schemas::ApiErrors),
)]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = current(&state, &caller).await?;
    crate::domain::invitations::revoke(&state.db, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations/accept",
    tag = "organisations",
    summary = "Accept an invitation",
    request_body = super::schemas::AcceptInvitation,
    responses((status = 200, description = "Joined", body = super::schemas::Accepted), super::schemas::ApiErrors),
    security(()),
)]
/// Signed in: join. Not signed in, with `password` (and `name`): register the invited address
/// and join, signed in.
pub async fn accept_invitation(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    caller: Result<Caller, ApiError>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: AcceptBody = resource(body, "invitation")?;
    match (caller, b.password) {
        (Ok(caller), _) => {
            let org =
                crate::domain::invitations::accept(&state.db, &caller.actor, &b.token).await?;
            Ok(Json(json!({"organisation": org_json(&org, None)})).into_response())
        }
        (Err(_), Some(password)) => {
            let client = super::auth::client_info(&state, &headers, Some(peer));
            let (org, session) = crate::domain::invitations::accept_registering(
                &state.db, &b.token, password, b.name, &client,
            )
            .await?;
            let mut res = Json(json!({
                "organisation": org_json(&org, None),
                "user": super::auth::UserView::from(&session.user),
            }))
            .into_response();
            res.headers_mut().insert(
                axum::http::header::SET_COOKIE,
                super::auth::session_cookie(&state, &session),
            );
            Ok(res)
        }
        (Err(e), None) => Err(e),
    }
}
