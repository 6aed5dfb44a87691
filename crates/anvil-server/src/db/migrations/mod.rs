//! Schema migrations for the whole data model of `domain.md`, one migration per file (SeaORM
//! names a migration after its file). Ids are UUIDv7 strings, times are timestamps with time
//! zone, JSON documents are JSON columns: the same schema on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261124_000001_accounts;
mod m20261124_000002_organisations;
mod m20261124_000003_content;
mod m20261124_000004_credentials;
mod m20261124_000005_events_and_jobs;
pub(crate) mod m20261125_000006_search;
mod m20261201_000007_integrity;
mod m20261201_000008_purge;
mod m20261201_000009_event_actor;
mod m20261201_000010_webhooks;
mod m20261201_000011_version_listing;
mod m20261202_000012_version_listing_authors;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_accounts::Migration),
            Box::new(m20261124_000002_organisations::Migration),
            Box::new(m20261124_000003_content::Migration),
            Box::new(m20261124_000004_credentials::Migration),
            Box::new(m20261124_000005_events_and_jobs::Migration),
            Box::new(m20261125_000006_search::Migration),
            Box::new(m20261201_000007_integrity::Migration),
            Box::new(m20261201_000008_purge::Migration),
            Box::new(m20261201_000009_event_actor::Migration),
            Box::new(m20261201_000010_webhooks::Migration),
            Box::new(m20261201_000011_version_listing::Migration),
            Box::new(m20261202_000012_version_listing_authors::Migration),
        ]
    }
}

pub(super) fn name(s: &str) -> Alias {
    Alias::new(s)
}

/// A UUID primary key stored as text.
pub(super) fn id() -> ColumnDef {
    ColumnDef::new(name("id"))
        .string_len(36)
        .not_null()
        .primary_key()
        .to_owned()
}

/// A required reference to another table's id.
pub(super) fn reference(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .string_len(36)
        .not_null()
        .to_owned()
}

pub(super) fn reference_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).string_len(36).null().to_owned()
}

pub(super) fn text(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).text().not_null().to_owned()
}

pub(super) fn text_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).text().null().to_owned()
}

pub(super) fn short(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .string_len(255)
        .not_null()
        .to_owned()
}

pub(super) fn short_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).string_len(255).null().to_owned()
}

pub(super) fn flag(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

pub(super) fn ts(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub(super) fn ts_null(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub(super) fn json(col: &str) -> ColumnDef {
    ColumnDef::new(name(col)).json().not_null().to_owned()
}

pub(super) fn integer(col: &str) -> ColumnDef {
    ColumnDef::new(name(col))
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

/// A foreign key from `table.col` to `target.id`.
pub(super) fn fk(table: &str, col: &str, target: &str, cascade: bool) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(name(table), name(col))
        .to(name(target), name("id"))
        .to_owned();
    if cascade {
        f.on_delete(ForeignKeyAction::Cascade);
    }
    f
}

/// Creates a table with its columns and foreign keys.
pub(super) async fn create(
    m: &SchemaManager<'_>,
    table: &str,
    cols: Vec<ColumnDef>,
    fks: Vec<ForeignKeyCreateStatement>,
) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(name(table));
    for mut c in cols {
        t.col(&mut c);
    }
    for mut f in fks {
        t.foreign_key(&mut f);
    }
    m.create_table(t.to_owned()).await
}

/// Creates an index (unique or not) over `cols`.
pub(super) async fn index(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(format!(
        "{}_{}_{}",
        if unique { "uq" } else { "ix" },
        table,
        cols.join("_")
    ))
    .table(name(table));
    for c in cols {
        i.col(name(c));
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}

pub(super) async fn drop(m: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for t in tables {
        m.drop_table(Table::drop().table(name(t)).to_owned())
            .await?;
    }
    Ok(())
}
