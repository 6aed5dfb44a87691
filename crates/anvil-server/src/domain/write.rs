//! The one way a domain service writes: a transaction that takes the write lock up front.
//!
//! On SQLite a deferred transaction that reads and then writes fails with `SQLITE_BUSY_SNAPSHOT`
//! (code 517) when another connection committed in between, and no busy timeout can fix that.
//! Starting every write transaction as `BEGIN IMMEDIATE` makes concurrent writers wait their
//! turn (up to the busy timeout) instead. PostgreSQL ignores the option.
//!
//! A unique index that a concurrent request won the race for becomes a 409 naming the field
//! (see `From<DbErr> for Error`), so check-then-insert code stays correct under concurrency.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use super::Result;

/// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite). Dropping it uncommitted rolls
/// it back.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?)
}

/// Runs `f` in a write transaction: committed when it returns `Ok`, rolled back completely
/// when it returns an error.
pub async fn write<T, F>(db: &DatabaseConnection, f: F) -> Result<T>
where
    F: for<'c> FnOnce(
            &'c DatabaseTransaction,
        ) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>
        + Send,
    T: Send,
{
    let txn = begin(db).await?;
    match f(&txn).await {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed write failed");
            }
            Err(e)
        }
    }
}

/// What a mutation leaves besides its rows: its audit event and its domain event.
pub struct Trail<'a> {
    pub organisation_id: &'a str,
    pub project_id: Option<&'a str>,
    pub actor: &'a super::audit::AuditActor,
    /// (resource type, id).
    pub resource: (&'a str, &'a str),
    /// (audit action, what changed).
    pub audit: (&'a str, serde_json::Value),
    pub event: super::events::Event,
}

/// Writes a mutation's audit event and domain event in its transaction.
pub async fn trail<C: sea_orm::ConnectionTrait>(txn: &C, t: Trail<'_>) -> Result<()> {
    super::audit::record(
        txn,
        t.organisation_id,
        t.actor,
        t.audit.0,
        (t.resource.0, Some(t.resource.1)),
        t.audit.1,
    )
    .await?;
    super::events::emit(txn, t.organisation_id, t.project_id, t.actor, &t.event).await?;
    Ok(())
}
