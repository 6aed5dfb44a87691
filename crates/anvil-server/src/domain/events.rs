//! Domain events (`project.created`, `prompt.updated`, ...), written in the mutation's
//! transaction. Ids come from the counter row, incremented in that same transaction, so they
//! are in commit order: a reader who has seen id N has seen every id below N (concurrent
//! writers serialise on the counter row, which is cheap for a prompt registry).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Serialize;

use super::{Error, Result, now};

/// The payload of `project.*` events.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectEvent {
    pub project_id: String,
    pub slug: String,
}

/// The payload of `prompt_set.*` events; `project` is the project's slug.
#[derive(Debug, Clone, Serialize)]
pub struct PromptSetEvent {
    pub prompt_set_id: String,
    pub project: String,
    pub slug: String,
    pub status: String,
}

/// The payload of `prompt.*` events.
#[derive(Debug, Clone, Serialize)]
pub struct PromptEvent {
    pub prompt_id: String,
    pub prompt_set_id: String,
    pub slug: String,
}

/// The payload of `version.*` events.
#[derive(Debug, Clone, Serialize)]
pub struct VersionEvent {
    pub version_id: String,
    pub prompt_set_id: String,
    pub label: String,
    pub checksum: String,
}

/// The payload of `channel.*` events: `from` and `to` are version labels.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelEvent {
    pub prompt_set_id: String,
    pub channel: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub protected: bool,
}

/// The payload of `member.*` events.
#[derive(Debug, Clone, Serialize)]
pub struct MemberEvent {
    pub user_id: String,
    pub role: Option<String>,
}

/// Every domain event of `domain.md`, with its typed payload (serialised at the edge: the
/// events table stores the payload as JSON). `restored` and `purged` are the archive's.
#[derive(Debug, Clone)]
pub enum Event {
    ProjectCreated(ProjectEvent),
    ProjectUpdated(ProjectEvent),
    ProjectDeleted(ProjectEvent),
    ProjectRestored(ProjectEvent),
    ProjectPurged(ProjectEvent),
    PromptSetCreated(PromptSetEvent),
    PromptSetUpdated(PromptSetEvent),
    PromptSetDeleted(PromptSetEvent),
    PromptSetStatusChanged(PromptSetEvent),
    PromptSetRestored(PromptSetEvent),
    PromptSetPurged(PromptSetEvent),
    PromptCreated(PromptEvent),
    PromptUpdated(PromptEvent),
    PromptDeleted(PromptEvent),
    VersionCreated(VersionEvent),
    VersionYanked(VersionEvent),
    VersionUnyanked(VersionEvent),
    ChannelMoved(ChannelEvent),
    ChannelUpdated(ChannelEvent),
    ChannelDeleted(ChannelEvent),
    MemberAdded(MemberEvent),
    MemberRoleChanged(MemberEvent),
    MemberRemoved(MemberEvent),
    ApiKeyRevoked { api_key_id: String },
    AccessTokenRevoked { access_token_id: String },
    OrganisationDeleted { organisation_id: String },
}

