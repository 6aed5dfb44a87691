//! The in-process feed of committed domain events. It tails the events table from the last
//! id it has seen, so it only ever delivers committed rows in id (commit) order, and hands
//! each event to the caches that depend on it. The HTTP layer calls [`Feed::catch_up`] after
//! every successful state-changing request, before the response leaves, so the caller and
//! everyone after see fresh answers; a background tick catches what other processes wrote.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::sync::Mutex;

use super::Result;
use super::delivery::DeliveryCache;

/// One committed event.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    pub id: i64,
    pub organisation_id: String,
    pub project_id: Option<String>,
    pub event_type: String,
    pub payload: serde_json::Value,
    /// `user`, `api_key`, `access_token` or `system`.
    pub actor_type: Option<String>,
    pub actor_id: Option<String>,
    pub occurred_at: time::OffsetDateTime,
}

/// How many events one catch-up reads at most (it loops until it has them all).
const BATCH: i64 = 500;

/// How many events the in-process broadcast holds for its slowest subscriber. One that falls
/// further behind is dropped (it reconnects with `Last-Event-ID` and loses nothing), so a
/// slow reader never holds memory or other readers back.
pub const BROADCAST_CAPACITY: usize = 1024;

/// The columns every reader of the events table selects, in [`FeedEvent::from_row`] order.
pub const COLUMNS: &str =
    "id, organisation_id, project_id, event_type, payload, actor_type, actor_id, created_at";

impl FeedEvent {
    pub fn from_row(r: &sea_orm::QueryResult) -> Result<FeedEvent> {
        Ok(FeedEvent {
            id: r.try_get("", "id")?,
            organisation_id: r.try_get("", "organisation_id")?,
            project_id: r.try_get("", "project_id")?,
            event_type: r.try_get("", "event_type")?,
            payload: r.try_get("", "payload")?,
            actor_type: r.try_get("", "actor_type")?,
            actor_id: r.try_get("", "actor_id")?,
            occurred_at: r.try_get("", "created_at")?,
        })
    }
}

pub struct Feed {
    last_id: Mutex<Option<i64>>,
    /// Tickets of callers that want every commit before their call applied.
    requested: AtomicU64,
    /// Every ticket up to this one is covered by a finished pass.
    covered: AtomicU64,
    /// Passes over the events table so far.
    passes: AtomicU64,
    cache: DeliveryCache,
    keys: super::api_keys::KeyCache,
    /// Every applied event, in id order, for live streams.
    live: tokio::sync::broadcast::Sender<std::sync::Arc<FeedEvent>>,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Feed")
    }
}

impl Feed {
    pub fn new(cache: DeliveryCache, keys: super::api_keys::KeyCache) -> Self {
        Feed {
            last_id: Mutex::new(None),
            requested: AtomicU64::new(0),
            covered: AtomicU64::new(0),
            passes: AtomicU64::new(0),
            cache,
            keys,
            live: tokio::sync::broadcast::channel(BROADCAST_CAPACITY).0,
        }
    }

    /// Every event this feed applies from now on, in id order. A receiver that lags more than
    /// [`BROADCAST_CAPACITY`] events behind gets `Lagged` and should end its stream.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<FeedEvent>> {
        self.live.subscribe()
    }

    /// How many passes over the events table this feed has made.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::SeqCst)
    }

    /// Applies every event committed before this call. Concurrent callers share passes: a
    /// pass that started reading after a caller's call began has seen that caller's commit,
    /// so callers queued behind it return without reading again.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> Result<()> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut last = self.last_id.lock().await;
        if self.covered.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let start = self.requested.load(Ordering::SeqCst);
        self.passes.fetch_add(1, Ordering::SeqCst);
        self.pass(db, &mut last).await?;
        self.covered.fetch_max(start, Ordering::SeqCst);
        Ok(())
    }

    async fn pass(&self, db: &DatabaseConnection, last: &mut Option<i64>) -> Result<()> {
        let backend = db.get_database_backend();
        let Some(mut from) = *last else {
            // First call: start from what exists now; nothing was cached before it.
            let row = db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT last_id FROM event_counter WHERE id = 1",
                ))
                .await?;
            let id = match row {
                Some(r) => r.try_get::<i64>("", "last_id")?,
                None => 0,
            };
            *last = Some(id);
            self.cache.invalidate_everything();
            return Ok(());
        };
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                format!("SELECT {COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2")
            }
            _ => format!("SELECT {COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT ?"),
        };
        loop {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    &sql,
                    [from.into(), BATCH.into()],
                ))
                .await?;
            let n = rows.len();
            for r in rows {
                let e = FeedEvent::from_row(&r)?;
                from = e.id;
                self.cache.apply(&e);
                if e.event_type == "api_key.revoked" {
                    self.keys.invalidate_all();
                }
                // No subscriber is not an error.
                let _ = self.live.send(std::sync::Arc::new(e));
            }
            *last = Some(from);
            if (n as i64) < BATCH {
                return Ok(());
            }
        }
    }
}
