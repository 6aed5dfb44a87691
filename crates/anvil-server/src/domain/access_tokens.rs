//! Project access tokens: read-only credentials for deployed applications, bound to one
//! project. `anp_live_` + 40 base62 characters, shown once, stored as SHA-256. What they may
//! read (a project's versions, channels, bundles, events) arrives with the registry API; the
//! management of tokens and their authentication live here.

use rand::Rng;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::access::{self, Action, Actor, OrgContext};
use super::page::{Page, Paged};
use super::{Error, Result, audit, ids, now, secrets};
use crate::domain::entities::{access_token, project};

pub const TOKEN_PREFIX: &str = "anp_live_";
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(1);

/// What an access token grants: reading one project of one organisation.
#[derive(Debug, Clone)]
pub struct ProjectReader {
    pub token_id: String,
    pub organisation_id: String,
    pub project_id: String,
}

impl ProjectReader {
    /// Whether `selector` (a project id or slug) names the token's own project.
    pub async fn is_project(&self, db: &DatabaseConnection, selector: &str) -> Result<bool> {
        if selector == self.project_id {
            return Ok(true);
        }
        Ok(project::Entity::find_by_id(self.project_id.clone())
            .filter(project::Column::OrganisationId.eq(self.organisation_id.clone()))
            .one(db)
            .await?
            .is_some_and(|p| p.slug == selector))
    }
}

fn new_token() -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let body: String = (0..40)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect();
    format!("{TOKEN_PREFIX}{body}")
}

fn not_found(what: &str) -> Error {
    Error::NotFound(format!("{what} not found"))
}

/// The project and the caller's context in its organisation (404 outside it).
async fn project_context(
    db: &DatabaseConnection,
    actor: &Actor,
    project_id: &str,
) -> Result<(project::Model, OrgContext)> {
    let p = project::Entity::find_by_id(project_id.to_string())
        .filter(project::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| not_found("project"))?;
    let ctx = access::org_context_by_id(db, actor, &p.organisation_id)
        .await
        .map_err(|e| e.as_not_found("project not found"))?;
    Ok((p, ctx))
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: String,
    pub model: access_token::Model,
}

/// Creates a token for a project (admins and owners).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    project_id: &str,
    name: &str,
) -> Result<NewToken> {
    let (p, ctx) = project_context(db, actor, project_id).await?;
    ctx.require(Action::ManageTokens)?;
    let name =
        super::naming::display_name("name", name, 100).map_err(|e| Error::Validation(vec![e]))?;
    let token = new_token();
    let model = access_token::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(p.organisation_id.clone()),
        project_id: Set(p.id.clone()),
        name: Set(name),
        prefix: Set(token[..TOKEN_PREFIX.len() + 4].to_string()),
        token_hash: Set(secrets::token_hash(&token)),
        created_by: Set(Some(actor.user_id.clone())),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
    };
    let audit_actor = actor.audit();
    let model = super::write(db, move |txn| {
        Box::pin(async move {
            let m = model.insert(txn).await?;
            audit::record(
                txn,
                &m.organisation_id,
                &audit_actor,
                "access_token.created",
                ("access_token", Some(&m.id)),
                serde_json::json!({"project_id": m.project_id, "name": m.name, "prefix": m.prefix}),
            )
            .await?;
            Ok(m)
        })
    })
    .await?;
    Ok(NewToken { token, model })
}

/// The project's live tokens (admins and owners), newest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    project_id: &str,
    page: &Page,
) -> Result<Paged<access_token::Model>> {
    let (p, ctx) = project_context(db, actor, project_id).await?;
    ctx.require(Action::ManageTokens)?;
    let q = access_token::Entity::find()
        .filter(access_token::Column::ProjectId.eq(p.id))
        .filter(access_token::Column::RevokedAt.is_null());
    super::page::read(
        db,
        q,
        access_token::Column::Id,
        super::page::Order::NewestFirst,
        page,
    )
    .await
}

/// Revokes a token (admins and owners of its organisation); `within` a project's id, a token
/// of another project is not found.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    within: Option<&str>,
) -> Result<()> {
    let mut q = access_token::Entity::find_by_id(id.to_string())
        .filter(access_token::Column::RevokedAt.is_null());
    if let Some(project) = within {
        q = q.filter(access_token::Column::ProjectId.eq(project));
    }
    let t = q.one(db).await?.ok_or_else(|| not_found("access token"))?;
    let ctx = access::org_context_by_id(db, actor, &t.organisation_id)
        .await
        .map_err(|e| e.as_not_found("access token not found"))?;
    ctx.require(Action::ManageTokens)?;
    let audit_actor = actor.audit();
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut active: access_token::ActiveModel = t.clone().into();
            active.revoked_at = Set(Some(now()));
            active.update(txn).await?;
            audit::record(
                txn,
                &t.organisation_id,
                &audit_actor,
                "access_token.revoked",
                ("access_token", Some(&t.id)),
                serde_json::json!({"prefix": t.prefix}),
            )
            .await?;
            super::events::emit(
                txn,
                &t.organisation_id,
                Some(&t.project_id),
                &audit_actor,
                &super::events::Event::AccessTokenRevoked {
                    access_token_id: t.id.clone(),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// Resolves a presented token, or `None` when unknown or revoked. Lookups go through the
/// delivery cache (revocations reach it as events); `last_used_at` is written at most once a
/// minute.
/// A live token by hash, with its live organisation's slug.
async fn load(
    db: &DatabaseConnection,
    hash: &str,
) -> Result<Option<(access_token::Model, String)>> {
    let Some(t) = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(hash))
        .filter(access_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let org = crate::domain::entities::organisation::Entity::find_by_id(t.organisation_id.clone())
        .filter(crate::domain::entities::organisation::Column::DeletedAt.is_null())
        .one(db)
        .await?;
    Ok(org.map(|o| (t, o.slug)))
}

pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &super::delivery::DeliveryCache,
    presented: &str,
) -> Result<Option<(ProjectReader, String)>> {
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let digest = secrets::token_digest(presented);
    let (t, org_slug) = match cache.tokens.get(&digest) {
        Some(hit) => hit,
        // Boxed, so a cache hit's future does not carry the queries' state.
        None => match Box::pin(load(db, &hex::encode(digest))).await? {
            Some(found) => {
                cache.tokens.insert(digest, found.clone());
                found
            }
            None => return Ok(None),
        },
    };
    let at = now();
    if t.last_used_at.is_none_or(|u| at - u >= TOUCH_INTERVAL) {
        let mut active: access_token::ActiveModel = t.clone().into();
        active.last_used_at = Set(Some(at));
        let t = Box::pin(active.update(db)).await?;
        cache.tokens.insert(digest, (t, org_slug.clone()));
    }
    Ok(Some((
        ProjectReader {
            token_id: t.id,
            organisation_id: t.organisation_id,
            project_id: t.project_id,
        },
        org_slug,
    )))
}
