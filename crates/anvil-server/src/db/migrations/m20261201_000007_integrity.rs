//! Integrity the application used to keep by care, now kept by the schema:
//! - live names are unique at their level (archived siblings free their name, so these are
//!   partial indexes), which makes concurrent creates and renames with one name a conflict
//!   the database decides;
//! - a prompt set belongs to its project's organisation, and a prompt to its set's, so no
//!   bug in a query can file content under another tenant (a composite foreign key on
//!   PostgreSQL, triggers on SQLite, which cannot add constraints to existing tables).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const LIVE_NAMES: [&str; 2] = [
    "CREATE UNIQUE INDEX uq_projects_live_name ON projects (organisation_id, name) WHERE archived_at IS NULL",
    "CREATE UNIQUE INDEX uq_prompt_sets_live_name ON prompt_sets (project_id, name) WHERE archived_at IS NULL",
];

/// (child table, its parent reference, parent table)
const SAME_TENANT: [(&str, &str, &str); 2] = [
    ("prompt_sets", "project_id", "projects"),
    ("prompts", "prompt_set_id", "prompt_sets"),
];

fn postgres_up() -> Vec<String> {
    let mut out = Vec::new();
    for (child, column, parent) in SAME_TENANT {
        out.push(format!(
            "ALTER TABLE {parent} ADD CONSTRAINT uq_{parent}_id_organisation UNIQUE (id, organisation_id)"
        ));
        out.push(format!(
            "ALTER TABLE {child} ADD CONSTRAINT fk_{child}_same_organisation \
             FOREIGN KEY ({column}, organisation_id) REFERENCES {parent} (id, organisation_id)"
        ));
    }
    out
}

fn sqlite_up() -> Vec<String> {
    let mut out = Vec::new();
    for (child, column, parent) in SAME_TENANT {
        for event in ["INSERT", "UPDATE"] {
            out.push(format!(
                "CREATE TRIGGER {child}_same_organisation_{} BEFORE {event} ON {child} \
                 WHEN (SELECT organisation_id FROM {parent} WHERE id = NEW.{column}) IS NOT NEW.organisation_id \
                 BEGIN SELECT RAISE(ABORT, '{child}.organisation_id must be its {parent} row''s organisation'); END",
                event.to_lowercase()
            ));
        }
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let tenant = match db.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        for sql in LIVE_NAMES.iter().map(|s| String::from(*s)).chain(tenant) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let mut sql = vec![
            "DROP INDEX uq_projects_live_name".to_string(),
            "DROP INDEX uq_prompt_sets_live_name".to_string(),
        ];
        for (child, _, parent) in SAME_TENANT.iter().rev() {
            match db.get_database_backend() {
                DbBackend::Postgres => {
                    sql.push(format!(
                        "ALTER TABLE {child} DROP CONSTRAINT fk_{child}_same_organisation"
                    ));
                    sql.push(format!(
                        "ALTER TABLE {parent} DROP CONSTRAINT uq_{parent}_id_organisation"
                    ));
                }
                _ => {
                    for event in ["insert", "update"] {
                        sql.push(format!("DROP TRIGGER {child}_same_organisation_{event}"));
                    }
                }
            }
        }
        for s in sql {
            db.execute_unprepared(&s).await?;
        }
        Ok(())
    }
}
