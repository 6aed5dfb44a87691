//! Prompt sets: named groups of prompts inside a project, with a status that governs the
//! working copy (`live`, `review`, `locked`, per `domain.md`). Deleting archives.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use super::access::{Action, OrgContext};
use super::page::{Page, Paged};
use super::precondition::{self, Precondition};
use super::{Error, Result, dependencies, ids, naming, now, projects};
use crate::domain::entities::{project, prompt_set};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Live,
    Review,
    Locked,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "live" => Some(Status::Live),
            "review" => Some(Status::Review),
            "locked" => Some(Status::Locked),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Review => "review",
            Status::Locked => "locked",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SetInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Addresses of other sets with version specs (`common/tone@^1.0`).
    pub dependencies: Option<Vec<String>>,
}

fn not_found() -> Error {
    Error::NotFound("prompt set not found".to_string())
}

/// Refuses edits of a locked set, saying who can unlock it.
pub fn ensure_editable(set: &prompt_set::Model) -> Result<()> {
    if set.status == Status::Locked.as_str() {
        return Err(Error::Conflict {
            message: format!(
                "prompt set '{}' is locked; an admin or owner can unlock it (status 'live') before it is edited",
                set.slug
            ),
            field: None,
        });
    }
    Ok(())
}

/// Checks that the caller may release from this set (cut a version, move a channel) in its
/// status: members may in a live set, only admins and owners in review or locked, or when
/// `needs_admin` (a protected channel). A refusal names who can.
pub fn require_release(
    ctx: &OrgContext,
    set: &prompt_set::Model,
    what: &str,
    needs_admin: bool,
) -> Result<()> {
    let live = set.status == Status::Live.as_str();
    if live && !needs_admin {
        return ctx.require(Action::EditContent);
    }
    if ctx.role < super::organisations::Role::Admin {
        let why = if live {
            String::new()
        } else {
            format!("prompt set '{}' is {}; ", set.slug, set.status)
        };
        return Err(Error::Forbidden(format!(
            "{why}only admins and owners can {what}; you are a {}",
            ctx.role.as_str()
        )));
    }
    ctx.require(Action::ManageVersions)
}

fn check(
    input: &SetInput,
    creating: bool,
) -> Result<(Option<String>, Option<String>, Option<String>)> {
    naming::check_all(
        input.name.as_deref(),
        input.slug.as_deref(),
        input.description.as_deref(),
        creating,
    )
}

pub(super) async fn ensure_unique<C: ConnectionTrait>(
    conn: &C,
    parent_id: &str,
    except: Option<&str>,
    name: Option<&str>,
    slug: Option<&str>,
    generated: bool,
) -> Result<Option<String>> {
    let others = prompt_set::Entity::find()
        .filter(prompt_set::Column::ProjectId.eq(parent_id))
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
        "prompt set",
        "project",
    )
}

/// Inserts a checked, live set in `txn`, with its audit and `prompt_set.created` events.
pub(super) async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    actor: &super::audit::AuditActor,
    project: &project::Model,
    name: String,
    slug: String,
    description: String,
    dependencies: serde_json::Value,
) -> Result<prompt_set::Model> {
    let at = now();
    let model = prompt_set::Model {
        id: ids::new_id(),
        organisation_id: project.organisation_id.clone(),
        project_id: project.id.clone(),
        name,
        slug,
        description,
        status: Status::Live.as_str().to_string(),
        dependencies,
        created_at: at,
        updated_at: at,
        archived_at: None,
        purged_at: None,
    };
    let s = prompt_set::ActiveModel::from(model).insert(txn).await?;
    super::write::trail(
        txn,
        super::write::Trail {
            organisation_id: &s.organisation_id,
            project_id: Some(&s.project_id),
            actor,
            resource: ("prompt_set", &s.id),
            audit: (
                "prompt_set.created",
                serde_json::json!({"project": project.slug, "slug": s.slug}),
            ),
            event: super::events::Event::PromptSetCreated(super::events::PromptSetEvent {
                prompt_set_id: s.id.clone(),
                project: project.slug.clone(),
                slug: s.slug.clone(),
                status: s.status.clone(),
            }),
        },
    )
    .await?;
    Ok(s)
}

