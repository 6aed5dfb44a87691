//! Emailed one-time tokens: email confirmation, magic-link sign-in and password reset. Each is
//! a 256-bit random token stored as its SHA-256, single use, with a short life.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::accounts::{self, ClientInfo, NewSession};
use super::rate_limit::RateLimiter;
use super::{Error, Result, ids, mail, now, secrets};
use crate::domain::entities::{one_time_token, session, user};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ConfirmEmail,
    MagicLink,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ConfirmEmail => "confirm_email",
            Purpose::MagicLink => "magic_link",
            Purpose::PasswordReset => "password_reset",
        }
    }

    fn lifetime(self) -> time::Duration {
        match self {
            Purpose::ConfirmEmail => time::Duration::days(2),
            Purpose::MagicLink => time::Duration::minutes(15),
            Purpose::PasswordReset => time::Duration::hours(1),
        }
    }
}

/// Where links in mail point, and the queue mail goes through.
#[derive(Debug, Clone)]
pub struct MailContext<'a> {
    pub jobs: &'a super::jobs::Jobs,
    pub base_url: &'a str,
}

/// The links mailed on request to an address, by a job (see [`mail_link`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    MagicLink,
    PasswordReset,
}

/// Queues a link for `email`; the job decides whether an account is there to receive it.
async fn queue_link(
    db: &DatabaseConnection,
    mail_ctx: &MailContext<'_>,
    purpose: LinkPurpose,
    email: String,
) -> Result<()> {
    super::jobs::enqueue(db, &super::jobs::Job::AccountLink { purpose, email }).await?;
    mail_ctx.jobs.wake();
    Ok(())
}

/// Mails a sign-in or reset link to `email` if it has an account (the job of a request).
/// Unknown addresses get nothing.
pub async fn mail_link(
    db: &DatabaseConnection,
    mailer: &mail::Mailer,
    base_url: &str,
    purpose: LinkPurpose,
    email: &str,
) -> Result<()> {
    let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let message = match purpose {
        LinkPurpose::MagicLink => {
            let token = issue(db, &u, Purpose::MagicLink).await?;
            mail::Message {
                to: u.email.clone(),
                subject: "Your Anvil sign-in link".to_string(),
                body: format!(
                    "Sign in: {base_url}/auth/magic_link?token={token}\n\nToken: {token}\n\nThe link works once, for 15 minutes.\n"
                ),
            }
        }
        LinkPurpose::PasswordReset => {
            let token = issue(db, &u, Purpose::PasswordReset).await?;
            mail::Message {
                to: u.email.clone(),
                subject: "Reset your Anvil password".to_string(),
                body: format!(
                    "Choose a new password: {base_url}/auth/password_reset?token={token}\n\nToken: {token}\n\nThe link works once, for an hour. If you did not ask for it, ignore this message.\n"
                ),
            }
        }
    };
    mailer.send(&message).await
}

async fn issue(db: &DatabaseConnection, u: &user::Model, purpose: Purpose) -> Result<String> {
    let token = secrets::new_token();
    let at = now();
    one_time_token::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(Some(u.id.clone())),
        email: Set(u.email.clone()),
        purpose: Set(purpose.as_str().to_string()),
        token_hash: Set(secrets::token_hash(&token)),
        expires_at: Set(at + purpose.lifetime()),
        used_at: Set(None),
        created_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks a token used and returns its user, or says it is invalid (unknown, expired, used,
/// or for another purpose) without saying which.
async fn redeem<C: sea_orm::ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
) -> Result<user::Model> {
    let invalid = || Error::invalid("token", "is invalid or has expired; request a new one");
    let t = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(secrets::token_hash(token)))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .one(conn)
        .await?
        .ok_or_else(invalid)?;
    if t.used_at.is_some() || t.expires_at <= now() {
        return Err(invalid());
    }
    let user_id = t.user_id.clone().ok_or_else(invalid)?;
    let mut active: one_time_token::ActiveModel = t.into();
    active.used_at = Set(Some(now()));
    active.update(conn).await?;
    user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(invalid)
}

