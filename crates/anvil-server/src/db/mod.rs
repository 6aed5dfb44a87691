//! Database connection (SQLite by default, PostgreSQL by URL) and migrations. The entities
//! live inside `domain`, private to it.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;

use crate::config::Config;

pub mod migrations;
pub mod scratch;

pub use migrations::Migrator;

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(DbErr),
    #[error("migrations failed: {0}")]
    Migrate(DbErr),
}

/// The connection URL: the configured one, or a SQLite file in the data directory.
pub fn database_url(config: &Config) -> Result<String, DbSetupError> {
    match &config.database_url {
        Some(url) => Ok(url.expose().to_string()),
        None => {
            std::fs::create_dir_all(&config.data_dir).map_err(|source| DbSetupError::DataDir {
                path: config.data_dir.clone(),
                source,
            })?;
            let path = config.data_dir.join("anvil.db");
            Ok(format!("sqlite://{}?mode=rwc", path.display()))
        }
    }
}

/// Connects. SQLite connections get WAL mode, a busy timeout and foreign keys on every
/// connection of the pool.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbSetupError> {
    let url = database_url(config)?;
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(16)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    Database::connect(opts).await.map_err(DbSetupError::Connect)
}

/// Runs pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None).await.map_err(DbSetupError::Migrate)
}

/// True when every migration has been applied.
pub async fn migrations_current(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgresql",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// (open, idle) connections of the pool.
pub fn pool_stats(db: &DatabaseConnection) -> Option<(u32, usize)> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            Some((p.size(), p.num_idle()))
        }
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            Some((p.size(), p.num_idle()))
        }
        _ => None,
    }
}