pub async fn create(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    project_id: &str,
    input: SetInput,
) -> Result<prompt_set::Model> {
    ctx.require(Action::EditContent)?;
    let project = projects::get(db, ctx, project_id, false).await?;
    let (name, slug, description) = check(&input, true)?;
    let generated = input.slug.is_none();
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(Error::invalid("name", "is required"));
    };
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let slug = ensure_unique(txn, &project.id, None, Some(&name), Some(&slug), generated)
                .await?
                .unwrap_or(slug);
            let dependencies = match &input.dependencies {
                Some(list) => {
                    let draft = prompt_set::Model {
                        id: String::new(),
                        organisation_id: project.organisation_id.clone(),
                        project_id: project.id.clone(),
                        name: name.clone(),
                        slug: slug.clone(),
                        description: String::new(),
                        status: Status::Live.as_str().to_string(),
                        dependencies: serde_json::json!([]),
                        created_at: now(),
                        updated_at: now(),
                        archived_at: None,
                        purged_at: None,
                    };
                    let checked = dependencies::check(txn, &draft, &project.slug, list).await?;
                    dependencies::to_json(&checked)
                }
                None => serde_json::json!([]),
            };
            insert(
                txn,
                &ctx.actor.audit(),
                &project,
                name,
                slug,
                description.unwrap_or_default(),
                dependencies,
            )
            .await
        })
    })
    .await
}

/// The set re-read inside a write, locked until it commits (PostgreSQL; SQLite's write
/// transaction already excludes other writers), with the caller's precondition checked
/// against it.
async fn locked<C: ConnectionTrait>(
    txn: &C,
    current: &prompt_set::Model,
    precondition: Option<&Precondition>,
) -> Result<prompt_set::Model> {
    let fresh = prompt_set::Entity::find_by_id(current.id.clone())
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    precondition::check(
        precondition,
        &precondition::etag(fresh.updated_at),
        "prompt set",
    )?;
    Ok(fresh)
}

/// The payload of a set's events: it names its project by slug.
pub(crate) async fn event_of<C: ConnectionTrait>(
    conn: &C,
    s: &prompt_set::Model,
) -> Result<super::events::PromptSetEvent> {
    let project = project::Entity::find_by_id(s.project_id.clone())
        .one(conn)
        .await?
        .ok_or_else(|| Error::Internal(format!("project of set {} vanished", s.id)))?;
    Ok(super::events::PromptSetEvent {
        prompt_set_id: s.id.clone(),
        project: project.slug,
        slug: s.slug.clone(),
        status: s.status.clone(),
    })
}

/// A live set of a live project of the context's organisation: the sets of an archived
/// project are gone with it.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    id: &str,
) -> Result<prompt_set::Model> {
    ctx.require(Action::ReadOrganisation)?;
    let set = ctx
        .find::<prompt_set::Entity>()
        .filter(prompt_set::Column::Id.eq(id))
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    match projects::get(conn, ctx, &set.project_id, false).await {
        Ok(_) => Ok(set),
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(e) => Err(e),
    }
}

/// A live set by `project/set` slugs.
pub async fn by_address(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    project_slug: &str,
    set_slug: &str,
) -> Result<(project::Model, prompt_set::Model)> {
    let project = projects::get(db, ctx, project_slug, true).await?;
    let set = prompt_set::Entity::find()
        .filter(prompt_set::Column::ProjectId.eq(project.id.clone()))
        .filter(prompt_set::Column::Slug.eq(set_slug))
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    Ok((project, set))
}

