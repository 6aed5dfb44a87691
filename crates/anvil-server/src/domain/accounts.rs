//! Accounts: registration, password sign-in and server-side sessions.
//!
//! Sessions are random 256-bit tokens held by the browser in a cookie; the database keeps only
//! their SHA-256, so a leaked database does not leak usable sessions. A session ends after two
//! hours without use, or after 30 days when "remember me" was chosen.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use time::Duration;

use super::audit::{self, AuditActor};
use super::rate_limit::RateLimiter;
use super::{Error, FieldError, Result, ids, now, organisations, secrets};
use crate::domain::entities::{session, user};

pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer passwords are refused so that hashing cost stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 1024;
pub const IDLE_TIMEOUT: Duration = Duration::hours(2);
pub const REMEMBER_FOR: Duration = Duration::days(30);
/// `last_seen_at` is written at most this often per session.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
}

/// A signed-in session: the token goes to the browser, never to the database.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub session: session::Model,
    pub user: user::Model,
}

/// Normalises and checks an email address (the part every mail system agrees on).
pub fn normalise_email(raw: &str) -> std::result::Result<String, FieldError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split('@').count() == 2
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if valid {
        Ok(email)
    } else {
        Err(FieldError::new("email", "is not a valid email address"))
    }
}

pub(crate) fn check_password(field: &str, password: &str) -> std::result::Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Err(FieldError::new(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ))
    } else if n > MAX_PASSWORD_CHARS {
        Err(FieldError::new(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ))
    } else {
        Ok(())
    }
}

/// Checks registration input; returns the normalised email and the display name.
pub(crate) fn validate_registration(input: &Registration) -> Result<(String, String)> {
    let mut errors = Vec::new();
    let email = normalise_email(&input.email)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) = check_password("password", &input.password) {
        errors.push(e);
    }
    let name = match input.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(n) => super::naming::display_name("name", n, 200)
            .map_err(|e| errors.push(e))
            .unwrap_or_default(),
        _ => email
            .as_deref()
            .and_then(|e| e.split('@').next())
            .unwrap_or("user")
            .to_string(),
    };
    match email.filter(|_| errors.is_empty()) {
        Some(email) => Ok((email, name)),
        None => Err(Error::Validation(errors)),
    }
}

pub(crate) async fn ensure_email_free<C: sea_orm::ConnectionTrait>(
    conn: &C,
    email: &str,
) -> Result<()> {
    if user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?
        .is_some()
    {
        return Err(Error::conflict(
            "email",
            "an account with this email already exists",
        ));
    }
    Ok(())
}

/// Creates the user with their personal organisation and the audit event, on `txn`.
pub(crate) async fn create_account<C: sea_orm::ConnectionTrait>(
    txn: &C,
    email: String,
    name: String,
    hashed_password: String,
    confirmed: bool,
    client: &ClientInfo,
) -> Result<user::Model> {
    let at = now();
    let user = user::ActiveModel {
        id: Set(ids::new_id()),
        email: Set(email),
        name: Set(name),
        hashed_password: Set(Some(hashed_password)),
        confirmed_at: Set(confirmed.then_some(at)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await?;
    let org = organisations::create_personal(txn, &user.id, &user.name).await?;
    let actor = AuditActor {
        actor_type: "user",
        actor_id: Some(user.id.clone()),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    };
    audit::record(
        txn,
        &org.id,
        &actor,
        "user.registered",
        ("user", Some(&user.id)),
        serde_json::json!({"email": user.email, "organisation": org.slug}),
    )
    .await?;
    Ok(user)
}

/// A unique-index violation on users.email (a concurrent registration won) as a 409.
pub(crate) fn email_race(e: Error) -> Error {
    if matches!(&e, Error::Conflict { field: Some(f), .. } if f == "email") {
        Error::conflict("email", "an account with this email already exists")
    } else {
        e
    }
}

/// Registers an account with its personal organisation and signs it in. Everything (user,
/// organisation, membership, audit event, session) commits together or not at all.
pub async fn register(
    db: &DatabaseConnection,
    enabled: bool,
    input: Registration,
    client: &ClientInfo,
    remember: bool,
) -> Result<NewSession> {
    if !enabled {
        return Err(Error::Forbidden(
            "registration is disabled on this instance; ask an administrator for an invitation"
                .to_string(),
        ));
    }
    let (email, name) = validate_registration(&input)?;
    ensure_email_free(db, &email).await?;
    let hashed = secrets::hash_password(input.password).await?;
    let client = client.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let user = create_account(txn, email, name, hashed, false, &client).await?;
            let (token, session) = insert_session(txn, &user.id, remember, &client).await?;
            Ok(NewSession {
                token,
                session,
                user,
            })
        })
    })
    .await
    .map_err(email_race)
}

