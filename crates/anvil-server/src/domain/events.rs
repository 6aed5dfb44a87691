//! Domain events (`project.created`, `prompt.updated`, ...), written in the mutation's
//! transaction. Ids come from the counter row, incremented in that same transaction, so they
//! are in commit order: a reader who has seen id N has seen every id below N (concurrent
//! writers serialise on the counter row, which is cheap for a prompt registry).

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::{Error, Result, now};

/// Takes the counter row without using an id, so a transaction that must read before it
/// writes (check, then insert) runs alone among writers: on PostgreSQL it holds the row lock,
/// on SQLite it takes the write lock before the reads instead of failing to upgrade later.
pub async fn serialise<C: ConnectionTrait>(txn: &C) -> Result<()> {
    txn.execute_raw(Statement::from_string(
        txn.get_database_backend(),
        "UPDATE event_counter SET last_id = last_id WHERE id = 1",
    ))
    .await?;
    Ok(())
}

/// Writes one event; returns its id.
pub async fn emit<C: ConnectionTrait>(
    txn: &C,
    organisation_id: &str,
    project_id: Option<&str>,
    event_type: &str,
    payload: serde_json::Value,
) -> Result<i64> {
    let backend = txn.get_database_backend();
    let bump = Statement::from_string(
        backend,
        "UPDATE event_counter SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id",
    );
    let row = txn
        .query_one_raw(bump)
        .await?
        .ok_or_else(|| Error::Internal("event counter row is missing".to_string()))?;
    let id: i64 = row.try_get("", "last_id")?;
    let insert = match backend {
        DbBackend::Postgres => {
            "INSERT INTO events (id, organisation_id, project_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        }
        _ => {
            "INSERT INTO events (id, organisation_id, project_id, event_type, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        }
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        insert,
        [
            id.into(),
            organisation_id.into(),
            project_id.map(str::to_string).into(),
            event_type.into(),
            payload.into(),
            now().into(),
        ],
    ))
    .await?;
    Ok(id)
}
