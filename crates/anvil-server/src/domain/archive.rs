//! What happens to archived projects and prompt sets: an owner lists them, restores them, or
//! purges them for good. Purging deletes the content (sets, prompts, versions, channels and
//! their history; a project's access tokens) and keeps the row as a tombstone, so the slug
//! stays reserved. Each step is audited and emits its event.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use super::access::{Action, OrgContext};
use super::page::{Page, Paged};
use super::{Error, Result, now};
use crate::domain::entities::{access_token, channel, project, prompt, prompt_set, version};

fn project_not_found() -> Error {
    Error::NotFound("archived project not found".to_string())
}

fn set_not_found() -> Error {
    Error::NotFound("archived prompt set not found".to_string())
}

/// Archived (not purged) projects of the context's organisation, oldest first.
pub async fn projects(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    page: &Page,
) -> Result<Paged<project::Model>> {
    ctx.require(Action::RestoreOrPurge)?;
    let q = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(project::Column::ArchivedAt.is_not_null())
        .filter(project::Column::PurgedAt.is_null());
    super::page::read(
        db,
        q,
        project::Column::Id,
        super::page::Order::OldestFirst,
        page,
    )
    .await
}

/// Archived (not purged) prompt sets of a live project.
pub async fn sets(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    project_id: &str,
    page: &Page,
) -> Result<Paged<prompt_set::Model>> {
    ctx.require(Action::RestoreOrPurge)?;
    let project = super::projects::get(db, ctx, project_id, false).await?;
    let q = prompt_set::Entity::find()
        .filter(prompt_set::Column::ProjectId.eq(project.id))
        .filter(prompt_set::Column::ArchivedAt.is_not_null())
        .filter(prompt_set::Column::PurgedAt.is_null());
    super::page::read(
        db,
        q,
        prompt_set::Column::Id,
        super::page::Order::OldestFirst,
        page,
    )
    .await
}