pub(crate) async fn insert_session<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: &str,
    remember: bool,
    client: &ClientInfo,
) -> Result<(String, session::Model)> {
    let at = now();
    let token = secrets::new_token();
    let model = session::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_string()),
        token_hash: Set(secrets::token_hash(&token)),
        remember: Set(remember),
        user_agent: Set(client.user_agent.clone()),
        ip: Set(client.ip.clone()),
        created_at: Set(at),
        last_seen_at: Set(at),
        expires_at: Set(at + if remember { REMEMBER_FOR } else { IDLE_TIMEOUT }),
    }
    .insert(conn)
    .await?;
    Ok((token, model))
}

/// Signs in with email and password. Limited per client IP and email; a wrong email and a
/// wrong password are indistinguishable, in message and in time.
pub async fn sign_in(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    email: &str,
    password: String,
    remember: bool,
    client: &ClientInfo,
) -> Result<NewSession> {
    let email = email.trim().to_lowercase();
    let key = format!("{}|{email}", client.ip.as_deref().unwrap_or("-"));
    limiter
        .check(&key)
        .map_err(|retry_after| Error::RateLimited { retry_after })?;
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?;
    let hash = user.as_ref().and_then(|u| u.hashed_password.clone());
    let ok = secrets::verify_password(password, hash).await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(Error::Unauthenticated(
            "invalid email or password".to_string(),
        ));
    };
    let (token, session) = insert_session(db, &user.id, remember, client).await?;
    Ok(NewSession {
        token,
        session,
        user,
    })
}

/// Resolves a session token to its session and user, ending expired sessions and sliding the
/// idle timeout (written at most once a minute).
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<(session::Model, user::Model)>> {
    let hash = secrets::token_hash(token);
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let at = now();
    let absolute_end = s.created_at + REMEMBER_FOR;
    if s.expires_at <= at || absolute_end <= at {
        session::Entity::delete_by_id(s.id.clone()).exec(db).await?;
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id.clone()).one(db).await? else {
        return Ok(None);
    };
    let s = if at - s.last_seen_at >= TOUCH_INTERVAL {
        let mut active: session::ActiveModel = s.clone().into();
        active.last_seen_at = Set(at);
        if !s.remember {
            active.expires_at = Set((at + IDLE_TIMEOUT).min(absolute_end));
        }
        active.update(db).await?
    } else {
        s
    };
    Ok(Some((s, u)))
}

/// The user's live sessions, newest first.
/// A user by id (for a credential that names one).
/// The names of the users `ids`, for lists that say who did what (a version's author). Ids
/// come from the caller's organisation's own rows; a deleted user is simply absent.
pub async fn names(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = String>,
) -> Result<std::collections::HashMap<String, String>> {
    use sea_orm::QuerySelect;
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Name])
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

pub async fn user(db: &DatabaseConnection, id: &str) -> Result<user::Model> {
    user::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| Error::Unauthenticated("the credential's user no longer exists".into()))
}

pub async fn sessions_of(
    db: &DatabaseConnection,
    user_id: &str,
    page: &super::page::Page,
) -> Result<super::page::Paged<session::Model>> {
    let q = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now()));
    super::page::read(
        db,
        q,
        session::Column::Id,
        super::page::Order::NewestFirst,
        page,
    )
    .await
}

/// Ends one of the user's sessions; another user's session is "not found".
pub async fn end_session(db: &DatabaseConnection, user_id: &str, session_id: &str) -> Result<()> {
    let res = session::Entity::delete_many()
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::NotFound("session not found".to_string()));
    }
    Ok(())
}

/// Ends every session of the user (sign out everywhere).
pub async fn end_all_sessions(db: &DatabaseConnection, user_id: &str) -> Result<u64> {
    let res = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Changes the password of a signed-in user who knows the current one; every other session
/// of the account ends.
pub async fn change_password(
    db: &DatabaseConnection,
    user: &user::Model,
    current_session_id: &str,
    current: String,
    new: String,
) -> Result<()> {
    check_password("new_password", &new).map_err(|e| Error::Validation(vec![e]))?;
    if !secrets::verify_password(current, user.hashed_password.clone()).await? {
        return Err(Error::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let hashed = secrets::hash_password(new).await?;
    let txn = super::write::begin(db).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user.id.clone()))
        .filter(session::Column::Id.ne(current_session_id))
        .exec(&txn)
        .await?;
    let mut active: user::ActiveModel = user.clone().into();
    active.hashed_password = Set(Some(hashed));
    active.updated_at = Set(now());
    active.update(&txn).await?;
    let actor = AuditActor {
        actor_type: "user",
        actor_id: Some(user.id.clone()),
        ip: None,
        user_agent: None,
    };
    organisations::audit_account(&txn, &user.id, &actor, "user.password_changed").await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Ada@Example.COM "),
            Ok("ada@example.com".to_string())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.io",
            "a b@x.io",
            "a@b@c.io",
            "a@localhost",
            "a@x..io",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
