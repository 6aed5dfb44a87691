//! The covering index of version lists ([`super::m20261201_000011_version_listing`]) with
//! `created_by` too: the set page says who cut each version, and a column outside the index
//! sends SQLite back to the row, through the snapshot's overflow pages (the set page with 100
//! versions of 50 prompts went from 4.5 to 16 ms). Replaced, not altered: SQLite cannot add a
//! column to an index.

use sea_orm_migration::prelude::*;

use super::name;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "ix_versions_listing";
const INDEX: &str = "ix_versions_listing_authors";

fn index(name_: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name_).table(name("versions"));
    for c in columns {
        i.col(name(c));
    }
    i.to_owned()
}

const COLUMNS: &[&str] = &[
    "prompt_set_id",
    "created_at",
    "id",
    "label",
    "checksum",
    "yanked_at",
    "description",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut with_authors = COLUMNS.to_vec();
        with_authors.push("created_by");
        m.create_index(index(INDEX, &with_authors)).await?;
        m.drop_index(Index::drop().name(OLD).table(name("versions")).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(OLD, COLUMNS)).await?;
        m.drop_index(Index::drop().name(INDEX).table(name("versions")).to_owned())
            .await
    }
}
