//! Webhooks (an organisation's HTTP receivers of its events) and the log of every delivery
//! attempt. The signing secret is stored encrypted (it must be recoverable to sign).

use sea_orm_migration::prelude::*;

use super::{
    create, drop, fk, flag, id, index, integer, json, reference, reference_null, text, text_null,
    ts, ts_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            "webhooks",
            vec![
                id(),
                reference("organisation_id"),
                text("url"),
                // The event types and prefixes (`channel.*`) it receives.
                json("event_types"),
                // Nonce and ciphertext of the signing secret, base64.
                text("secret_sealed"),
                flag("active"),
                reference_null("created_by"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("deleted_at"),
            ],
            vec![fk("webhooks", "organisation_id", "organisations", true)],
        )
        .await?;
        index(m, "webhooks", &["organisation_id"], false).await?;
        create(
            m,
            "webhook_deliveries",
            vec![
                id(),
                reference("organisation_id"),
                reference("webhook_id"),
                integer("event_id"),
                text("event_type"),
                integer("attempt"),
                ColumnDef::new(Alias::new("status_code"))
                    .big_integer()
                    .null()
                    .to_owned(),
                integer("duration_ms"),
                text_null("error"),
                ts("created_at"),
            ],
            vec![
                fk(
                    "webhook_deliveries",
                    "organisation_id",
                    "organisations",
                    true,
                ),
                fk("webhook_deliveries", "webhook_id", "webhooks", true),
            ],
        )
        .await?;
        index(m, "webhook_deliveries", &["webhook_id", "id"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["webhook_deliveries", "webhooks"]).await
    }
}
