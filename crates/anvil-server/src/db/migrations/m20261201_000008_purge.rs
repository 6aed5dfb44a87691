//! Purged projects and prompt sets: their content is deleted for good, their row stays as a
//! tombstone (`purged_at`) so the slug stays reserved and an old address never serves new
//! content.

use sea_orm_migration::prelude::*;

use super::name;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["projects", "prompt_sets"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(
                Table::alter()
                    .table(name(t))
                    .add_column(
                        ColumnDef::new(name("purged_at"))
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(
                Table::alter()
                    .table(name(t))
                    .drop_column(name("purged_at"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