impl Event {
    /// The event's type, as stored and as consumers filter on it.
    pub fn kind(&self) -> &'static str {
        use Event::*;
        match self {
            ProjectCreated(_) => "project.created",
            ProjectUpdated(_) => "project.updated",
            ProjectDeleted(_) => "project.deleted",
            ProjectRestored(_) => "project.restored",
            ProjectPurged(_) => "project.purged",
            PromptSetCreated(_) => "prompt_set.created",
            PromptSetUpdated(_) => "prompt_set.updated",
            PromptSetDeleted(_) => "prompt_set.deleted",
            PromptSetStatusChanged(_) => "prompt_set.status_changed",
            PromptSetRestored(_) => "prompt_set.restored",
            PromptSetPurged(_) => "prompt_set.purged",
            PromptCreated(_) => "prompt.created",
            PromptUpdated(_) => "prompt.updated",
            PromptDeleted(_) => "prompt.deleted",
            VersionCreated(_) => "version.created",
            VersionYanked(_) => "version.yanked",
            VersionUnyanked(_) => "version.unyanked",
            ChannelMoved(_) => "channel.moved",
            ChannelUpdated(_) => "channel.updated",
            ChannelDeleted(_) => "channel.deleted",
            MemberAdded(_) => "member.added",
            MemberRoleChanged(_) => "member.role_changed",
            MemberRemoved(_) => "member.removed",
            ApiKeyRevoked { .. } => "api_key.revoked",
            AccessTokenRevoked { .. } => "access_token.revoked",
            OrganisationDeleted { .. } => "organisation.deleted",
        }
    }

    /// The payload as stored.
    pub fn payload(&self) -> serde_json::Value {
        use Event::*;
        let v = match self {
            ProjectCreated(p) | ProjectUpdated(p) | ProjectDeleted(p) | ProjectRestored(p)
            | ProjectPurged(p) => serde_json::to_value(p),
            PromptSetCreated(p)
            | PromptSetUpdated(p)
            | PromptSetDeleted(p)
            | PromptSetStatusChanged(p)
            | PromptSetRestored(p)
            | PromptSetPurged(p) => serde_json::to_value(p),
            PromptCreated(p) | PromptUpdated(p) | PromptDeleted(p) => serde_json::to_value(p),
            VersionCreated(v) | VersionYanked(v) | VersionUnyanked(v) => serde_json::to_value(v),
            ChannelMoved(c) | ChannelUpdated(c) | ChannelDeleted(c) => serde_json::to_value(c),
            MemberAdded(m) | MemberRoleChanged(m) | MemberRemoved(m) => serde_json::to_value(m),
            ApiKeyRevoked { api_key_id } => Ok(serde_json::json!({ "api_key_id": api_key_id })),
            AccessTokenRevoked { access_token_id } => {
                Ok(serde_json::json!({ "access_token_id": access_token_id }))
            }
            OrganisationDeleted { organisation_id } => {
                Ok(serde_json::json!({ "organisation_id": organisation_id }))
            }
        };
        // Plain structs of strings and booleans always serialise.
        v.unwrap_or_default()
    }
}

/// Takes the counter row without using an id, so a transaction that must read before it
/// writes (check, then insert) runs alone among writers: on PostgreSQL it holds the row lock,
/// on SQLite it takes the write lock before the reads instead of failing to upgrade later.
pub async fn serialise<C: ConnectionTrait>(txn: &C) -> Result<()> {
    txn.execute_raw(Statement::from_string(
        txn.get_database_backend(),
        "UPDATE event_counter SET last_id = last_id WHERE id = 1",
    ))
    .await?;
    Ok(())
}

/// Writes one event, with who caused it; returns its id. On PostgreSQL the transaction also
/// sends `NOTIFY anvil_events` (delivered at commit, dropped on rollback): a wake-up for the
/// other instances' feeds, which then read the table themselves.
pub async fn emit<C: ConnectionTrait>(
    txn: &C,
    organisation_id: &str,
    project_id: Option<&str>,
    actor: &super::audit::AuditActor,
    event: &Event,
) -> Result<i64> {
    let (event_type, payload) = (event.kind(), event.payload());
    let backend = txn.get_database_backend();
    let bump = Statement::from_string(
        backend,
        "UPDATE event_counter SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id",
    );
    let row = txn
        .query_one_raw(bump)
        .await?
        .ok_or_else(|| Error::Internal("event counter row is missing".to_string()))?;
    let id: i64 = row.try_get("", "last_id")?;
    let insert = match backend {
        DbBackend::Postgres => {
            "INSERT INTO events (id, organisation_id, project_id, event_type, payload, created_at, actor_type, actor_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        }
        _ => {
            "INSERT INTO events (id, organisation_id, project_id, event_type, payload, created_at, actor_type, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        }
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        insert,
        [
            id.into(),
            organisation_id.into(),
            project_id.map(str::to_string).into(),
            event_type.into(),
            payload.into(),
            now().into(),
            actor.actor_type.into(),
            actor.actor_id.clone().into(),
        ],
    ))
    .await?;
    super::webhooks::enqueue_for(txn, organisation_id, id, event_type).await?;
    if backend == DbBackend::Postgres {
        // PostgreSQL folds identical notifications of one transaction into one.
        txn.execute_raw(Statement::from_string(
            backend,
            format!("NOTIFY {NOTIFY_CHANNEL}"),
        ))
        .await?;
    }
    Ok(id)
}

/// The channel `emit` notifies on PostgreSQL.
pub const NOTIFY_CHANNEL: &str = "anvil_events";
