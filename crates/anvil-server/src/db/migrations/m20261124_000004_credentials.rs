//! API keys (a user acting in one organisation) and project access tokens (read-only).

use sea_orm_migration::prelude::*;

use super::{create, drop, fk, id, index, reference, reference_null, short, text, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            "api_keys",
            vec![
                id(),
                reference("organisation_id"),
                reference("user_id"),
                text("name"),
                short("prefix"),
                // sha256 of the key: keys are high-entropy, so a fast hash is right.
                short("key_hash"),
                // Comma-separated: read, write, admin.
                short("scopes"),
                ts_null("last_used_at"),
                ts_null("expires_at"),
                ts_null("revoked_at"),
                ts("created_at"),
            ],
            vec![
                fk("api_keys", "organisation_id", "organisations", true),
                fk("api_keys", "user_id", "users", true),
            ],
        )
        .await?;
        index(m, "api_keys", &["key_hash"], true).await?;
        index(m, "api_keys", &["organisation_id"], false).await?;

        create(
            m,
            "access_tokens",
            vec![
                id(),
                reference("organisation_id"),
                reference("project_id"),
                text("name"),
                short("prefix"),
                short("token_hash"),
                reference_null("created_by"),
                ts_null("last_used_at"),
                ts_null("revoked_at"),
                ts("created_at"),
            ],
            vec![
                fk("access_tokens", "organisation_id", "organisations", true),
                fk("access_tokens", "project_id", "projects", true),
            ],
        )
        .await?;
        index(m, "access_tokens", &["token_hash"], true).await?;
        index(m, "access_tokens", &["project_id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["access_tokens", "api_keys"]).await
    }
}
