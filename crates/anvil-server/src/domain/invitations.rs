//! Invitations: admins invite by email (owners may invite owners); the invitee accepts through
//! a single-use link valid for seven days.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::access::{Action, Actor, OrgContext};
use super::organisations::Role;
use super::page::{Page, Paged};
use super::{Error, Result, accounts, audit, ids, mail, now, secrets};
use crate::domain::entities::{invitation, membership, organisation, user};

pub const VALID_FOR: time::Duration = time::Duration::days(7);

/// Invites `email` as `role`, mailing the link; returns the invitation (the token only
/// travels by mail).
pub async fn invite(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    email: &str,
    role: &str,
    mail_ctx: &super::tokens::MailContext<'_>,
) -> Result<invitation::Model> {
    ctx.require(Action::ManageInvitations)?;
    let role = Role::parse(role)
        .ok_or_else(|| Error::invalid("role", "must be one of owner, admin, member"))?;
    if role == Role::Owner {
        ctx.require(Action::InviteOwner)?;
    }
    let email = accounts::normalise_email(email).map_err(|e| Error::Validation(vec![e]))?;
    if ctx.organisation.personal {
        return Err(Error::Conflict {
            message: "a personal organisation cannot have other members; create an organisation to invite people".to_string(),
            field: None,
        });
    }
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .one(db)
        .await?
        && membership::Entity::find()
            .filter(membership::Column::OrganisationId.eq(ctx.organisation.id.clone()))
            .filter(membership::Column::UserId.eq(u.id))
            .one(db)
            .await?
            .is_some()
    {
        return Err(Error::conflict(
            "email",
            "already a member of this organisation",
        ));
    }
    let token = secrets::new_token();
    let at = now();
    let model = invitation::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(ctx.organisation.id.clone()),
        email: Set(email.clone()),
        role: Set(role.as_str().to_string()),
        token_hash: Set(secrets::token_hash(&token)),
        invited_by: Set(ctx.actor.user_id.clone()),
        expires_at: Set(at + VALID_FOR),
        accepted_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(at),
    };
    let base_url = mail_ctx.base_url;
    // The message goes out through the jobs table, committed with the invitation.
    let message = mail::Message {
        to: email,
        subject: format!("You are invited to {} on Anvil", ctx.organisation.name),
        body: format!(
            "You have been invited to join {} as {}.\n\nAccept: {base_url}/invitations/accept?token={token}\n\nToken: {token}\n\nThe invitation expires in 7 days.\n",
            ctx.organisation.name,
            role.as_str()
        ),
    };
    let ctx2 = ctx.clone();
    let inv = super::write(db, move |txn| {
        Box::pin(async move {
            let inv = model.insert(txn).await?;
            audit::record(
                txn,
                &ctx2.organisation.id,
                &ctx2.actor.audit(),
                "invitation.created",
                ("invitation", Some(&inv.id)),
                serde_json::json!({"email": inv.email, "role": inv.role}),
            )
            .await?;
            super::jobs::enqueue(txn, &super::jobs::Job::Mail { message }).await?;
            Ok(inv)
        })
    })
    .await?;
    mail_ctx.jobs.wake();
    Ok(inv)
}

/// Pending invitations of the organisation (admins).
pub async fn list(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    page: &Page,
) -> Result<Paged<invitation::Model>> {
    ctx.require(Action::ManageInvitations)?;
    let q = invitation::Entity::find()
        .filter(invitation::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null());
    super::page::read(
        db,
        q,
        invitation::Column::Id,
        super::page::Order::NewestFirst,
        page,
    )
    .await
}

