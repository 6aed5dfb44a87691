//! Reading the audit log (admins of the organisation).

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::Result;
use super::access::{Action, OrgContext};
use super::page::{Page, Paged};
use crate::domain::entities::audit_event;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An actor id (user, API key).
    pub actor: Option<String>,
    /// A resource type (`organisation`, `api_key`) or a resource id.
    pub resource: Option<String>,
    pub action: Option<String>,
    pub since: Option<time::OffsetDateTime>,
}

/// The organisation's audit events, newest first.
pub async fn list(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    f: &Filter,
    page: &Page,
) -> Result<Paged<audit_event::Model>> {
    ctx.require(Action::ReadAudit)?;
    let mut q = audit_event::Entity::find()
        .filter(audit_event::Column::OrganisationId.eq(ctx.organisation.id.clone()));
    if let Some(a) = &f.actor {
        q = q.filter(audit_event::Column::ActorId.eq(a.clone()));
    }
    if let Some(r) = &f.resource {
        q = q.filter(
            sea_orm::Condition::any()
                .add(audit_event::Column::ResourceType.eq(r.clone()))
                .add(audit_event::Column::ResourceId.eq(r.clone())),
        );
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_event::Column::Action.eq(a.clone()));
    }
    if let Some(s) = f.since {
        q = q.filter(audit_event::Column::CreatedAt.gte(s));
    }
    super::page::read(
        db,
        q,
        audit_event::Column::Id,
        super::page::Order::NewestFirst,
        page,
    )
    .await
}
