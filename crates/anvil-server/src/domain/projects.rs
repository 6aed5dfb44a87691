//! Projects: the first level of content in an organisation. Names and slugs are unique within
//! the organisation; deleting archives (the slug stays reserved, as a package registry must
//! never hand an old address new content).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use super::access::{Action, OrgContext};
use super::page::{Page, Paged};
use super::precondition::{self, Precondition};
use super::{Error, Result, ids, naming, now};
use crate::domain::entities::project;

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
    let (name, slug) = naming::check(
        input.name.as_deref(),
        input.slug.as_deref(),
        input.description.as_deref(),
        creating,
        &mut errors,
    );
    naming::not_reserved(slug.as_deref(), naming::RESERVED_PROJECT_SLUGS, &mut errors);
    if errors.is_empty() {
        Ok((name, slug, input.description.clone()))
    } else {
        Err(Error::Validation(errors))
    }
}

pub(super) async fn ensure_unique<C: ConnectionTrait>(
    conn: &C,
    parent_id: &str,
    except: Option<&str>,
    name: Option<&str>,
    slug: Option<&str>,
    generated: bool,
) -> Result<Option<String>> {
    let others = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(parent_id))
        .all(conn)
        .await?;
    naming::ensure_unique(
        others.iter().map(|x| naming::Sibling {
            id: &x.id,
            name: &x.name,
            slug: &x.slug,
            live: x.archived_at.is_none(),
        }),
        except,
        name,
        slug,
        generated,
        "project",
        "organisation",
    )
}

/// Inserts a checked project in `txn`, with its audit and `project.created` events.
pub(super) async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    actor: &super::audit::AuditActor,
    organisation_id: &str,
    name: String,
    slug: String,
    description: String,
) -> Result<project::Model> {
    let at = now();
    let p = project::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(organisation_id.to_string()),
        name: Set(name),
        slug: Set(slug),
        description: Set(description),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        purged_at: Set(None),
    }
    .insert(txn)
    .await?;
    super::write::trail(
        txn,
        super::write::Trail {
            organisation_id: &p.organisation_id,
            project_id: Some(&p.id),
            actor,
            resource: ("project", &p.id),
            audit: (
                "project.created",
                serde_json::json!({"name": p.name, "slug": p.slug}),
            ),
            event: super::events::Event::ProjectCreated(super::events::ProjectEvent {
                project_id: p.id.clone(),
                slug: p.slug.clone(),
            }),
        },
    )
    .await?;
    Ok(p)
}

pub async fn create(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    input: ProjectInput,
) -> Result<project::Model> {
    ctx.require(Action::ManageProjects)?;
    let (name, slug, description) = check(&input, true)?;
    let generated = input.slug.is_none();
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(Error::invalid("name", "is required"));
    };
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let slug = ensure_unique(
                txn,
                &ctx.organisation.id,
                None,
                Some(&name),
                Some(&slug),
                generated,
            )
            .await?
            .unwrap_or(slug);
            insert(
                txn,
                &ctx.actor.audit(),
                &ctx.organisation.id,
                name,
                slug,
                description.unwrap_or_default(),
            )
            .await
        })
    })
    .await
}

/// The project re-read inside a write, locked until it commits (PostgreSQL; SQLite's write
/// transaction already excludes other writers), with the caller's precondition checked
/// against it.
async fn locked<C: ConnectionTrait>(
    txn: &C,
    current: &project::Model,
    precondition: Option<&Precondition>,
) -> Result<project::Model> {
    let fresh = project::Entity::find_by_id(current.id.clone())
        .filter(project::Column::ArchivedAt.is_null())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    precondition::check(
        precondition,
        &precondition::etag(fresh.updated_at),
        "project",
    )?;
    Ok(fresh)
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
    ctx.find::<project::Entity>()
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
    let q = ctx
        .find::<project::Entity>()
        .filter(project::Column::ArchivedAt.is_null());
    super::page::read(
        db,
        q,
        project::Column::Id,
        super::page::Order::OldestFirst,
        page,
    )
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    precondition: Option<Precondition>,
    input: ProjectInput,
) -> Result<project::Model> {
    ctx.require(Action::ManageProjects)?;
    let current = get(db, ctx, id, false).await?;
    let (name, slug, description) = check(&input, false)?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let current = locked(txn, &current, precondition.as_ref()).await?;
            ensure_unique(
                txn,
                &ctx.organisation.id,
                Some(&current.id),
                name.as_deref(),
                slug.as_deref(),
                false,
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
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &p.organisation_id,
                    project_id: Some(&p.id),
                    actor: &ctx.actor.audit(),
                    resource: ("project", &p.id),
                    audit: (
                        "project.updated",
                        serde_json::json!({"name": name, "slug": slug, "description": description}),
                    ),
                    event: super::events::Event::ProjectUpdated(super::events::ProjectEvent {
                        project_id: p.id.clone(),
                        slug: p.slug.clone(),
                    }),
                },
            )
            .await?;
            Ok(p)
        })
    })
    .await
}

/// Archives a project: gone from reads, lists and resolution; its slug stays reserved.
pub async fn archive(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    precondition: Option<Precondition>,
) -> Result<()> {
    ctx.require(Action::ManageProjects)?;
    let current = get(db, ctx, id, false).await?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let current = locked(txn, &current, precondition.as_ref()).await?;
            let mut active: project::ActiveModel = current.clone().into();
            active.archived_at = Set(Some(now()));
            active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &current.organisation_id,
                    project_id: Some(&current.id),
                    actor: &ctx.actor.audit(),
                    resource: ("project", &current.id),
                    audit: (
                        "project.archived",
                        serde_json::json!({"slug": current.slug}),
                    ),
                    event: super::events::Event::ProjectDeleted(super::events::ProjectEvent {
                        project_id: current.id.clone(),
                        slug: current.slug.clone(),
                    }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
