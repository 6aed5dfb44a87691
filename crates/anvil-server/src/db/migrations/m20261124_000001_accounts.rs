//! Users, their sessions and one-time tokens (email confirmation, magic links, password reset).

use sea_orm_migration::prelude::*;

use super::{
    create, drop, fk, flag, id, index, reference, reference_null, short, short_null, text,
    text_null, ts, ts_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            "users",
            vec![
                id(),
                // Stored lowercased, so the unique index is case-insensitive.
                short("email"),
                text("name"),
                text_null("hashed_password"),
                ts_null("confirmed_at"),
                ts("created_at"),
                ts("updated_at"),
            ],
            vec![],
        )
        .await?;
        index(m, "users", &["email"], true).await?;

        create(
            m,
            "sessions",
            vec![
                id(),
                reference("user_id"),
                short("token_hash"),
                flag("remember"),
                text_null("user_agent"),
                short_null("ip"),
                ts("created_at"),
                ts("last_seen_at"),
                ts("expires_at"),
            ],
            vec![fk("sessions", "user_id", "users", true)],
        )
        .await?;
        index(m, "sessions", &["token_hash"], true).await?;
        index(m, "sessions", &["user_id"], false).await?;

        create(
            m,
            "one_time_tokens",
            vec![
                id(),
                reference_null("user_id"),
                short("email"),
                // confirm_email | magic_link | password_reset
                short("purpose"),
                short("token_hash"),
                ts("expires_at"),
                ts_null("used_at"),
                ts("created_at"),
            ],
            vec![fk("one_time_tokens", "user_id", "users", true)],
        )
        .await?;
        index(m, "one_time_tokens", &["token_hash"], true).await?;
        index(m, "one_time_tokens", &["email", "purpose"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["one_time_tokens", "sessions", "users"]).await
    }
}
