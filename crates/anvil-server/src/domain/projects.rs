//! Projects: the first level of content in an organisation. Names and slugs are unique within
//! the organisation; deleting archives (the slug stays reserved, as a package registry must
//! never hand an old address new content).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::access::{Action, OrgContext};
use super::page::{Page, Paged};
use super::{Error, FieldError, Result, audit, events, ids, now};
use crate::db::entities::project;

#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

fn not_found() -> Error {
    Error::NotFound("project not found".to_string())
}

fn check(
    input: &ProjectInput,
    creating: bool,
) -> Result<(Option<String>, Option<String>, Option<String>)> {
    let mut errors = Vec::new();
    let name = input.name.as_deref().map(str::trim).map(str::to_string);
    match &name {
        None if creating => errors.push(FieldError::new("name", "is required")),
        Some(n) if n.is_empty() || n.chars().count() > 100 => {
            errors.push(FieldError::new("name", "must be 1 to 100 characters"))
        }
        _ => {}
    }
    let slug = match (&input.slug, &name) {
        (Some(s), _) => {
            if let Err(reason) = anvil_core::slug::check(s) {
                errors.push(FieldError::new("slug", reason));
            }
            Some(s.clone())
        }
        (None, Some(n)) if creating => match anvil_core::slug::from_name(n) {
            Some(s) => Some(s),
            None => {
                errors.push(FieldError::new(
                    "slug",
                    "cannot be made from the name; give one (letters, digits, '-', '_', '.')",
                ));
                None
            }
        },
        _ => None,
    };
    if let Some(d) = &input.description
        && d.chars().count() > 2000
    {
        errors.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    if errors.is_empty() {
        Ok((name, slug, input.description.clone()))
    } else {
        Err(Error::Validation(errors))
    }
}

/// 409 naming the field when another project of the organisation (archived ones included,
/// for slugs) has the name or slug.
async fn ensure_unique<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    except: Option<&str>,
    name: Option<&str>,
    slug: Option<&str>,
) -> Result<()> {
    let others = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(org_id))
        .all(conn)
        .await?;
    let others: Vec<_> = others
        .iter()
        .filter(|p| Some(p.id.as_str()) != except)
        .collect();
    // The name first: when the slug was generated from it, the name is what the author chose.
    if let Some(p) = others
        .iter()
        .find(|p| p.archived_at.is_none() && name == Some(p.name.as_str()))
    {
        return Err(Error::conflict(
            "name",
            format!("a project named '{}' exists in this organisation", p.name),
        ));
    }
    if let Some(p) = others.iter().find(|p| slug == Some(p.slug.as_str())) {
        return Err(Error::conflict(
            "slug",
            format!(
                "a project with slug '{}' exists (or existed) in this organisation",
                p.slug
            ),
        ));
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    input: ProjectInput,
) -> Result<project::Model> {
    ctx.require(Action::ManageProjects)?;
    let (name, slug, description) = check(&input, true)?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(Error::invalid("name", "is required"));
    };
    let ctx = ctx.clone();
    Ok(db
        .transaction::<_, project::Model, Error>(move |txn| {
            Box::pin(async move {
                ensure_unique(txn, &ctx.organisation.id, None, Some(&name), Some(&slug)).await?;
                let at = now();
                let p = project::ActiveModel {
                    id: Set(ids::new_id()),
                    organisation_id: Set(ctx.organisation.id.clone()),
                    name: Set(name),
                    slug: Set(slug),
                    description: Set(description.unwrap_or_default()),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                }
                .insert(txn)
                .await?;
                audit::record(
                    txn,
                    &p.organisation_id,
                    &ctx.actor.audit(),
                    "project.created",
                    ("project", Some(&p.id)),
                    serde_json::json!({"name": p.name, "slug": p.slug}),
                )
                .await?;
                events::emit(
                    txn,
                    &p.organisation_id,
                    Some(&p.id),
                    "project.created",
                    serde_json::json!({"id": p.id, "slug": p.slug}),
                )
                .await?;
                Ok(p)
            })
        })
        .await?)
}

/// A live project of the context's organisation, by id or slug.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    id_or_slug: &str,
    by_slug: bool,
) -> Result<project::Model> {
    ctx.require(Action::ReadOrganisation)?;
    let col = if by_slug {
        project::Column::Slug
    } else {
        project::Column::Id
    };
    project::Entity::find()
        .filter(project::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(project::Column::ArchivedAt.is_null())
        .filter(col.eq(id_or_slug))
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

pub async fn list(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    page: &Page,
) -> Result<Paged<project::Model>> {
    ctx.require(Action::ReadOrganisation)?;
    let mut q = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(project::Column::ArchivedAt.is_null());
    if let Some(after) = &page.after {
        q = q.filter(project::Column::Id.gt(after.clone()));
    }
    let rows = q
        .order_by_asc(project::Column::Id)
        .limit(page.fetch())
        .all(db)
        .await?;
    Ok(Paged::from_fetched(rows, page))
}

pub async fn update(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    input: ProjectInput,
) -> Result<project::Model> {
    ctx.require(Action::ManageProjects)?;
    let current = get(db, ctx, id, false).await?;
    let (name, slug, description) = check(&input, false)?;
    let ctx = ctx.clone();
    Ok(db
        .transaction::<_, project::Model, Error>(move |txn| {
            Box::pin(async move {
                ensure_unique(
                    txn,
                    &ctx.organisation.id,
                    Some(&current.id),
                    name.as_deref(),
                    slug.as_deref(),
                )
                .await?;
                let mut active: project::ActiveModel = current.into();
                if let Some(n) = &name {
                    active.name = Set(n.clone());
                }
                if let Some(s) = &slug {
                    active.slug = Set(s.clone());
                }
                if let Some(d) = &description {
                    active.description = Set(d.clone());
                }
                active.updated_at = Set(now());
                let p = active.update(txn).await?;
                audit::record(
                    txn,
                    &p.organisation_id,
                    &ctx.actor.audit(),
                    "project.updated",
                    ("project", Some(&p.id)),
                    serde_json::json!({"name": name, "slug": slug, "description": description}),
                )
                .await?;
                events::emit(
                    txn,
                    &p.organisation_id,
                    Some(&p.id),
                    "project.updated",
                    serde_json::json!({"id": p.id, "slug": p.slug}),
                )
                .await?;
                Ok(p)
            })
        })
        .await?)
}

/// Archives a project: gone from reads, lists and resolution; its slug stays reserved.
pub async fn archive(db: &DatabaseConnection, ctx: &OrgContext, id: &str) -> Result<()> {
    ctx.require(Action::ManageProjects)?;
    let current = get(db, ctx, id, false).await?;
    let ctx = ctx.clone();
    db.transaction::<_, (), Error>(move |txn| {
        Box::pin(async move {
            let mut active: project::ActiveModel = current.clone().into();
            active.archived_at = Set(Some(now()));
            active.update(txn).await?;
            audit::record(
                txn,
                &current.organisation_id,
                &ctx.actor.audit(),
                "project.archived",
                ("project", Some(&current.id)),
                serde_json::json!({"slug": current.slug}),
            )
            .await?;
            events::emit(
                txn,
                &current.organisation_id,
                Some(&current.id),
                "project.deleted",
                serde_json::json!({"id": current.id, "slug": current.slug}),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
