//! Channels: movable, named pointers at a set's versions (`production`, `staging`). Moving one
//! is how a team deploys and rolls back without a code change; every move is kept as the
//! channel's history, audited, and emitted as a `channel.moved` event.

use anvil_core::version::{Label, check_channel_name};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Action, OrgContext};
use super::delivery::Reader;
use super::{Error, Result, audit, events, ids, now, prompt_sets, versions};
use crate::domain::entities::{channel, channel_move, prompt_set, version};

/// How many past moves a channel read shows.
pub const HISTORY_LIMIT: u64 = 100;

#[derive(Debug, Clone)]
pub struct ChannelInput {
    /// The version label to point at.
    pub version: Option<String>,
    pub protected: Option<bool>,
}

/// A channel with the label it points at.
#[derive(Debug, Clone)]
pub struct ChannelView {
    pub channel: channel::Model,
    pub label: String,
}

/// One move of a channel, with labels.
#[derive(Debug, Clone)]
pub struct Move {
    pub from: Option<String>,
    pub to: String,
    pub moved_by: Option<String>,
    pub at: time::OffsetDateTime,
}

fn not_found(set: &prompt_set::Model, name: &str) -> Error {
    Error::NotFound(format!("prompt set '{}' has no channel '{name}'", set.slug))
}

fn refuse_yanked(target: &version::Model) -> Result<()> {
    if versions::is_yanked(target) {
        return Err(Error::invalid(
            "version",
            format!(
                "version {} is yanked; unyank it or choose another version",
                target.label
            ),
        ));
    }
    Ok(())
}

/// Every channel of a set with the label it points at.
/// (channel name, label of its version) for every channel of a set, in one query: what
/// resolving a spec needs of channels.
pub async fn labels_of<C: ConnectionTrait>(conn: &C, set_id: &str) -> Result<Vec<(String, Label)>> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT c.name AS name, v.label AS label FROM channels c \
             JOIN versions v ON v.id = c.version_id WHERE c.prompt_set_id = $1"
        }
        _ => {
            "SELECT c.name AS name, v.label AS label FROM channels c \
             JOIN versions v ON v.id = c.version_id WHERE c.prompt_set_id = ?"
        }
    };
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [set_id.into()],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name: String = r.try_get("", "name")?;
        let label: String = r.try_get("", "label")?;
        if let Ok(l) = Label::parse(&label) {
            out.push((name, l));
        }
    }
    Ok(out)
}

pub async fn of_set<C: ConnectionTrait>(conn: &C, set_id: &str) -> Result<Vec<ChannelView>> {
    let channels = channel::Entity::find()
        .filter(channel::Column::PromptSetId.eq(set_id))
        .order_by_asc(channel::Column::Name)
        .all(conn)
        .await?;
    let versions = versions::rows_of(conn, set_id).await?;
    Ok(channels
        .into_iter()
        .filter_map(|c| {
            let label = versions
                .iter()
                .find(|v| v.id == c.version_id)?
                .label
                .clone();
            Some(ChannelView { channel: c, label })
        })
        .collect())
}

pub async fn list(
    db: &DatabaseConnection,
    reader: &Reader,
    set_id: &str,
) -> Result<Vec<ChannelView>> {
    let set = reader.set(db, set_id).await?;
    of_set(db, &set.id).await
}

/// A channel and its history, newest move first.
pub async fn get(
    db: &DatabaseConnection,
    reader: &Reader,
    set_id: &str,
    name: &str,
) -> Result<(ChannelView, Vec<Move>)> {
    let set = reader.set(db, set_id).await?;
    let view = of_set(db, &set.id)
        .await?
        .into_iter()
        .find(|c| c.channel.name == name)
        .ok_or_else(|| not_found(&set, name))?;
    let versions = versions::rows_of(db, &set.id).await?;
    let label = |id: &str| {
        versions
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.label.clone())
    };
    let moves = channel_move::Entity::find()
        .filter(channel_move::Column::ChannelId.eq(view.channel.id.clone()))
        .order_by_desc(channel_move::Column::Id)
        .limit(HISTORY_LIMIT)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(Move {
                from: m.from_version_id.as_deref().and_then(label),
                to: label(&m.to_version_id)?,
                moved_by: m.moved_by,
                at: m.created_at,
            })
        })
        .collect();
    Ok((view, moves))
}

