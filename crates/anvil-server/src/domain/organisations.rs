//! Organisations and memberships.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{Result, ids, now};
use crate::domain::entities::{membership, organisation};

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
    // One query for the organisations (every page's switcher reads this), kept in the
    // memberships' order.
    let mut orgs: std::collections::HashMap<String, organisation::Model> =
        organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(rows.iter().map(|m| m.organisation_id.clone())))
            .filter(organisation::Column::DeletedAt.is_null())
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        if let (Some(organisation), Some(role)) =
            (orgs.remove(&m.organisation_id), Role::parse(&m.role))
        {
            out.push(MemberOrganisation { organisation, role });
        }
    }
    out.sort_by_key(|m| !m.organisation.personal);
    Ok(out)
}

/// Organisation fields a request may set.
#[derive(Debug, Clone, Default)]
pub struct OrganisationInput {
    pub name: Option<String>,
    pub description: Option<String>,
}

fn check_name(name: &str) -> Result<String> {
    super::naming::display_name("name", name, 100).map_err(|e| super::Error::Validation(vec![e]))
}

fn check_description(d: &str) -> Result<String> {
    super::naming::text("description", d, 2000).map_err(|e| super::Error::Validation(vec![e]))?;
    Ok(d.to_string())
}

/// Creates an organisation with the signed-in user as its owner. API keys act inside one
/// organisation and cannot create others.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    actor: &super::access::Actor,
    input: OrganisationInput,
) -> Result<organisation::Model> {
    if !actor.is_session() {
        return Err(super::Error::Forbidden(
            "API keys cannot create organisations; sign in to create one".to_string(),
        ));
    }
    let name = check_name(input.name.as_deref().unwrap_or(""))?;
    let description = check_description(input.description.as_deref().unwrap_or(""))?;
    let actor = actor.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let at = now();
            let base = ids::slugify(&name, 57);
            let mut slug = base.clone();
            let mut tries = 0;
            while organisation::Entity::find()
                .filter(organisation::Column::Slug.eq(slug.clone()))
                .one(txn)
                .await?
                .is_some()
            {
                tries += 1;
                if tries > 5 {
                    return Err(super::Error::Internal("no free organisation slug".into()));
                }
                slug = format!("{base}-{}", ids::random_suffix(6));
            }
            let org = organisation::ActiveModel {
                id: Set(ids::new_id()),
                name: Set(name),
                slug: Set(slug),
                description: Set(description),
                personal: Set(false),
                created_at: Set(at),
                updated_at: Set(at),
                deleted_at: Set(None),
            }
            .insert(txn)
            .await?;
            membership::ActiveModel {
                id: Set(ids::new_id()),
                organisation_id: Set(org.id.clone()),
                user_id: Set(actor.user_id.clone()),
                role: Set(Role::Owner.as_str().to_string()),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(txn)
            .await?;
            super::audit::record(
                txn,
                &org.id,
                &actor.audit(),
                "organisation.created",
                ("organisation", Some(&org.id)),
                serde_json::json!({"name": org.name, "slug": org.slug}),
            )
            .await?;
            Ok(org)
        })
    })
    .await
}

/// Renames or redescribes the organisation (owners).
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    ctx: &super::access::OrgContext,
    input: OrganisationInput,
) -> Result<organisation::Model> {
    ctx.require(super::access::Action::RenameOrganisation)?;
    let name = input.name.as_deref().map(check_name).transpose()?;
    let description = input
        .description
        .as_deref()
        .map(check_description)
        .transpose()?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut active: organisation::ActiveModel = ctx.organisation.clone().into();
            if let Some(n) = &name {
                active.name = Set(n.clone());
            }
            if let Some(d) = &description {
                active.description = Set(d.clone());
            }
            active.updated_at = Set(now());
            let org = active.update(txn).await?;
            super::audit::record(
                txn,
                &org.id,
                &ctx.actor.audit(),
                "organisation.updated",
                ("organisation", Some(&org.id)),
                serde_json::json!({"name": name, "description": description}),
            )
            .await?;
            Ok(org)
        })
    })
    .await
}

/// Deletes an organisation (owners, never a personal one, after confirming its slug).
pub async fn delete(
    db: &sea_orm::DatabaseConnection,
    ctx: &super::access::OrgContext,
    confirm: Option<&str>,
) -> Result<()> {
    ctx.require(super::access::Action::DeleteOrganisation)?;
    if ctx.organisation.personal {
        return Err(super::Error::Conflict {
            message: "a personal organisation cannot be deleted".to_string(),
            field: None,
        });
    }
    if confirm != Some(ctx.organisation.slug.as_str()) {
        return Err(super::Error::invalid(
            "confirm",
            format!(
                "must be the organisation's slug '{}' to confirm deletion",
                ctx.organisation.slug
            ),
        ));
    }
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut active: organisation::ActiveModel = ctx.organisation.clone().into();
            active.deleted_at = Set(Some(now()));
            active.update(txn).await?;
            super::audit::record(
                txn,
                &ctx.organisation.id,
                &ctx.actor.audit(),
                "organisation.deleted",
                ("organisation", Some(&ctx.organisation.id)),
                serde_json::json!({}),
            )
            .await?;
            super::events::emit(
                txn,
                &ctx.organisation.id,
                None,
                &ctx.actor.audit(),
                &super::events::Event::OrganisationDeleted {
                    organisation_id: ctx.organisation.id.clone(),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// A page of the organisations the actor can act in (an API key: only its own), by id.
pub async fn list_for(
    db: &sea_orm::DatabaseConnection,
    actor: &super::access::Actor,
    page: &super::page::Page,
) -> Result<super::page::Paged<MemberOrganisation>> {
    use sea_orm::QuerySelect;
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(actor.user_id.clone()))
        .all(db)
        .await?;
    let mut q = organisation::Entity::find()
        .filter(organisation::Column::DeletedAt.is_null())
        .filter(
            organisation::Column::Id.is_in(memberships.iter().map(|m| m.organisation_id.clone())),
        );
    if let super::access::Credential::ApiKey {
        organisation_id, ..
    } = &actor.credential
    {
        q = q.filter(organisation::Column::Id.eq(organisation_id.clone()));
    }
    if let Some(after) = &page.after {
        q = q.filter(organisation::Column::Id.gt(after.clone()));
    }
    let orgs = q
        .order_by_asc(organisation::Column::Id)
        .limit(page.fetch())
        .all(db)
        .await?;
    let items = orgs
        .into_iter()
        .filter_map(|o| {
            let role = memberships
                .iter()
                .find(|m| m.organisation_id == o.id)
                .and_then(|m| Role::parse(&m.role))?;
            Some(MemberOrganisation {
                organisation: o,
                role,
            })
        })
        .collect();
    Ok(super::page::Paged::from_fetched(items, page))
}

/// The user's personal organisation (where account-level events are audited).
pub async fn personal_of<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<Option<organisation::Model>> {
    let ids: Vec<String> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.organisation_id)
        .collect();
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Personal.eq(true))
        .filter(organisation::Column::Id.is_in(ids))
        .one(conn)
        .await?)
}

/// Records an account-level event (password changes and resets) in the user's personal
/// organisation, on the mutation's transaction.
pub async fn audit_account<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    actor: &super::audit::AuditActor,
    action: &str,
) -> Result<()> {
    if let Some(org) = personal_of(conn, user_id).await? {
        super::audit::record(
            conn,
            &org.id,
            actor,
            action,
            ("user", Some(user_id)),
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(())
}