/// Revokes a pending invitation (admins).
pub async fn revoke(db: &DatabaseConnection, ctx: &OrgContext, id: &str) -> Result<()> {
    ctx.require(Action::ManageInvitations)?;
    let inv = invitation::Entity::find_by_id(id.to_string())
        .filter(invitation::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("invitation not found".to_string()))?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut active: invitation::ActiveModel = inv.clone().into();
            active.revoked_at = Set(Some(now()));
            active.update(txn).await?;
            audit::record(
                txn,
                &ctx.organisation.id,
                &ctx.actor.audit(),
                "invitation.revoked",
                ("invitation", Some(&inv.id)),
                serde_json::json!({"email": inv.email}),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

async fn pending<C: sea_orm::ConnectionTrait>(conn: &C, token: &str) -> Result<invitation::Model> {
    let inv = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(secrets::token_hash(token)))
        .one(conn)
        .await?
        .ok_or_else(invalid)?;
    if inv.accepted_at.is_some() || inv.revoked_at.is_some() || inv.expires_at <= now() {
        return Err(invalid());
    }
    Ok(inv)
}

fn invalid() -> Error {
    Error::NotFound("this invitation is invalid, expired, revoked or already used".to_string())
}

/// What a pending invitation offers (the organisation's name, the role, the address), for the
/// page a mailed link opens; redeems nothing.
pub async fn preview(
    db: &DatabaseConnection,
    token: &str,
) -> Result<(invitation::Model, organisation::Model)> {
    let inv = pending(db, token).await?;
    let org = organisation::Entity::find_by_id(inv.organisation_id.clone())
        .filter(organisation::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    Ok((inv, org))
}

/// Adds the membership and marks the invitation used, on `txn`.
async fn join<C: sea_orm::ConnectionTrait>(
    txn: &C,
    inv: &invitation::Model,
    user_id: &str,
    audit_actor: &audit::AuditActor,
) -> Result<organisation::Model> {
    let org = organisation::Entity::find_by_id(inv.organisation_id.clone())
        .filter(organisation::Column::DeletedAt.is_null())
        .one(txn)
        .await?
        .ok_or_else(invalid)?;
    let exists = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(org.id.clone()))
        .filter(membership::Column::UserId.eq(user_id))
        .one(txn)
        .await?
        .is_some();
    if exists {
        return Err(Error::Conflict {
            message: "you are already a member of this organisation".to_string(),
            field: None,
        });
    }
    let at = now();
    let m = membership::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(org.id.clone()),
        user_id: Set(user_id.to_string()),
        role: Set(inv.role.clone()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await?;
    let mut active: invitation::ActiveModel = inv.clone().into();
    active.accepted_at = Set(Some(at));
    active.update(txn).await?;
    audit::record(
        txn,
        &org.id,
        audit_actor,
        "member.joined",
        ("membership", Some(&m.id)),
        serde_json::json!({"invitation_id": inv.id, "role": inv.role}),
    )
    .await?;
    super::events::emit(
        txn,
        &org.id,
        None,
        audit_actor,
        &super::events::Event::MemberAdded(super::events::MemberEvent {
            user_id: m.user_id.clone(),
            role: Some(m.role.clone()),
        }),
    )
    .await?;
    Ok(org)
}

/// Accepts an invitation as the signed-in user, whose email must be the invited one.
pub async fn accept(
    db: &DatabaseConnection,
    actor: &Actor,
    token: &str,
) -> Result<organisation::Model> {
    let inv = pending(db, token).await?;
    let me = user::Entity::find_by_id(actor.user_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| Error::Unauthenticated("sign in first".to_string()))?;
    if me.email != inv.email {
        return Err(Error::Forbidden(
            "this invitation was sent to another email address; sign in as its recipient"
                .to_string(),
        ));
    }
    let audit_actor = actor.audit();
    let user_id = actor.user_id.clone();
    super::write(db, move |txn| {
        Box::pin(async move { join(txn, &inv, &user_id, &audit_actor).await })
    })
    .await
}

/// Registers the invited address through the invitation and joins: one transaction for the
/// account, its personal organisation, the membership and the session. The invitation
/// proves the address, so the account starts confirmed. Works even when open registration is
/// disabled: being invited is the way in.
pub async fn accept_registering(
    db: &DatabaseConnection,
    token: &str,
    password: String,
    name: Option<String>,
    client: &accounts::ClientInfo,
) -> Result<(organisation::Model, accounts::NewSession)> {
    let inv = pending(db, token).await?;
    let (email, name) = accounts::validate_registration(&accounts::Registration {
        email: inv.email.clone(),
        password: password.clone(),
        name,
    })?;
    accounts::ensure_email_free(db, &email).await?;
    let hashed = secrets::hash_password(password).await?;
    let client = client.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let user = accounts::create_account(txn, email, name, hashed, true, &client).await?;
            let audit_actor = audit::AuditActor {
                actor_type: "user",
                actor_id: Some(user.id.clone()),
                ip: client.ip.clone(),
                user_agent: client.user_agent.clone(),
            };
            let org = join(txn, &inv, &user.id, &audit_actor).await?;
            let (token, session) = accounts::insert_session(txn, &user.id, false, &client).await?;
            Ok((
                org,
                accounts::NewSession {
                    token,
                    session,
                    user,
                },
            ))
        })
    })
    .await
    .map_err(accounts::email_race)
}
