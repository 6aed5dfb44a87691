//! Background jobs: rows in the `jobs` table, written in the transaction of the request that
//! wants them and run by one worker per instance. A claim is a single UPDATE of the next due
//! row (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances never take the same job; a
//! `BEGIN IMMEDIATE` transaction on SQLite). A claim holds a lease: a job whose instance died
//! mid-run is claimed again when the lease ends, so jobs survive restarts. Failures retry
//! with exponential backoff and jitter, up to [`MAX_ATTEMPTS`].

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Set, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::{Result, ids, mail, now, tokens};
use crate::domain::entities::job;

/// Attempts before a job is marked failed.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claim lasts before another worker may take the job.
const LEASE: time::Duration = time::Duration::minutes(5);
/// How often the worker looks for due jobs when nothing woke it.
const POLL: Duration = Duration::from_secs(1);

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Send a message as it is.
    Mail { message: mail::Message },
    /// Mail a sign-in or password-reset link to `email` if it has an account. The token is
    /// made when the job runs, so no secret waits in the table, and a request for an
    /// unknown address costs the requester exactly what a known one does.
    AccountLink {
        purpose: tokens::LinkPurpose,
        email: String,
    },
    /// Deliver event `event_id` to webhook `webhook_id`.
    Webhook { webhook_id: String, event_id: i64 },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::Mail { .. } => "mail",
            Job::AccountLink { .. } => "account_link",
            Job::Webhook { .. } => "webhook",
        }
    }
}

/// Queues `job` on `conn` (a transaction, so the job commits with the change that wants it).
/// Call [`Jobs::wake`] after the commit to run it at once.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, job: &Job) -> Result<()> {
    let at = now();
    job::ActiveModel {
        id: Set(ids::new_id()),
        kind: Set(job.kind().to_string()),
        payload: Set(serde_json::to_value(job)
            .map_err(|e| super::Error::Internal(format!("job payload: {e}")))?),
        status: Set("pending".to_string()),
        attempts: Set(0),
        run_at: Set(at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The worker's doorbell, shared by everything that queues jobs on this instance.
#[derive(Debug, Default)]
pub struct Jobs {
    wake: Notify,
}

impl Jobs {
    /// Tells the worker that a job was committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// What running a job needs.
pub struct Runner {
    pub db: DatabaseConnection,
    pub mailer: Arc<mail::Mailer>,
    pub base_url: String,
    pub jobs: Arc<Jobs>,
    /// Opens webhook secrets.
    pub secret_key: Arc<Vec<u8>>,
    pub webhook_allowed_hosts: Vec<String>,
}

/// A claimed job.
struct Claimed {
    id: String,
    payload: serde_json::Value,
    attempts: i64,
}

/// The delay before attempt `attempts + 1`: 2 s doubling up to an hour, ±25% jitter so
/// retries of many jobs do not arrive together.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 12) - 1;
    let base = (2.0_f64 * 2.0_f64.powi(exp as i32)).min(3600.0);
    let jitter = rand::rng().random_range(0.75..1.25);
    Duration::from_secs_f64(base * jitter)
}

impl Runner {
    /// Runs due jobs until `stop` resolves.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            loop {
                match self.claim().await {
                    Ok(Some(job)) => self.finish(job).await,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming a job failed");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = self.jobs.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    async fn claim(&self) -> Result<Option<Claimed>> {
        let backend = self.db.get_database_backend();
        let at = now();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
                 WHERE id = (SELECT id FROM jobs \
                   WHERE (status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2) \
                   ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, payload, attempts"
            }
            _ => {
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = ?1, updated_at = ?2 \
                 WHERE id = (SELECT id FROM jobs \
                   WHERE (status = 'pending' AND run_at <= ?2) OR (status = 'running' AND locked_until < ?2) \
                   ORDER BY run_at, id LIMIT 1) \
                 RETURNING id, payload, attempts"
            }
        };
        let txn = super::write::begin(&self.db).await?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [(at + LEASE).into(), at.into()],
            ))
            .await?;
        txn.commit().await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Claimed {
            id: row.try_get("", "id")?,
            payload: row.try_get("", "payload")?,
            attempts: row.try_get("", "attempts")?,
        }))
    }

    async fn finish(&self, claimed: Claimed) {
        let outcome = match serde_json::from_value::<Job>(claimed.payload.clone()) {
            Ok(job) => self.perform(job, claimed.attempts).await,
            Err(e) => Err(super::Error::Internal(format!("unreadable job: {e}"))),
        };
        // If the row cannot be read back, the lease runs out and the job is claimed again.
        let row = match job::Entity::find_by_id(claimed.id.clone())
            .one(&self.db)
            .await
        {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(job = %claimed.id, error = %e, "reading a finished job failed");
                return;
            }
        };
        let mut active: job::ActiveModel = row.into();
        let at = now();
        active.updated_at = Set(at);
        active.locked_until = Set(None);
        match outcome {
            Ok(()) => {
                active.status = Set("done".to_string());
                // A sent message may hold a token; it has no business staying here.
                active.payload = Set(serde_json::json!({}));
                active.last_error = Set(None);
            }
            Err(e) => {
                let error = e.to_string();
                tracing::warn!(job = %claimed.id, attempt = claimed.attempts, error = %error, "job failed");
                if claimed.attempts >= MAX_ATTEMPTS {
                    active.status = Set("failed".to_string());
                    active.payload = Set(serde_json::json!({}));
                } else {
                    active.status = Set("pending".to_string());
                    let wait = backoff(claimed.attempts);
                    active.run_at = Set(at + wait);
                }
                active.last_error = Set(Some(error.chars().take(2000).collect()));
            }
        }
        if let Err(e) = active.update(&self.db).await {
            tracing::warn!(job = %claimed.id, error = %e, "recording a job's outcome failed");
        }
    }

    async fn perform(&self, job: Job, attempt: i64) -> Result<()> {
        match job {
            Job::Webhook {
                webhook_id,
                event_id,
            } => {
                super::webhooks::Deliverer {
                    db: &self.db,
                    secret_key: &self.secret_key,
                    allowed_hosts: &self.webhook_allowed_hosts,
                }
                .deliver(&webhook_id, event_id, attempt)
                .await
            }
            Job::Mail { message } => self.mailer.send(&message).await,
            Job::AccountLink { purpose, email } => {
                tokens::mail_link(&self.db, &self.mailer, &self.base_url, purpose, &email).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_growing_at_an_hour() {
        for attempts in 1..=20 {
            let base = (2.0 * 2.0_f64.powi((attempts.min(12) - 1) as i32)).min(3600.0);
            let d = backoff(attempts).as_secs_f64();
            assert!(d >= base * 0.75 && d <= base * 1.25, "{attempts}: {d}");
        }
    }

    #[test]
    fn jobs_round_trip_through_their_payload() {
        let job = Job::AccountLink {
            purpose: tokens::LinkPurpose::MagicLink,
            email: "ada@example.com".into(),
        };
        let v = serde_json::to_value(&job).unwrap_or_default();
        assert_eq!(v["kind"], "account_link");
        assert_eq!(serde_json::from_value::<Job>(v).ok(), Some(job));
    }
}
