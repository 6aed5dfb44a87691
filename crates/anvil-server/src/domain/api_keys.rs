//! API keys: `ank_live_` + 40 base62 characters, shown once. The database keeps the SHA-256
//! (keys are high-entropy, so a fast hash is right) and a display prefix.

use rand::Rng;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;

use super::access::{self, Action, Actor, Credential, Scope};
use super::organisations::Role;
use super::page::{Page, Paged};
use super::{Error, Result, audit, ids, now, secrets};
use crate::domain::entities::api_key;

pub const KEY_PREFIX: &str = "ank_live_";
const KEY_CHARS: usize = 40;
/// `last_used_at` is written at most this often per key.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(1);

fn new_key() -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let body: String = (0..KEY_CHARS)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect();
    format!("{KEY_PREFIX}{body}")
}

pub fn scopes_of(key: &api_key::Model) -> Vec<Scope> {
    key.scopes.split(',').filter_map(Scope::parse).collect()
}

#[derive(Debug, Clone)]
pub struct NewKey {
    pub key: String,
    pub model: api_key::Model,
}

#[derive(Debug, Clone)]
pub struct KeyInput {
    pub name: String,
    pub scopes: Vec<String>,
    pub organisation_id: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
}

/// Creates a key for the signed-in user in one of their organisations (default: personal).
/// A key cannot create keys.
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: KeyInput) -> Result<NewKey> {
    if !actor.is_session() {
        return Err(Error::Forbidden(
            "an API key cannot create API keys; sign in to create one".to_string(),
        ));
    }
    let ctx = access::org_context(db, actor, input.organisation_id.as_deref()).await?;
    let mut errors = Vec::new();
    let name = super::naming::display_name("name", &input.name, 100)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let mut scopes = Vec::new();
    for s in &input.scopes {
        match Scope::parse(s) {
            Some(sc) if !scopes.contains(&sc) => scopes.push(sc),
            Some(_) => {}
            None => errors.push(super::FieldError::new(
                "scopes",
                format!("unknown scope '{s}': use read, write or admin"),
            )),
        }
    }
    if input.scopes.is_empty() {
        errors.push(super::FieldError::new(
            "scopes",
            "must name at least one scope",
        ));
    }
    if input.expires_at.is_some_and(|e| e <= now()) {
        errors.push(super::FieldError::new(
            "expires_at",
            "must be in the future",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    scopes.sort();
    let key = new_key();
    let scopes_text = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let model = api_key::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(ctx.organisation.id.clone()),
        user_id: Set(actor.user_id.clone()),
        name: Set(name),
        prefix: Set(key[..KEY_PREFIX.len() + 4].to_string()),
        key_hash: Set(secrets::token_hash(&key)),
        scopes: Set(scopes_text),
        last_used_at: Set(None),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        created_at: Set(now()),
    };
    let actor = actor.clone();
    let model = super::write(db, move |txn| {
        Box::pin(async move {
            let m = model.insert(txn).await?;
            audit::record(
                txn,
                &m.organisation_id,
                &actor.audit(),
                "api_key.created",
                ("api_key", Some(&m.id)),
                serde_json::json!({"name": m.name, "prefix": m.prefix, "scopes": m.scopes}),
            )
            .await?;
            Ok(m)
        })
    })
    .await?;
    Ok(NewKey { key, model })
}

/// Keys in the caller's organisation: their own, or everyone's (prefix only) for admins.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    org: Option<&str>,
    page: &Page,
) -> Result<Paged<api_key::Model>> {
    let ctx = access::org_context(db, actor, org).await?;
    ctx.require(Action::ReadOrganisation)?;
    let mut q = api_key::Entity::find()
        .filter(api_key::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(api_key::Column::RevokedAt.is_null());
    if ctx.role < Role::Admin {
        q = q.filter(api_key::Column::UserId.eq(actor.user_id.clone()));
    }
    super::page::read(
        db,
        q,
        api_key::Column::Id,
        super::page::Order::NewestFirst,
        page,
    )
    .await
}

/// Revokes a key: its owner, or an admin of its organisation. `within` an organisation's id,
/// a key of another organisation is not found (a page of one organisation revokes only its
/// own).
pub async fn revoke(
    db: &DatabaseConnection,
    cache: &KeyCache,
    actor: &Actor,
    id: &str,
    within: Option<&str>,
) -> Result<()> {
    let mut q =
        api_key::Entity::find_by_id(id.to_string()).filter(api_key::Column::RevokedAt.is_null());
    if let Some(org) = within {
        q = q.filter(api_key::Column::OrganisationId.eq(org));
    }
    let key = q
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("API key not found".to_string()))?;
    // Outside the caller's organisations the key does not exist for them.
    let ctx = access::org_context_by_id(db, actor, &key.organisation_id)
        .await
        .map_err(|e| e.as_not_found("API key not found"))?;
    if key.user_id != actor.user_id {
        ctx.require(Action::ManageTokens)?;
    }
    let actor = actor.clone();
    let hash = key.key_hash.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut active: api_key::ActiveModel = key.clone().into();
            active.revoked_at = Set(Some(now()));
            active.update(txn).await?;
            audit::record(
                txn,
                &key.organisation_id,
                &actor.audit(),
                "api_key.revoked",
                ("api_key", Some(&key.id)),
                serde_json::json!({"prefix": key.prefix}),
            )
            .await?;
            super::events::emit(
                txn,
                &key.organisation_id,
                None,
                &actor.audit(),
                &super::events::Event::ApiKeyRevoked {
                    api_key_id: key.id.clone(),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    cache.invalidate(&hash);
    Ok(())
}

/// Recently used keys by hash, so that the hot path does not query the database for every
/// request. Revocation on this instance invalidates at once; other instances see it when
/// their entry expires (`KEY_CACHE_TTL`).
#[derive(Clone)]
pub struct KeyCache(moka::sync::Cache<[u8; 32], api_key::Model>);

pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache(
            moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(KEY_CACHE_TTL)
                .build(),
        )
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyCache({} entries)", self.0.entry_count())
    }
}

impl KeyCache {
    /// Forgets the key whose stored hash (hex) is `key_hash`.
    pub fn invalidate(&self, key_hash: &str) {
        let mut digest = [0u8; 32];
        if hex::decode_to_slice(key_hash, &mut digest).is_ok() {
            self.0.invalidate(&digest);
        }
    }

    /// Forgets every key: a revocation on another instance arrives as an event that names
    /// the key by id, not by the hash this cache is keyed by.
    pub fn invalidate_all(&self) {
        self.0.invalidate_all();
    }
}

/// Resolves a presented key to the credential it grants, or `None` (unknown, revoked or
/// expired). The lookup is by hash, so no comparison of secrets happens in our code.
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &KeyCache,
    presented: &str,
) -> Result<Option<(api_key::Model, Credential)>> {
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let digest = secrets::token_digest(presented);
    let (key, cached) = match cache.0.get(&digest) {
        Some(k) => (k, true),
        None => {
            // Boxed, so a cache hit's future does not carry the query's state.
            let Some(k) = Box::pin(
                api_key::Entity::find()
                    .filter(api_key::Column::KeyHash.eq(hex::encode(digest)))
                    .one(db),
            )
            .await?
            else {
                return Ok(None);
            };
            (k, false)
        }
    };
    let at = now();
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|e| e <= at) {
        cache.0.invalidate(&digest);
        return Ok(None);
    }
    // Insert only what was read or written here: re-inserting on every hit would restart the
    // entry's time to live, and a key revoked on another instance would never fall out.
    if key.last_used_at.is_none_or(|t| at - t >= TOUCH_INTERVAL) {
        let mut active: api_key::ActiveModel = key.clone().into();
        active.last_used_at = Set(Some(at));
        let key = Box::pin(active.update(db)).await?;
        cache.0.insert(digest, key.clone());
    } else if !cached {
        cache.0.insert(digest, key.clone());
    }
    let credential = Credential::ApiKey {
        key_id: key.id.clone(),
        organisation_id: key.organisation_id.clone(),
        scopes: scopes_of(&key),
    };
    Ok(Some((key, credential)))
}
