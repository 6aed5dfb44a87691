//! Who sees which committed events, and the replay of missed ones: what `/events` streams
//! (and webhooks deliver) is decided here, over the same [`FeedEvent`]s the caches read.
//!
//! Visibility (domain.md): members and API keys see their organisation's content events;
//! owners and admins also see the membership and credential events; a project access token
//! sees the version and channel events of its project only.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;

use super::access::{Credential, OrgContext};
use super::access_tokens::ProjectReader;
use super::feed::{COLUMNS, FeedEvent};
use super::organisations::Role;
use super::{Error, Result};

/// Event types only owners and admins receive.
const ADMIN_ONLY: [&str; 4] = ["member.", "api_key.", "access_token.", "organisation."];

/// How many missed events one replay query reads.
pub const REPLAY_BATCH: i64 = 500;

/// A `types` filter entry: an exact type or a prefix (`channel.*`).
#[derive(Debug, Clone, PartialEq)]
pub enum TypeFilter {
    Exact(String),
    Prefix(String),
}

impl TypeFilter {
    /// `channel.moved,version.*` into filters, refusing what names no event type.
    pub fn parse_list(raw: &str) -> Result<Vec<TypeFilter>> {
        let mut out = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let valid = part
                .chars()
                .all(|c| c.is_ascii_lowercase() || matches!(c, '_' | '.' | '*'));
            let filter = match part.strip_suffix(".*") {
                Some(prefix) if valid && !prefix.contains('*') && !prefix.is_empty() => {
                    TypeFilter::Prefix(format!("{prefix}."))
                }
                None if valid && !part.contains('*') && part.contains('.') => {
                    TypeFilter::Exact(part.to_string())
                }
                _ => {
                    return Err(Error::invalid(
                        "types",
                        format!(
                            "'{part}' is not an event type (like channel.moved) or a prefix \
                             (like channel.*)"
                        ),
                    ));
                }
            };
            out.push(filter);
        }
        Ok(out)
    }

    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            TypeFilter::Exact(t) => t == event_type,
            TypeFilter::Prefix(p) => event_type.starts_with(p.as_str()),
        }
    }
}

/// What ends a stream: the credential it was opened with going away.
#[derive(Debug, Clone)]
enum Credentialed {
    Session { user_id: String },
    ApiKey { key_id: String, user_id: String },
    AccessToken { token_id: String },
}

/// One subscriber's view of the event sequence.
#[derive(Debug, Clone)]
pub struct Audience {
    organisation_id: String,
    /// An access token's project: it sees only that project's version and channel events.
    token_project: Option<String>,
    admin: bool,
    credential: Credentialed,
    types: Vec<TypeFilter>,
    project: Option<String>,
}

impl Audience {
    /// A member or API key of `ctx`'s organisation.
    pub fn member(ctx: &OrgContext) -> Audience {
        let credential = match &ctx.actor.credential {
            Credential::Session { .. } => Credentialed::Session {
                user_id: ctx.actor.user_id.clone(),
            },
            Credential::ApiKey { key_id, .. } => Credentialed::ApiKey {
                key_id: key_id.clone(),
                user_id: ctx.actor.user_id.clone(),
            },
        };
        Audience {
            organisation_id: ctx.organisation.id.clone(),
            token_project: None,
            admin: ctx.role >= Role::Admin,
            credential,
            types: Vec::new(),
            project: None,
        }
    }

    /// A project access token.
    pub fn token(reader: &ProjectReader) -> Audience {
        Audience {
            organisation_id: reader.organisation_id.clone(),
            token_project: Some(reader.project_id.clone()),
            admin: false,
            credential: Credentialed::AccessToken {
                token_id: reader.token_id.clone(),
            },
            types: Vec::new(),
            project: None,
        }
    }

    /// Only events of these types (none: every type).
    pub fn only(mut self, types: Vec<TypeFilter>) -> Audience {
        self.types = types;
        self
    }

    /// Only events of this project (by id).
    pub fn in_project(mut self, project_id: Option<String>) -> Audience {
        self.project = project_id;
        self
    }

    pub fn organisation_id(&self) -> &str {
        &self.organisation_id
    }

    /// Whether this subscriber receives `e`.
    pub fn sees(&self, e: &FeedEvent) -> bool {
        if e.organisation_id != self.organisation_id {
            return false;
        }
        if let Some(p) = &self.token_project {
            let content =
                e.event_type.starts_with("version.") || e.event_type.starts_with("channel.");
            if !content || e.project_id.as_ref() != Some(p) {
                return false;
            }
        }
        if !self.admin && ADMIN_ONLY.iter().any(|p| e.event_type.starts_with(p)) {
            return false;
        }
        if let Some(p) = &self.project
            && e.project_id.as_ref() != Some(p)
        {
            return false;
        }
        self.types.is_empty() || self.types.iter().any(|t| t.matches(&e.event_type))
    }

    /// Whether `e` takes away the credential this stream was opened with (its key or token
    /// revoked, its user removed, its organisation deleted): the stream ends after it.
    pub fn ends_with(&self, e: &FeedEvent) -> bool {
        if e.organisation_id != self.organisation_id {
            return false;
        }
        let field = |name: &str| e.payload.get(name).and_then(serde_json::Value::as_str);
        match (e.event_type.as_str(), &self.credential) {
            ("organisation.deleted", _) => true,
            ("api_key.revoked", Credentialed::ApiKey { key_id, .. }) => {
                field("api_key_id") == Some(key_id)
            }
            ("access_token.revoked", Credentialed::AccessToken { token_id }) => {
                field("access_token_id") == Some(token_id)
            }
            (
                "member.removed",
                Credentialed::Session { user_id } | Credentialed::ApiKey { user_id, .. },
            ) => field("user_id") == Some(user_id),
            _ => false,
        }
    }
}

