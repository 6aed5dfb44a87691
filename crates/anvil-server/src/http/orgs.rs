//! Organisations, members and the audit log over JSON.

use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::json::{Json, resource};
use super::pagination::PageQuery;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::access::{self, OrgContext};
use crate::domain::organisations::{self, OrganisationInput, Role};
use crate::domain::records::organisation;
use crate::domain::{audit_log, members};

/// An organisation as the API sends it, with the caller's role where it applies.
#[derive(Debug, Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub personal: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `owner`, `admin` or `member`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
}

impl Resource for Organisation {
    const ONE: &'static str = "organisation";
    const MANY: &'static str = "organisations";
}

impl Organisation {
    pub(crate) fn of(o: &organisation::Model, role: Option<Role>) -> Self {
        Organisation {
            id: o.id.clone(),
            name: o.name.clone(),
            slug: o.slug.clone(),
            description: o.description.clone(),
            personal: o.personal,
            created_at: o.created_at.into(),
            updated_at: o.updated_at.into(),
            role: role.map(Role::as_str),
        }
    }
}

/// A member of the current organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    pub joined_at: Timestamp,
}

impl Resource for Member {
    const ONE: &'static str = "member";
    const MANY: &'static str = "members";
}

/// A member's new role.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRole {
    pub user_id: String,
    pub role: String,
}

impl Resource for MemberRole {
    const ONE: &'static str = "member";
    const MANY: &'static str = "members";
}

/// An open invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    pub invited_by: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

impl Resource for Invitation {
    const ONE: &'static str = "invitation";
    const MANY: &'static str = "invitations";
}

impl From<&crate::domain::records::invitation::Model> for Invitation {
    fn from(i: &crate::domain::records::invitation::Model) -> Self {
        Invitation {
            id: i.id.clone(),
            email: i.email.clone(),
            role: i.role.clone(),
            invited_by: i.invited_by.clone(),
            expires_at: i.expires_at.into(),
            created_at: i.created_at.into(),
        }
    }
}

/// Who or what an audit event names: a type and, where there is one, an id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reference {
    pub r#type: String,
    pub id: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub actor: Reference,
    pub action: String,
    pub resource: Reference,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What changed, as the action records it.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub created_at: Timestamp,
}

impl Resource for AuditEvent {
    const ONE: &'static str = "audit_event";
    const MANY: &'static str = "audit_events";
}

/// A new organisation. The body may also be wrapped: `{"organisation": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
}

/// Changes to an organisation: absent or null fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChanges {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
}

fn parse_org(body: Value) -> Result<OrganisationInput, ApiError> {
    let b: OrganisationChanges = resource(body, "organisation")?;
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The caller's organisations", body = List<Organisation>)),
)]
pub async fn list_organisations(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let orgs = organisations::list_for(&state.db, &caller.actor, &page).await?;
    Ok(Json(List::page(
        &state,
        &orgs,
        |m| &m.organisation.id,
        |m| Organisation::of(&m.organisation, Some(m.role)),
    ))
    .into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/organisations",
    tag = "organisations",
    summary = "Create an organisation",
    request_body = NewOrganisation,
    responses((status = 201, description = "Created; the caller owns it", body = One<Organisation>)),
)]
pub async fn create_organisation(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: NewOrganisation = resource(body, "organisation")?;
    let input = OrganisationInput {
        name: Some(b.name),
        description: b.description,
    };
    let org = organisations::create(&state.db, &caller.actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(One(Organisation::of(&org, Some(Role::Owner)))),
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
    Ok(Json(One(Organisation::of(&ctx.organisation, Some(ctx.role)))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    summary = "Get an organisation",
    params(("id" = String, Path)),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The organisation", body = One<Organisation>)),
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The organisation the request acts in", body = One<Organisation>)),
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
    Ok(Json(One(Organisation::of(&org, Some(ctx.role)))).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    summary = "Update an organisation",
    params(("id" = String, Path)),
    request_body = OrganisationChanges,
    responses((status = 200, description = "Updated", body = One<Organisation>)),
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
    request_body = OrganisationChanges,
    responses((status = 200, description = "Updated", body = One<Organisation>)),
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
    responses((status = 204, description = "Deleted")),
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Members", body = List<Member>)),
)]
pub async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = current(&state, &caller).await?;
    let list = members::list(&state.db, &ctx, &page).await?;
    Ok(Json(List::page(
        &state,
        &list,
        |m| &m.membership.id,
        |m| Member {
            user_id: m.user.id.clone(),
            email: m.user.email.clone(),
            name: m.user.name.clone(),
            role: m.membership.role.clone(),
            joined_at: m.membership.created_at.into(),
        },
    ))
    .into_response())
}

/// A member's new role. The body may also be wrapped: `{"member": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `owner`, `admin` or `member`.
    #[schema(pattern = r"^(owner|admin|member)$")]
    pub role: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/organisation/members/{user_id}",
    tag = "organisations",
    summary = "Change a member's role",
    params(("user_id" = String, Path)),
    request_body = RoleChange,
    responses((status = 200, description = "Role changed", body = One<MemberRole>)),
)]
pub async fn patch_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: RoleChange = resource(body, "member")?;
    let ctx = current(&state, &caller).await?;
    let m = members::change_role(&state.db, &ctx, &user_id, &b.role).await?;
    Ok(Json(One(MemberRole {
        user_id: m.user_id,
        role: m.role,
    }))
    .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/organisation/members/{user_id}",
    tag = "organisations",
    summary = "Remove a member, or leave",
    params(("user_id" = String, Path)),
    responses((status = 204, description = "Removed (or left)")),
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
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Audit events, newest first", body = List<AuditEvent>)),
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
    Ok(Json(List::page(
        &state,
        &events,
        |e| &e.id,
        |e| AuditEvent {
            id: e.id.clone(),
            actor: Reference {
                r#type: e.actor_type.clone(),
                id: e.actor_id.clone(),
            },
            action: e.action.clone(),
            resource: Reference {
                r#type: e.resource_type.clone(),
                id: e.resource_id.clone(),
            },
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            changes: e.changes.clone(),
            created_at: e.created_at.into(),
        },
    ))
    .into_response())
}