async fn archived_project<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    id: &str,
) -> Result<project::Model> {
    project::Entity::find_by_id(id.to_string())
        .filter(project::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(project::Column::ArchivedAt.is_not_null())
        .filter(project::Column::PurgedAt.is_null())
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(project_not_found)
}

async fn archived_set<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    id: &str,
) -> Result<prompt_set::Model> {
    prompt_set::Entity::find_by_id(id.to_string())
        .filter(prompt_set::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(prompt_set::Column::ArchivedAt.is_not_null())
        .filter(prompt_set::Column::PurgedAt.is_null())
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(set_not_found)
}

/// A name taken by a live sibling meanwhile (archiving frees the name, not the slug).
fn name_taken(what: &str, name: &str, within: &str) -> Error {
    Error::conflict(
        "name",
        format!(
            "a live {what} named '{name}' exists in this {within}; rename it before restoring this one"
        ),
    )
}

/// Brings an archived project back, with the sets that were live when it was archived.
pub async fn restore_project(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
) -> Result<project::Model> {
    ctx.require(Action::RestoreOrPurge)?;
    let ctx = ctx.clone();
    let id = id.to_string();
    super::write(db, move |txn| {
        Box::pin(async move {
            let p = archived_project(txn, &ctx, &id).await?;
            let clash = project::Entity::find()
                .filter(project::Column::OrganisationId.eq(p.organisation_id.clone()))
                .filter(project::Column::ArchivedAt.is_null())
                .filter(project::Column::Name.eq(p.name.clone()))
                .one(txn)
                .await?;
            if clash.is_some() {
                return Err(name_taken("project", &p.name, "organisation"));
            }
            let mut active: project::ActiveModel = p.into();
            active.archived_at = Set(None);
            active.updated_at = Set(now());
            let p = active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &p.organisation_id,
                    project_id: Some(&p.id),
                    actor: &ctx.actor.audit(),
                    resource: ("project", &p.id),
                    audit: ("project.restored", serde_json::json!({"slug": p.slug})),
                    event: super::events::Event::ProjectRestored(super::events::ProjectEvent {
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

/// Brings an archived prompt set of a live project back.
pub async fn restore_set(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
) -> Result<prompt_set::Model> {
    ctx.require(Action::RestoreOrPurge)?;
    let ctx = ctx.clone();
    let id = id.to_string();
    super::write(db, move |txn| {
        Box::pin(async move {
            let s = archived_set(txn, &ctx, &id).await?;
            let project = match super::projects::get(txn, &ctx, &s.project_id, false).await {
                Ok(p) => p,
                Err(Error::NotFound(_)) => {
                    return Err(Error::Conflict {
                        message: "its project is archived; restore the project first".into(),
                        field: None,
                    });
                }
                Err(e) => return Err(e),
            };
            let clash = prompt_set::Entity::find()
                .filter(prompt_set::Column::ProjectId.eq(project.id.clone()))
                .filter(prompt_set::Column::ArchivedAt.is_null())
                .filter(prompt_set::Column::Name.eq(s.name.clone()))
                .one(txn)
                .await?;
            if clash.is_some() {
                return Err(name_taken("prompt set", &s.name, "project"));
            }
            let mut active: prompt_set::ActiveModel = s.into();
            active.archived_at = Set(None);
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
                        "prompt_set.restored",
                        serde_json::json!({"project": project.slug, "slug": s.slug}),
                    ),
                    event: super::events::Event::PromptSetRestored(super::events::PromptSetEvent {
                        prompt_set_id: s.id.clone(),
                        project: project.slug.clone(),
                        slug: s.slug.clone(),
                        status: s.status.clone(),
                    }),
                },
            )
            .await?;
            Ok(s)
        })
    })
    .await
}

/// `confirm` must be the slug, as for deleting an organisation: purging cannot be undone.
fn confirm(slug: &str, given: &str) -> Result<()> {
    if given == slug {
        Ok(())
    } else {
        Err(Error::invalid(
            "confirm",
            format!("must be the slug '{slug}': purging deletes the content for good"),
        ))
    }
}

/// Deletes a set's content: channels (their history goes with them), versions, prompts.
async fn delete_content<C: ConnectionTrait>(conn: &C, set_ids: Vec<String>) -> Result<()> {
    if set_ids.is_empty() {
        return Ok(());
    }
    // Channels first: they point at versions.
    channel::Entity::delete_many()
        .filter(channel::Column::PromptSetId.is_in(set_ids.clone()))
        .exec(conn)
        .await?;
    version::Entity::delete_many()
        .filter(version::Column::PromptSetId.is_in(set_ids.clone()))
        .exec(conn)
        .await?;
    prompt::Entity::delete_many()
        .filter(prompt::Column::PromptSetId.is_in(set_ids))
        .exec(conn)
        .await?;
    Ok(())
}

/// Purges an archived project: every set in it with its content, and its access tokens.
pub async fn purge_project(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    confirmation: &str,
) -> Result<()> {
    ctx.require(Action::RestoreOrPurge)?;
    let ctx = ctx.clone();
    let (id, confirmation) = (id.to_string(), confirmation.to_string());
    super::write(db, move |txn| {
        Box::pin(async move {
            let p = archived_project(txn, &ctx, &id).await?;
            confirm(&p.slug, &confirmation)?;
            let set_ids: Vec<String> = prompt_set::Entity::find()
                .filter(prompt_set::Column::ProjectId.eq(p.id.clone()))
                .all(txn)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
            let sets = set_ids.len();
            delete_content(txn, set_ids).await?;
            prompt_set::Entity::delete_many()
                .filter(prompt_set::Column::ProjectId.eq(p.id.clone()))
                .exec(txn)
                .await?;
            access_token::Entity::delete_many()
                .filter(access_token::Column::ProjectId.eq(p.id.clone()))
                .exec(txn)
                .await?;
            let mut active: project::ActiveModel = p.clone().into();
            active.description = Set(String::new());
            active.purged_at = Set(Some(now()));
            active.updated_at = Set(now());
            active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &p.organisation_id,
                    project_id: Some(&p.id),
                    actor: &ctx.actor.audit(),
                    resource: ("project", &p.id),
                    audit: (
                        "project.purged",
                        serde_json::json!({"slug": p.slug, "prompt_sets": sets}),
                    ),
                    event: super::events::Event::ProjectPurged(super::events::ProjectEvent {
                        project_id: p.id.clone(),
                        slug: p.slug.clone(),
                    }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// Purges an archived prompt set: its prompts, versions and channels.
pub async fn purge_set(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    confirmation: &str,
) -> Result<()> {
    ctx.require(Action::RestoreOrPurge)?;
    let ctx = ctx.clone();
    let (id, confirmation) = (id.to_string(), confirmation.to_string());
    super::write(db, move |txn| {
        Box::pin(async move {
            let s = archived_set(txn, &ctx, &id).await?;
            confirm(&s.slug, &confirmation)?;
            delete_content(txn, vec![s.id.clone()]).await?;
            let mut active: prompt_set::ActiveModel = s.clone().into();
            active.description = Set(String::new());
            active.dependencies = Set(serde_json::json!([]));
            active.purged_at = Set(Some(now()));
            active.updated_at = Set(now());
            active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &s.organisation_id,
                    project_id: Some(&s.project_id),
                    actor: &ctx.actor.audit(),
                    resource: ("prompt_set", &s.id),
                    audit: ("prompt_set.purged", serde_json::json!({"slug": s.slug})),
                    event: super::events::Event::PromptSetPurged(
                        super::prompt_sets::event_of(txn, &s).await?,
                    ),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn purging_asks_for_the_slug() {
        assert!(super::confirm("support", "support").is_ok());
        assert!(super::confirm("support", "Support").is_err());
        assert!(super::confirm("support", "").is_err());
    }
}