/// The id of the newest committed event (0 before the first): where a stream opened without
/// `since` starts, so a client that reconnects before any event reached it still resumes
/// from there.
pub async fn head(db: &DatabaseConnection) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT last_id FROM event_counter WHERE id = 1",
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "last_id")?,
        None => 0,
    })
}

/// The next events of `audience`'s organisation after id `after`, oldest first, at most
/// [`REPLAY_BATCH`] (fewer means the replay has reached the end of the table). Returned
/// unfiltered by visibility so the caller advances past what it may not see.
pub async fn replay(
    db: &DatabaseConnection,
    audience: &Audience,
    after: i64,
) -> Result<Vec<FeedEvent>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!(
            "SELECT {COLUMNS} FROM events WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ),
        _ => format!(
            "SELECT {COLUMNS} FROM events WHERE organisation_id = ? AND id > ? ORDER BY id LIMIT ?"
        ),
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [
                audience.organisation_id.clone().into(),
                after.into(),
                REPLAY_BATCH.into(),
            ],
        ))
        .await?;
    rows.iter().map(FeedEvent::from_row).collect()
}

/// The newest `limit` events `audience` may see, newest first (the dashboard's activity of a
/// member, who may not read the audit log). Reads at most ten times `limit` rows, so a busy
/// organisation's membership events cannot make it scan the table.
pub async fn recent(
    db: &DatabaseConnection,
    audience: &Audience,
    limit: usize,
) -> Result<Vec<FeedEvent>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!(
            "SELECT {COLUMNS} FROM events WHERE organisation_id = $1 ORDER BY id DESC LIMIT $2"
        ),
        _ => format!(
            "SELECT {COLUMNS} FROM events WHERE organisation_id = ? ORDER BY id DESC LIMIT ?"
        ),
    };
    let scan = i64::try_from(limit.saturating_mul(10)).unwrap_or(i64::MAX);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [audience.organisation_id.clone().into(), scan.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for row in &rows {
        let e = FeedEvent::from_row(row)?;
        if audience.sees(&e) {
            out.push(e);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Who caused an event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventActor {
    /// `user`, `api_key`, `access_token` or `system`.
    pub r#type: String,
    pub id: Option<String>,
}

/// An event as streams and webhooks send it: the envelope of domain.md and the typed payload
/// of its type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<'a> {
    pub id: i64,
    pub r#type: &'a str,
    pub organisation_id: &'a str,
    pub project_id: Option<&'a str>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: time::OffsetDateTime,
    pub actor: EventActor,
    /// The fields of its type (domain.md lists them).
    #[schema(value_type = Object)]
    pub payload: &'a serde_json::Value,
}

impl<'a> From<&'a FeedEvent> for Envelope<'a> {
    fn from(e: &'a FeedEvent) -> Self {
        Envelope {
            id: e.id,
            r#type: &e.event_type,
            organisation_id: &e.organisation_id,
            project_id: e.project_id.as_deref(),
            occurred_at: e.occurred_at,
            actor: EventActor {
                r#type: e.actor_type.clone().unwrap_or_else(|| "system".to_string()),
                id: e.actor_id.clone(),
            },
            payload: &e.payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, project: Option<&str>, payload: serde_json::Value) -> FeedEvent {
        FeedEvent {
            id: 1,
            organisation_id: "org".into(),
            project_id: project.map(String::from),
            event_type: kind.into(),
            payload,
            actor_type: Some("user".into()),
            actor_id: Some("u".into()),
            occurred_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn token() -> Audience {
        Audience::token(&ProjectReader {
            token_id: "t".into(),
            organisation_id: "org".into(),
            project_id: "p".into(),
        })
    }

    #[test]
    fn a_token_sees_its_projects_versions_and_channels_only() {
        let a = token();
        let j = serde_json::json!({});
        assert!(a.sees(&event("channel.moved", Some("p"), j.clone())));
        assert!(a.sees(&event("version.created", Some("p"), j.clone())));
        assert!(!a.sees(&event("channel.moved", Some("other"), j.clone())));
        assert!(!a.sees(&event("prompt.updated", Some("p"), j.clone())));
        assert!(!a.sees(&event("access_token.revoked", Some("p"), j.clone())));
        let mut elsewhere = event("channel.moved", Some("p"), j);
        elsewhere.organisation_id = "other".into();
        assert!(!a.sees(&elsewhere));
    }

    #[test]
    fn type_filters_take_exact_types_and_prefixes_and_refuse_the_rest() {
        let f = TypeFilter::parse_list("channel.*, version.created").unwrap();
        let a = token().only(f);
        let j = serde_json::json!({});
        assert!(a.sees(&event("channel.deleted", Some("p"), j.clone())));
        assert!(a.sees(&event("version.created", Some("p"), j.clone())));
        assert!(!a.sees(&event("version.yanked", Some("p"), j)));
        for bad in ["*", "channel", "chan*nel.x", "Channel.moved", "a.b;c"] {
            assert!(TypeFilter::parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stream_ends_when_its_own_credential_goes() {
        let a = token();
        let mine = serde_json::json!({"access_token_id": "t"});
        let other = serde_json::json!({"access_token_id": "x"});
        assert!(a.ends_with(&event("access_token.revoked", Some("p"), mine)));
        assert!(!a.ends_with(&event("access_token.revoked", Some("p"), other)));
        assert!(a.ends_with(&event("organisation.deleted", None, serde_json::json!({}))));
    }
}
