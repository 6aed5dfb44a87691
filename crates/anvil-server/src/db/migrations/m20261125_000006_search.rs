//! Full-text search over projects, prompt sets and prompts: PostgreSQL expression GIN indexes
//! with the `simple` configuration; SQLite FTS5 tables (`unicode61`) over the same rows as
//! their own copy of the text, kept current by triggers.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, indexed columns)
const TABLES: [(&str, &[&str]); 3] = [
    ("projects", &["name", "description"]),
    ("prompt_sets", &["name", "description"]),
    ("prompts", &["name", "description", "template"]),
];

/// The text PostgreSQL indexes for a table: its columns joined by spaces.
pub fn pg_document(columns: &[&str]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| format!("coalesce({c}, '')"))
        .collect();
    format!("to_tsvector('simple', {})", parts.join(" || ' ' || "))
}

/// A self-contained FTS5 table per content table, keyed by the row's id (an external-content
/// table would key on SQLite's implicit rowid, which VACUUM may renumber for tables whose
/// primary key is not an integer).
fn sqlite_statements(table: &str, columns: &[&str]) -> Vec<String> {
    let fts = format!("{table}_fts");
    let cols = columns.join(", ");
    let values = |side: &str| -> String {
        columns
            .iter()
            .map(|c| format!("{side}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sets: Vec<String> = columns.iter().map(|c| format!("{c} = new.{c}")).collect();
    vec![
        format!(
            "CREATE VIRTUAL TABLE {fts} USING fts5(id UNINDEXED, {cols}, tokenize='unicode61')"
        ),
        format!(
            "CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN INSERT INTO {fts}(id, {cols}) VALUES (new.id, {}); END",
            values("new")
        ),
        format!(
            "CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN DELETE FROM {fts} WHERE id = old.id; END"
        ),
        format!(
            "CREATE TRIGGER {table}_fts_au AFTER UPDATE ON {table} BEGIN UPDATE {fts} SET {} WHERE id = old.id; END",
            sets.join(", ")
        ),
        format!("INSERT INTO {fts}(id, {cols}) SELECT id, {cols} FROM {table}"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (table, columns) in TABLES {
            let statements = match db.get_database_backend() {
                DbBackend::Postgres => vec![format!(
                    "CREATE INDEX {table}_search ON {table} USING GIN ({})",
                    pg_document(columns)
                )],
                _ => sqlite_statements(table, columns),
            };
            for s in statements {
                db.execute_unprepared(&s).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (table, _) in TABLES {
            let statements = match db.get_database_backend() {
                DbBackend::Postgres => vec![format!("DROP INDEX IF EXISTS {table}_search")],
                _ => vec![
                    format!("DROP TRIGGER IF EXISTS {table}_fts_ai"),
                    format!("DROP TRIGGER IF EXISTS {table}_fts_ad"),
                    format!("DROP TRIGGER IF EXISTS {table}_fts_au"),
                    format!("DROP TABLE IF EXISTS {table}_fts"),
                ],
            };
            for s in statements {
                db.execute_unprepared(&s).await?;
            }
        }
        Ok(())
    }
}