/// Points channel `name` of `set` at `target` in `txn` (creating it when `existing` is
/// `None`), recording the move in its history, with its audit and `channel.*` events. The
/// caller has checked roles, yanks and races.
#[allow(clippy::too_many_arguments)]
pub(super) async fn point(
    txn: &sea_orm::DatabaseTransaction,
    actor: &super::audit::AuditActor,
    user: Option<String>,
    set: &prompt_set::Model,
    name: &str,
    target: &version::Model,
    protected: bool,
    existing: Option<channel::Model>,
) -> Result<channel::Model> {
    let at = now();
    let from = existing.as_ref().map(|c| c.version_id.clone());
    let from_label = match &from {
        Some(id) => version::Entity::find_by_id(id.clone())
            .one(txn)
            .await?
            .map(|v| v.label),
        None => None,
    };
    let moved = from.as_deref() != Some(target.id.as_str());
    let payload = super::events::ChannelEvent {
        prompt_set_id: set.id.clone(),
        channel: name.to_string(),
        from: from_label.clone(),
        to: Some(target.label.clone()),
        protected,
    };
    let event = if moved {
        super::events::Event::ChannelMoved(payload)
    } else {
        super::events::Event::ChannelUpdated(payload)
    };
    events::emit(
        txn,
        &set.organisation_id,
        Some(&set.project_id),
        actor,
        &event,
    )
    .await?;
    let c = match existing {
        Some(c) => {
            let mut a: channel::ActiveModel = c.into();
            a.version_id = Set(target.id.clone());
            a.protected = Set(protected);
            a.updated_by = Set(user.clone());
            a.updated_at = Set(at);
            a.update(txn).await?
        }
        None => {
            channel::ActiveModel {
                id: Set(ids::new_id()),
                organisation_id: Set(set.organisation_id.clone()),
                prompt_set_id: Set(set.id.clone()),
                name: Set(name.to_string()),
                version_id: Set(target.id.clone()),
                protected: Set(protected),
                updated_by: Set(user.clone()),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(txn)
            .await?
        }
    };
    if moved {
        channel_move::ActiveModel {
            id: Set(ids::new_id()),
            organisation_id: Set(set.organisation_id.clone()),
            channel_id: Set(c.id.clone()),
            from_version_id: Set(from),
            to_version_id: Set(target.id.clone()),
            moved_by: Set(user),
            created_at: Set(at),
        }
        .insert(txn)
        .await?;
    }
    audit::record(
        txn,
        &set.organisation_id,
        actor,
        if moved { "channel.moved" } else { "channel.updated" },
        ("channel", Some(&c.id)),
        serde_json::json!({"prompt_set": set.slug, "channel": c.name, "from": from_label, "to": target.label, "protected": c.protected}),
    )
    .await?;
    Ok(c)
}

/// Creates or moves a channel (and protects or unprotects it). Returns the channel and
/// whether it was created.
pub async fn put(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    set_id: &str,
    name: &str,
    input: ChannelInput,
) -> Result<(ChannelView, bool)> {
    let set = prompt_sets::get(db, ctx, set_id).await?;
    check_channel_name(name).map_err(|e| Error::invalid("name", e))?;
    let Some(wanted) = input.version.as_deref() else {
        return Err(Error::invalid("version", "is required (a version label)"));
    };
    let label = Label::parse(wanted).map_err(|e| Error::invalid("version", e))?;
    let existing = channel::Entity::find()
        .filter(channel::Column::PromptSetId.eq(set.id.clone()))
        .filter(channel::Column::Name.eq(name))
        .one(db)
        .await?;
    let protect_change = input.protected.is_some_and(|p| {
        existing.as_ref().map(|c| c.protected) != Some(p) && (p || existing.is_some())
    });
    let needs_admin = existing.as_ref().is_some_and(|c| c.protected) || protect_change;
    let what = if protect_change {
        "protect or unprotect a channel"
    } else {
        "move a protected channel"
    };
    prompt_sets::require_release(
        ctx,
        &set,
        if needs_admin { what } else { "move a channel" },
        needs_admin,
    )?;
    let target: version::Model = versions::find_by_label(db, &set.id, &label)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "version",
                format!("prompt set '{}' has no version {label}", set.slug),
            )
        })?;
    refuse_yanked(&target)?;
    let protected = input
        .protected
        .unwrap_or_else(|| existing.as_ref().is_some_and(|c| c.protected));
    if let Some(c) = &existing
        && c.version_id == target.id
        && c.protected == protected
    {
        return Ok((
            ChannelView {
                channel: c.clone(),
                label: target.label,
            },
            false,
        ));
    }
    let name = name.to_string();
    let ctx = ctx.clone();
    let created = existing.is_none();
    let saved = super::write(db, move |txn| {
            Box::pin(async move {
                // Writers queue here; what the checks above saw must still hold.
                events::serialise(txn).await?;
                // A yank serialises on the same row: one that committed since the check
                // above is seen here, so a channel never moves onto a yanked version.
                let target = version::Entity::find_by_id(target.id.clone())
                    .one(txn)
                    .await?
                    .ok_or_else(|| Error::invalid("version", "the version no longer exists"))?;
                refuse_yanked(&target)?;
                let now_there = channel::Entity::find()
                    .filter(channel::Column::PromptSetId.eq(set.id.clone()))
                    .filter(channel::Column::Name.eq(name.clone()))
                    .one(txn)
                    .await?;
                let state = |c: &Option<channel::Model>| {
                    c.as_ref()
                        .map(|c| (c.id.clone(), c.version_id.clone(), c.protected))
                };
                if state(&now_there) != state(&existing) {
                    return Err(Error::Conflict {
                        message: format!(
                            "channel '{name}' changed while this request was moving it; read it again and retry"
                        ),
                        field: None,
                    });
                }
                point(
                    txn,
                    &ctx.actor.audit(),
                    Some(ctx.actor.user_id.clone()),
                    &set,
                    &name,
                    &target,
                    protected,
                    existing,
                )
                .await
            })
        })
        .await?;
    let label = version::Entity::find_by_id(saved.version_id.clone())
        .one(db)
        .await?
        .map(|v| v.label)
        .unwrap_or_default();
    Ok((
        ChannelView {
            channel: saved,
            label,
        },
        created,
    ))
}

