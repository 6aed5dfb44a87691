//! Who caused each domain event: the `actor` of the event envelope that streams and webhooks
//! send (`user`, `api_key`, `access_token` or `system`, with its id).

use sea_orm_migration::prelude::*;

use super::name;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["actor_type", "actor_id"] {
            m.alter_table(
                Table::alter()
                    .table(name("events"))
                    .add_column(ColumnDef::new(name(column)).string().null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["actor_id", "actor_type"] {
            m.alter_table(
                Table::alter()
                    .table(name("events"))
                    .drop_column(name(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
