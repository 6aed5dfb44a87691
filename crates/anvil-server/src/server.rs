//! Starting and stopping the forge.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::db;
use crate::domain::secrets;
use crate::http::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbSetupError),
    #[error("cannot read or create the secret key in {path}: {source}")]
    SecretKey {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("mail: {0}")]
    Mail(String),
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// How often the feed looks for events that other processes committed.
const FEED_TICK: Duration = Duration::from_secs(2);

/// A forge bound to its address, with migrations applied, ready to serve.
pub struct Forge {
    listener: TcpListener,
    state: AppState,
}

impl Forge {
    /// Connects to the database, runs pending migrations, loads the secret key and binds.
    pub async fn build(config: Config) -> Result<Forge, StartError> {
        let database = db::connect(&config).await?;
        db::migrate(&database).await?;
        let key = secrets::load_or_create_secret_key(
            config.secret_key.as_ref().map(|s| s.expose()),
            &config.data_dir,
        )
        .map_err(|source| StartError::SecretKey {
            path: config.data_dir.clone(),
            source,
        })?;
        let mailer = crate::domain::mail::Mailer::new(
            config.smtp_url.as_ref().map(|s| s.expose()),
            &config.mail_from,
            &config.data_dir,
        )
        .map_err(StartError::Mail)?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        if config.env == crate::config::Environment::Development && !config.bind.ip().is_loopback()
        {
            let warning = format!(
                "DEVELOPMENT MODE on {}, a non-loopback address: relaxed cookies, and mail \
                 kept for /dev/mailbox (served to this machine only). Set ANVIL_ENV=production \
                 and public_url for anything other machines reach.",
                config.bind
            );
            tracing::warn!("{warning}");
            eprintln!("WARNING: {warning}");
        }
        let state = AppState::new(database, config, key, mailer);
        state
            .feed
            .catch_up(&state.db)
            .await
            .map_err(|e| StartError::Serve(std::io::Error::other(e.to_string())))?;
        Ok(Forge { listener, state })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, gives in-flight requests the
    /// configured grace period, and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let grace = Duration::from_secs(self.state.config.shutdown_grace_seconds);
        let db = self.state.db.clone();
        // Events committed by other processes (other instances on the same PostgreSQL) reach
        // this instance's caches within a tick.
        let feed = self.state.feed.clone();
        let feed_db = db.clone();
        let metrics = self.state.metrics.clone();
        let ticker = tokio::spawn(async move {
            let mut tick = tokio::time::interval(FEED_TICK);
            loop {
                tick.tick().await;
                metrics.upkeep();
                if let Err(e) = feed.catch_up(&feed_db).await {
                    tracing::warn!(error = %e, "reading committed events failed");
                }
            }
        });
        // On PostgreSQL other instances' commits arrive as notifications: catch up at once.
        let listener = self
            .state
            .config
            .database_url
            .as_ref()
            .filter(|_| db.get_database_backend() == sea_orm::DbBackend::Postgres)
            .map(|url| {
                tokio::spawn(listen_for_events(
                    url.expose().to_string(),
                    self.state.feed.clone(),
                    db.clone(),
                ))
            });
        let (stop_jobs, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(
            crate::domain::jobs::Runner {
                db: db.clone(),
                mailer: self.state.mailer.clone(),
                base_url: self.state.base_url(),
                jobs: self.state.jobs.clone(),
                secret_key: self.state.secret_key.clone(),
                webhook_allowed_hosts: self.state.config.webhook_allowed_hosts.clone(),
            }
            .run(async move {
                let _ = jobs_stopped.await;
            }),
        );
        let state = self.state.clone();
        let app = http::router(self.state);
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let serve = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Event streams end now: graceful shutdown waits for open responses.
            state.stopping.send_replace(true);
            let _ = stopped_tx.send(());
        });
        let serve = tokio::spawn(async move { serve.await });
        // Once shutdown begins, in-flight requests get `grace` to finish.
        let result = tokio::select! {
            r = serve => r.map_err(|e| StartError::Serve(std::io::Error::other(e)))?.map_err(StartError::Serve),
            _ = async {
                let _ = stopped_rx.await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("shutdown grace period over; dropping in-flight requests");
                Ok(())
            }
        };
        ticker.abort();
        if let Some(l) = listener {
            l.abort();
        }
        // A job being run finishes (or its lease lets another instance take it later).
        let _ = stop_jobs.send(());
        let _ = tokio::time::timeout(grace, worker).await;
        let _ = db.close().await;
        result
    }
}

/// Listens for `NOTIFY anvil_events` on a dedicated connection and runs the feed's catch-up
/// on each one. A notification is only a wake-up (the feed reads the table itself), and
/// notifications sent while the connection is down are lost: after every (re)connect the
/// feed catches up, and the poll tick stays as the safety net.
async fn listen_for_events(
    url: String,
    feed: std::sync::Arc<crate::domain::feed::Feed>,
    db: sea_orm::DatabaseConnection,
) {
    use sea_orm::sqlx::postgres::PgListener;
    let catch_up = || async {
        if let Err(e) = feed.catch_up(&db).await {
            tracing::warn!(error = %e, "reading committed events failed");
        }
    };
    let mut backoff = Duration::from_millis(100);
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => {
                match listener.listen(crate::domain::events::NOTIFY_CHANNEL).await {
                    Ok(()) => {
                        backoff = Duration::from_millis(100);
                        catch_up().await;
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(_)) => catch_up().await,
                                // The connection dropped; the next call reconnects. What was
                                // sent meanwhile is read by this catch-up or the next.
                                Ok(None) => catch_up().await,
                                Err(e) => {
                                    tracing::warn!(error = %e, "event listener failed");
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "LISTEN anvil_events failed"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the event listener"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