/// Deletes a channel and its history (admins and owners).
pub async fn delete(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    set_id: &str,
    name: &str,
) -> Result<()> {
    let set = prompt_sets::get(db, ctx, set_id).await?;
    ctx.require(Action::ManageVersions)?;
    let c = channel::Entity::find()
        .filter(channel::Column::PromptSetId.eq(set.id.clone()))
        .filter(channel::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| not_found(&set, name))?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            events::emit(
                txn,
                &set.organisation_id,
                Some(&set.project_id),
                &ctx.actor.audit(),
                &super::events::Event::ChannelDeleted(super::events::ChannelEvent {
                    prompt_set_id: set.id.clone(),
                    channel: c.name.clone(),
                    from: None,
                    to: None,
                    protected: c.protected,
                }),
            )
            .await?;
            channel_move::Entity::delete_many()
                .filter(channel_move::Column::ChannelId.eq(c.id.clone()))
                .exec(txn)
                .await?;
            channel::Entity::delete_by_id(c.id.clone())
                .exec(txn)
                .await?;
            audit::record(
                txn,
                &set.organisation_id,
                &ctx.actor.audit(),
                "channel.deleted",
                ("channel", Some(&c.id)),
                serde_json::json!({"prompt_set": set.slug, "channel": c.name}),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
