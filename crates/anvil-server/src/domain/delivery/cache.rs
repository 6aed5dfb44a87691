//! Resolved sets, member contexts and access tokens, per instance, keyed by organisation
//! generation.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sea_orm::DatabaseConnection;

use crate::domain::Result;
use crate::domain::access::OrgContext;
use crate::domain::entities::organisation;
use crate::domain::feed::FeedEvent;
use crate::domain::organisations::Role;

use super::resolution::Resolved;

type Key = (String, u64, String);

/// Resolved sets and member contexts, per instance.
#[derive(Clone)]
pub struct DeliveryCache {
    generations: Arc<RwLock<HashMap<String, u64>>>,
    pub(super) sets: moka::sync::Cache<Key, Arc<Resolved>>,
    /// (user, organisation selector) to the organisation and role: membership checks on the
    /// hot path without a query. Membership changes arrive as events and clear it.
    members: moka::sync::Cache<(String, String), (organisation::Model, Role)>,
    /// Access tokens by hash, with their organisation's slug; revocations arrive as events.
    pub(crate) tokens:
        moka::sync::Cache<[u8; 32], (crate::domain::entities::access_token::Model, String)>,
}

impl Default for DeliveryCache {
    fn default() -> Self {
        DeliveryCache {
            generations: Arc::default(),
            sets: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(std::time::Duration::from_secs(3600))
                .build(),
            members: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(crate::domain::api_keys::KEY_CACHE_TTL)
                .build(),
            tokens: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(crate::domain::api_keys::KEY_CACHE_TTL)
                .build(),
        }
    }
}

impl DeliveryCache {
    pub(super) fn generation(&self, org: &str) -> u64 {
        let map = match self.generations.read() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        map.get(org).copied().unwrap_or(0)
    }

    /// Applies one committed event: entries of its organisation become unreachable.
    pub fn apply(&self, e: &FeedEvent) {
        let mut map = match self.generations.write() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        *map.entry(e.organisation_id.clone()).or_insert(0) += 1;
        drop(map);
        if e.event_type.starts_with("member.") || e.event_type.starts_with("organisation.") {
            self.members.invalidate_all();
        }
        if e.event_type == "access_token.revoked" || e.event_type == "project.purged" {
            self.tokens.invalidate_all();
        }
    }

    pub fn invalidate_everything(&self) {
        self.sets.invalidate_all();
        self.members.invalidate_all();
        self.tokens.invalidate_all();
    }

    /// The organisation context of a member, through the cache.
    pub async fn member_context(
        &self,
        db: &DatabaseConnection,
        actor: &crate::domain::access::Actor,
        selector: Option<&str>,
    ) -> Result<OrgContext> {
        let key = (
            actor.user_id.clone(),
            match &actor.credential {
                crate::domain::access::Credential::ApiKey {
                    organisation_id, ..
                } => format!("key:{organisation_id}"),
                _ => format!("sel:{}", selector.unwrap_or("")),
            },
        );
        if let Some((organisation, role)) = self.members.get(&key) {
            return Ok(OrgContext {
                actor: actor.clone(),
                organisation,
                role,
            });
        }
        // Boxed: the query's large state machine would otherwise be part of every cached
        // request's future, and moved with it.
        let ctx = Box::pin(crate::domain::access::org_context(db, actor, selector)).await?;
        self.members
            .insert(key, (ctx.organisation.clone(), ctx.role));
        Ok(ctx)
    }
}

impl std::fmt::Debug for DeliveryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeliveryCache({} sets)", self.sets.entry_count())
    }
}
