//! Audit events, domain events with their commit-ordered counter, and the jobs table.

use sea_orm_migration::prelude::*;

use super::{
    create, drop, fk, id, index, integer, json, name, reference, reference_null, short, short_null,
    text_null, ts, ts_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            "audit_events",
            vec![
                id(),
                reference("organisation_id"),
                // user | api_key | access_token | system
                short("actor_type"),
                reference_null("actor_id"),
                short("action"),
                short("resource_type"),
                reference_null("resource_id"),
                short_null("ip"),
                text_null("user_agent"),
                json("changes"),
                ts("created_at"),
            ],
            vec![fk("audit_events", "organisation_id", "organisations", true)],
        )
        .await?;
        index(m, "audit_events", &["organisation_id", "created_at"], false).await?;

        // Event ids come from this counter row, incremented inside the mutation's transaction,
        // so ids are in commit order (a reader who saw id N has seen every id below N).
        create(
            m,
            "event_counter",
            vec![
                ColumnDef::new(name("id"))
                    .integer()
                    .not_null()
                    .primary_key()
                    .to_owned(),
                integer("last_id"),
            ],
            vec![],
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(name("event_counter"))
                .columns([name("id"), name("last_id")])
                .values_panic([1.into(), 0.into()])
                .to_owned(),
        )
        .await?;

        create(
            m,
            "events",
            vec![
                ColumnDef::new(name("id"))
                    .big_integer()
                    .not_null()
                    .primary_key()
                    .to_owned(),
                reference("organisation_id"),
                reference_null("project_id"),
                short("event_type"),
                json("payload"),
                ts("created_at"),
            ],
            vec![fk("events", "organisation_id", "organisations", true)],
        )
        .await?;
        index(m, "events", &["organisation_id", "id"], false).await?;

        create(
            m,
            "jobs",
            vec![
                id(),
                short("kind"),
                json("payload"),
                // pending | running | done | failed
                short("status"),
                integer("attempts"),
                ts("run_at"),
                ts_null("locked_until"),
                text_null("last_error"),
                ts("created_at"),
                ts("updated_at"),
            ],
            vec![],
        )
        .await?;
        index(m, "jobs", &["status", "run_at"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["jobs", "events", "event_counter", "audit_events"]).await
    }
}
