//! Audit events: who did what to which resource, written in the mutation's transaction.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use super::{Result, ids::new_id, now};
use crate::domain::entities::audit_event;

/// Who performed an action, as recorded in the audit log.
#[derive(Debug, Clone)]
pub struct AuditActor {
    pub actor_type: &'static str,
    pub actor_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Records one audit event on `conn` (the transaction of the mutation it describes).
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    organisation_id: &str,
    actor: &AuditActor,
    action: &str,
    resource: (&str, Option<&str>),
    changes: serde_json::Value,
) -> Result<()> {
    audit_event::ActiveModel {
        id: Set(new_id()),
        organisation_id: Set(organisation_id.to_string()),
        actor_type: Set(actor.actor_type.to_string()),
        actor_id: Set(actor.actor_id.clone()),
        action: Set(action.to_string()),
        resource_type: Set(resource.0.to_string()),
        resource_id: Set(resource.1.map(str::to_string)),
        ip: Set(actor.ip.clone()),
        user_agent: Set(actor.user_agent.clone()),
        changes: Set(changes),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}
