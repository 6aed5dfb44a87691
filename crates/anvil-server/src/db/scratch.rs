//! A PostgreSQL database created for one test suite's forge and dropped with it. The suites
//! of every crate that embeds the forge (the server's, the SDK's, the CLI's) run on SQLite by
//! default and on PostgreSQL when `ANVIL_TEST_POSTGRES_URL` names a server they may create
//! databases on.

use sea_orm::{ConnectionTrait, Database, DbErr};

/// The variable that switches test suites to PostgreSQL.
pub const ENV: &str = "ANVIL_TEST_POSTGRES_URL";

/// A database of its own, dropped (with `FORCE`, ending stray connections) when this is.
#[derive(Debug)]
pub struct ScratchDatabase {
    base: String,
    name: String,
    /// The new database's URL.
    pub url: String,
}

impl ScratchDatabase {
    /// A new database beside the one `base` names (`postgres://user@host:port/postgres`).
    pub async fn create(base: &str) -> Result<ScratchDatabase, DbErr> {
        let (prefix, _) = base
            .rsplit_once('/')
            .ok_or_else(|| DbErr::Custom(format!("'{base}' has no database path")))?;
        let name = format!("anvil_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(base).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let _ = admin.close().await;
        Ok(ScratchDatabase {
            url: format!("{prefix}/{name}"),
            base: base.to_string(),
            name,
        })
    }

    /// A new database when [`ENV`] is set, else `None` (SQLite).
    pub async fn from_env() -> Result<Option<ScratchDatabase>, DbErr> {
        match std::env::var(ENV) {
            Ok(base) if !base.is_empty() => Ok(Some(Self::create(&base).await?)),
            _ => Ok(None),
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // The caller's runtime may be going away with it: drop from a runtime of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&base).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
