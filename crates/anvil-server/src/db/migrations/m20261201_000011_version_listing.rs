//! A covering index for reading a set's versions without their snapshots (resolution on a
//! cache miss, channel labels, version lists). SQLite stores a row's columns in order and a
//! snapshot (often hundreds of KB) sits before `checksum`, `yanked_at` and `created_at`, so
//! reading those from the table walks the snapshot's overflow pages: a set with 100 versions
//! of 50 prompts read 12 MB to list its labels. From this index nothing of the row is read.
//! PostgreSQL keeps large values out of line already; the index costs it little.

use sea_orm_migration::prelude::*;

use super::name;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "ix_versions_listing";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut i = Index::create();
        i.name(INDEX).table(name("versions"));
        for c in [
            "prompt_set_id",
            "created_at",
            "id",
            "label",
            "checksum",
            "yanked_at",
            "description",
        ] {
            i.col(name(c));
        }
        m.create_index(i.to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(name("versions")).to_owned())
            .await
    }
}
