//! Memberships: listing, changing roles, removing and leaving, with the last-owner and
//! personal-organisation protections of `domain.md`.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::access::{Action, OrgContext};
use super::organisations::Role;
use super::page::{Page, Paged};
use super::{Error, Result, audit, now};
use crate::domain::entities::{membership, user};

#[derive(Debug, Clone)]
pub struct Member {
    pub user: user::Model,
    pub membership: membership::Model,
}

/// Members of the organisation, oldest membership first.
pub async fn list(db: &DatabaseConnection, ctx: &OrgContext, page: &Page) -> Result<Paged<Member>> {
    ctx.require(Action::ReadOrganisation)?;
    let mut q = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(ctx.organisation.id.clone()));
    if let Some(after) = &page.after {
        q = q.filter(membership::Column::Id.gt(after.clone()));
    }
    let rows = q
        .order_by_asc(membership::Column::Id)
        .limit(page.fetch())
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        if let Some(u) = user::Entity::find_by_id(m.user_id.clone()).one(db).await? {
            out.push(Member {
                user: u,
                membership: m,
            });
        }
    }
    Ok(Paged::from_fetched(out, page))
}

async fn find<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    user_id: &str,
) -> Result<membership::Model> {
    membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(membership::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or_else(|| Error::NotFound("member not found".to_string()))
}

async fn owner_count<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<u64> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(org_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(conn)
        .await?)
}

fn last_owner() -> Error {
    Error::Conflict {
        message: "an organisation must keep at least one owner: make someone else owner first"
            .to_string(),
        field: None,
    }
}

/// Changes a member's role (owners).
pub async fn change_role(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    user_id: &str,
    role: &str,
) -> Result<membership::Model> {
    ctx.require(Action::ChangeRoles)?;
    let role = Role::parse(role)
        .ok_or_else(|| Error::invalid("role", "must be one of owner, admin, member"))?;
    let ctx = ctx.clone();
    let user_id = user_id.to_string();
    super::write(db, move |txn| {
        Box::pin(async move {
            let m = find(txn, &ctx, &user_id).await?;
            let from = m.role.clone();
            if from == Role::Owner.as_str()
                && role != Role::Owner
                && owner_count(txn, &ctx.organisation.id).await? <= 1
            {
                return Err(last_owner());
            }
            let mut active: membership::ActiveModel = m.into();
            active.role = Set(role.as_str().to_string());
            active.updated_at = Set(now());
            let m = active.update(txn).await?;
            audit::record(
                txn,
                &ctx.organisation.id,
                &ctx.actor.audit(),
                "member.role_changed",
                ("membership", Some(&m.id)),
                serde_json::json!({"user_id": user_id, "from": from, "to": role.as_str()}),
            )
            .await?;
            super::events::emit(
                txn,
                &ctx.organisation.id,
                None,
                &ctx.actor.audit(),
                &super::events::Event::MemberRoleChanged(super::events::MemberEvent {
                    user_id: user_id.clone(),
                    role: Some(role.as_str().to_string()),
                }),
            )
            .await?;
            Ok(m)
        })
    })
    .await
}

/// Removes a member (owners), or leaves (anyone, for themselves). The last owner cannot go,
/// and nobody leaves their personal organisation.
pub async fn remove(db: &DatabaseConnection, ctx: &OrgContext, user_id: &str) -> Result<()> {
    let leaving = user_id == ctx.actor.user_id;
    if !leaving {
        ctx.require(Action::RemoveMembers)?;
    } else {
        ctx.require(Action::ReadOrganisation)?;
    }
    if ctx.organisation.personal {
        return Err(Error::Conflict {
            message: "nobody can leave or be removed from a personal organisation".to_string(),
            field: None,
        });
    }
    let ctx = ctx.clone();
    let user_id = user_id.to_string();
    super::write(db, move |txn| {
        Box::pin(async move {
            let m = find(txn, &ctx, &user_id).await?;
            if m.role == Role::Owner.as_str() && owner_count(txn, &ctx.organisation.id).await? <= 1
            {
                return Err(last_owner());
            }
            membership::Entity::delete_by_id(m.id.clone())
                .exec(txn)
                .await?;
            audit::record(
                txn,
                &ctx.organisation.id,
                &ctx.actor.audit(),
                if leaving {
                    "member.left"
                } else {
                    "member.removed"
                },
                ("membership", Some(&m.id)),
                serde_json::json!({"user_id": user_id, "role": m.role}),
            )
            .await?;
            super::events::emit(
                txn,
                &ctx.organisation.id,
                None,
                &ctx.actor.audit(),
                &super::events::Event::MemberRemoved(super::events::MemberEvent {
                    user_id: user_id.clone(),
                    role: None,
                }),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
