//! Organisations and memberships.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{Result, ids, now};
use crate::db::entities::{membership, organisation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// An organisation the user belongs to, with their role in it.
#[derive(Debug, Clone)]
pub struct MemberOrganisation {
    pub organisation: organisation::Model,
    pub role: Role,
}

/// Creates a user's personal organisation ("<name>'s Personal", slug with a random suffix)
/// with the user as owner, on `conn` (the registration's transaction).
pub async fn create_personal<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    user_name: &str,
) -> Result<organisation::Model> {
    let at = now();
    let name = format!("{user_name}'s Personal");
    let base = ids::slugify(&name, 57);
    // The suffix makes collisions unlikely; retry a few times for the unlucky case.
    let mut slug = format!("{base}-{}", ids::random_suffix(6));
    for _ in 0..5 {
        let taken = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug.clone()))
            .one(conn)
            .await?
            .is_some();
        if !taken {
            break;
        }
        slug = format!("{base}-{}", ids::random_suffix(6));
    }
    let org = organisation::ActiveModel {
        id: Set(ids::new_id()),
        name: Set(name),
        slug: Set(slug),
        description: Set(String::new()),
        personal: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(conn)
    .await?;
    membership::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(org.id.clone()),
        user_id: Set(user_id.to_string()),
        role: Set(Role::Owner.as_str().to_string()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(org)
}

/// The organisations a user belongs to, personal first, then by creation.
pub async fn of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<Vec<MemberOrganisation>> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let org = organisation::Entity::find_by_id(m.organisation_id.clone())
            .filter(organisation::Column::DeletedAt.is_null())
            .one(conn)
            .await?;
        if let (Some(organisation), Some(role)) = (org, Role::parse(&m.role)) {
            out.push(MemberOrganisation { organisation, role });
        }
    }
    out.sort_by_key(|m| !m.organisation.personal);
    Ok(out)
}
