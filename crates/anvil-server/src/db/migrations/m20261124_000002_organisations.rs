//! Organisations (tenants), memberships with roles, and invitations.

use sea_orm_migration::prelude::*;

use super::{create, drop, fk, flag, id, index, reference, short, text, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            "organisations",
            vec![
                id(),
                text("name"),
                short("slug"),
                text("description"),
                flag("personal"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("deleted_at"),
            ],
            vec![],
        )
        .await?;
        index(m, "organisations", &["slug"], true).await?;

        create(
            m,
            "memberships",
            vec![
                id(),
                reference("organisation_id"),
                reference("user_id"),
                // owner | admin | member
                short("role"),
                ts("created_at"),
                ts("updated_at"),
            ],
            vec![
                fk("memberships", "organisation_id", "organisations", true),
                fk("memberships", "user_id", "users", true),
            ],
        )
        .await?;
        index(m, "memberships", &["organisation_id", "user_id"], true).await?;
        index(m, "memberships", &["user_id"], false).await?;

        create(
            m,
            "invitations",
            vec![
                id(),
                reference("organisation_id"),
                short("email"),
                short("role"),
                short("token_hash"),
                reference("invited_by"),
                ts("expires_at"),
                ts_null("accepted_at"),
                ts_null("revoked_at"),
                ts("created_at"),
            ],
            vec![
                fk("invitations", "organisation_id", "organisations", true),
                fk("invitations", "invited_by", "users", true),
            ],
        )
        .await?;
        index(m, "invitations", &["token_hash"], true).await?;
        index(m, "invitations", &["organisation_id", "email"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["invitations", "memberships", "organisations"]).await
    }
}