/// Queues an email-confirmation link to the user.
pub async fn send_confirmation(
    db: &DatabaseConnection,
    mail_ctx: &MailContext<'_>,
    u: &user::Model,
) -> Result<()> {
    let token = issue(db, u, Purpose::ConfirmEmail).await?;
    let base = mail_ctx.base_url;
    let message = mail::Message {
        to: u.email.clone(),
        subject: "Confirm your email address for Anvil".to_string(),
        body: format!(
            "Confirm your address: {base}/auth/confirm_email?token={token}\n\nToken: {token}\n"
        ),
    };
    super::jobs::enqueue(db, &super::jobs::Job::Mail { message }).await?;
    mail_ctx.jobs.wake();
    Ok(())
}

pub async fn confirm_email(db: &DatabaseConnection, token: &str) -> Result<user::Model> {
    let txn = super::write::begin(db).await?;
    let u = redeem(&txn, token, Purpose::ConfirmEmail).await?;
    let mut active: user::ActiveModel = u.into();
    active.confirmed_at = Set(Some(now()));
    active.updated_at = Set(now());
    let u = active.update(&txn).await?;
    txn.commit().await?;
    Ok(u)
}

/// Queues a sign-in link for the address. Always "accepted", after the same work whether or
/// not an account exists, so neither the answer nor its timing reveals which; limited per
/// address.
pub async fn request_magic_link(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    mail_ctx: &MailContext<'_>,
    email: &str,
) -> Result<()> {
    let email = accounts::normalise_email(email).map_err(|e| Error::Validation(vec![e]))?;
    limiter
        .check(&email)
        .map_err(|retry_after| Error::RateLimited { retry_after })?;
    queue_link(db, mail_ctx, LinkPurpose::MagicLink, email).await
}

/// Signs in with a magic link; following it also proves the address, so it confirms it.
pub async fn verify_magic_link(
    db: &DatabaseConnection,
    token: &str,
    client: &ClientInfo,
) -> Result<NewSession> {
    let txn = super::write::begin(db).await?;
    let u = redeem(&txn, token, Purpose::MagicLink).await?;
    let u = if u.confirmed_at.is_none() {
        let mut active: user::ActiveModel = u.into();
        active.confirmed_at = Set(Some(now()));
        active.update(&txn).await?
    } else {
        u
    };
    let (token, s) = accounts::insert_session(&txn, &u.id, false, client).await?;
    txn.commit().await?;
    Ok(NewSession {
        token,
        session: s,
        user: u,
    })
}

/// Queues a password-reset link for the address; always "accepted", as for magic links.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    mail_ctx: &MailContext<'_>,
    email: &str,
) -> Result<()> {
    let email = accounts::normalise_email(email).map_err(|e| Error::Validation(vec![e]))?;
    limiter
        .check(&format!("reset|{email}"))
        .map_err(|retry_after| Error::RateLimited { retry_after })?;
    queue_link(db, mail_ctx, LinkPurpose::PasswordReset, email).await
}

/// Sets a new password with a reset token: ends every session of the account, then signs in.
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    password: String,
    client: &ClientInfo,
) -> Result<NewSession> {
    accounts::check_password("password", &password).map_err(|e| Error::Validation(vec![e]))?;
    let hashed = secrets::hash_password(password).await?;
    let txn = super::write::begin(db).await?;
    let u = redeem(&txn, token, Purpose::PasswordReset).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id.clone()))
        .exec(&txn)
        .await?;
    let mut active: user::ActiveModel = u.into();
    active.hashed_password = Set(Some(hashed));
    active.updated_at = Set(now());
    let u = active.update(&txn).await?;
    let actor = super::audit::AuditActor {
        actor_type: "user",
        actor_id: Some(u.id.clone()),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    };
    super::organisations::audit_account(&txn, &u.id, &actor, "user.password_reset").await?;
    let (token, s) = accounts::insert_session(&txn, &u.id, false, client).await?;
    txn.commit().await?;
    Ok(NewSession {
        token,
        session: s,
        user: u,
    })
}