pub async fn list(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    project_id: &str,
    page: &Page,
) -> Result<Paged<prompt_set::Model>> {
    let project = projects::get(db, ctx, project_id, false).await?;
    let q = prompt_set::Entity::find()
        .filter(prompt_set::Column::ProjectId.eq(project.id))
        .filter(prompt_set::Column::ArchivedAt.is_null());
    super::page::read(
        db,
        q,
        prompt_set::Column::Id,
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
    input: SetInput,
) -> Result<prompt_set::Model> {
    ctx.require(Action::EditContent)?;
    let current = get(db, ctx, id).await?;
    ensure_editable(&current)?;
    let (name, slug, description) = check(&input, false)?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
            Box::pin(async move {
                let current = locked(txn, &current, precondition.as_ref()).await?;
                ensure_editable(&current)?;
                ensure_unique(
                    txn,
                    &current.project_id,
                    Some(&current.id),
                    name.as_deref(),
                    slug.as_deref(),
                    false,
                )
                .await?;
                let checked = match &input.dependencies {
                    Some(list) => {
                        let project = project::Entity::find_by_id(current.project_id.clone())
                            .one(txn)
                            .await?
                            .ok_or_else(not_found)?;
                        Some(dependencies::check(txn, &current, &project.slug, list).await?)
                    }
                    None => None,
                };
                let mut active: prompt_set::ActiveModel = current.into();
                if let Some(list) = &checked {
                    active.dependencies = Set(dependencies::to_json(list));
                }
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
                let s = active.update(txn).await?;
                super::write::trail(
                    txn,
                    super::write::Trail {
                        organisation_id: &s.organisation_id,
                        project_id: Some(&s.project_id),
                        actor: &ctx.actor.audit(),
                        resource: ("prompt_set", &s.id),
                        audit: ("prompt_set.updated", serde_json::json!({"name": name, "slug": slug, "description": description, "dependencies": checked})),
                        event: super::events::Event::PromptSetUpdated(event_of(txn, &s).await?),
                    },
                )
                .await?;
                Ok(s)
            })
        })
        .await
}

/// Changes the status (admins and owners).
pub async fn set_status(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    status: &str,
) -> Result<prompt_set::Model> {
    let status = Status::parse(status)
        .ok_or_else(|| Error::invalid("status", "must be one of live, review, locked"))?;
    ctx.require(Action::ManageVersions).map_err(|_| {
        Error::Forbidden(format!(
            "only admins and owners can change a prompt set's status; you are a {}",
            ctx.role.as_str()
        ))
    })?;
    let current = get(db, ctx, id).await?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let from = current.status.clone();
            let mut active: prompt_set::ActiveModel = current.into();
            active.status = Set(status.as_str().to_string());
            active.updated_at = Set(now());
            let s = active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &s.organisation_id,
                    project_id: Some(&s.project_id),
                    actor: &ctx.actor.audit(),
                    resource: ("prompt_set", &s.id),
                    audit: (
                        "prompt_set.status_changed",
                        serde_json::json!({"from": from, "to": s.status}),
                    ),
                    event: super::events::Event::PromptSetStatusChanged(event_of(txn, &s).await?),
                },
            )
            .await?;
            Ok(s)
        })
    })
    .await
}

/// Archives a set (admins and owners); its slug stays reserved.
pub async fn archive(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    precondition: Option<Precondition>,
) -> Result<()> {
    ctx.require(Action::DeleteContent)?;
    let current = get(db, ctx, id).await?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let current = locked(txn, &current, precondition.as_ref()).await?;
            let mut active: prompt_set::ActiveModel = current.clone().into();
            active.archived_at = Set(Some(now()));
            active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &current.organisation_id,
                    project_id: Some(&current.project_id),
                    actor: &ctx.actor.audit(),
                    resource: ("prompt_set", &current.id),
                    audit: (
                        "prompt_set.archived",
                        serde_json::json!({"slug": current.slug}),
                    ),
                    event: super::events::Event::PromptSetDeleted(event_of(txn, &current).await?),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