/// Whom to invite, with which role. The body may also be wrapped: `{"invitation": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// `member` (default), `admin` or `owner`.
    #[serde(default = "default_role")]
    #[schema(pattern = r"^(owner|admin|member)$")]
    pub role: String,
}

fn default_role() -> String {
    "member".to_string()
}

#[utoipa::path(
    post,
    path = "/api/v1/organisation/members",
    tag = "organisations",
    summary = "Invite a member",
    request_body = NewInvitation,
    responses((status = 201, description = "Invitation mailed", body = One<Invitation>)),
)]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let b: NewInvitation = resource(body, "invitation")?;
    let ctx = current(&state, &caller).await?;
    let base = state.base_url();
    let mail_ctx = crate::domain::tokens::MailContext {
        jobs: &state.jobs,
        base_url: &base,
    };
    let inv =
        crate::domain::invitations::invite(&state.db, &ctx, &b.email, &b.role, &mail_ctx).await?;
    Ok((StatusCode::CREATED, Json(One(Invitation::from(&inv)))).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/organisation/invitations",
    tag = "organisations",
    summary = "List invitations",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "Open invitations", body = List<Invitation>)),
)]
pub async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let ctx = current(&state, &caller).await?;
    let list = crate::domain::invitations::list(&state.db, &ctx, &page).await?;
    Ok(Json(List::page(
        &state,
        &list,
        |i| &i.id,
        |r| Invitation::from(r),
    ))
    .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/organisation/invitations/{id}",
    tag = "organisations",
    summary = "Revoke an invitation",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked")),
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

/// The invitation's token; with a password (and name), the invitee registers through it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    #[serde(default)]
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
}

/// The organisation joined, and the account when the invitee registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub organisation: Organisation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<super::auth::UserView>,
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations/accept",
    tag = "organisations",
    summary = "Accept an invitation",
    request_body = AcceptInvitation,
    responses((status = 200, description = "Joined", body = Accepted)),
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
    let b: AcceptInvitation = resource(body, "invitation")?;
    match (caller, b.password) {
        (Ok(caller), _) => {
            let org =
                crate::domain::invitations::accept(&state.db, &caller.actor, &b.token).await?;
            Ok(Json(Accepted {
                organisation: Organisation::of(&org, None),
                user: None,
            })
            .into_response())
        }
        (Err(_), Some(password)) => {
            let client = super::auth::client_info(&state, &headers, Some(peer));
            let (org, session) = crate::domain::invitations::accept_registering(
                &state.db, &b.token, password, b.name, &client,
            )
            .await?;
            let mut res = Json(Accepted {
                organisation: Organisation::of(&org, None),
                user: Some(super::auth::UserView::from(&session.user)),
            })
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
