//! Operator commands (`anvil admin ...`): they act as the system, not as a signed-in user, and
//! are recorded in the audit log as such.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::accounts::{self, ClientInfo, Registration};
use super::audit::{self, AuditActor};
use super::organisations::Role;
use super::{Error, Result, ids, now, secrets};
use crate::domain::entities::{membership, organisation, session, user};

fn system() -> AuditActor {
    AuditActor {
        actor_type: "system",
        actor_id: None,
        ip: None,
        user_agent: Some("anvil admin".to_string()),
    }
}

/// Creates a confirmed account (with its personal organisation) and, with `owner_of`, makes
/// it an owner of the organisation with that slug, creating the organisation if needed. One
/// transaction.
pub async fn create_user(
    db: &DatabaseConnection,
    email: &str,
    name: Option<String>,
    password: String,
    owner_of: Option<&str>,
) -> Result<(user::Model, Option<organisation::Model>)> {
    let (email, name) = accounts::validate_registration(&Registration {
        email: email.to_string(),
        password: password.clone(),
        name,
    })?;
    accounts::ensure_email_free(db, &email).await?;
    if let Some(slug) = owner_of
        && (slug.is_empty() || ids::slugify(slug, 64) != slug)
    {
        return Err(Error::invalid(
            "owner_of",
            "must be a slug: lowercase letters, digits and dashes",
        ));
    }
    let hashed = secrets::hash_password(password).await?;
    let owner_of = owner_of.map(str::to_string);
    super::write(db, move |txn| {
        Box::pin(async move {
            let u =
                accounts::create_account(txn, email, name, hashed, true, &ClientInfo::default())
                    .await?;
            let Some(slug) = owner_of else {
                return Ok((u, None));
            };
            let at = now();
            let org = match organisation::Entity::find()
                .filter(organisation::Column::Slug.eq(slug.clone()))
                .filter(organisation::Column::DeletedAt.is_null())
                .one(txn)
                .await?
            {
                Some(o) if o.personal => {
                    return Err(Error::conflict(
                        "owner_of",
                        "that is a personal organisation; it cannot have other owners",
                    ));
                }
                Some(o) => o,
                None => {
                    organisation::ActiveModel {
                        id: Set(ids::new_id()),
                        name: Set(slug.clone()),
                        slug: Set(slug.clone()),
                        description: Set(String::new()),
                        personal: Set(false),
                        created_at: Set(at),
                        updated_at: Set(at),
                        deleted_at: Set(None),
                    }
                    .insert(txn)
                    .await?
                }
            };
            membership::ActiveModel {
                id: Set(ids::new_id()),
                organisation_id: Set(org.id.clone()),
                user_id: Set(u.id.clone()),
                role: Set(Role::Owner.as_str().to_string()),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(txn)
            .await?;
            audit::record(
                txn,
                &org.id,
                &system(),
                "member.added",
                ("user", Some(&u.id)),
                serde_json::json!({"email": u.email, "role": "owner"}),
            )
            .await?;
            super::events::emit(
                txn,
                &org.id,
                None,
                &system(),
                &super::events::Event::MemberAdded(super::events::MemberEvent {
                    user_id: u.id.clone(),
                    role: Some("owner".to_string()),
                }),
            )
            .await?;
            Ok((u, Some(org)))
        })
    })
    .await
    .map_err(accounts::email_race)
}

/// Sets a new password for an account and ends all of its sessions.
pub async fn reset_password(
    db: &DatabaseConnection,
    email: &str,
    password: String,
) -> Result<user::Model> {
    accounts::check_password("password", &password).map_err(|e| Error::Validation(vec![e]))?;
    let email = email.trim().to_lowercase();
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no account for {email}")))?;
    let hashed = secrets::hash_password(password).await?;
    let txn = super::write::begin(db).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id.clone()))
        .exec(&txn)
        .await?;
    let mut active: user::ActiveModel = u.into();
    active.hashed_password = Set(Some(hashed));
    active.updated_at = Set(now());
    let u = active.update(&txn).await?;
    super::organisations::audit_account(&txn, &u.id, &system(), "user.password_reset").await?;
    txn.commit().await?;
    Ok(u)
}
