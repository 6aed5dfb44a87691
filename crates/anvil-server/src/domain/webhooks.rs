//! Webhooks: an organisation's HTTP receivers of its events. Each event a webhook subscribes
//! to becomes a job in the transaction that commits the event (so a delivery is never lost
//! and never sent for a change that rolled back); the job worker POSTs the event, signed
//! `X-Anvil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, and logs
//! every attempt. Failures retry with the jobs' backoff.
//!
//! The signing secret must be recoverable to sign, so it is stored sealed (ChaCha20-Poly1305
//! under a key derived from the instance's secret key), never in clear.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, Statement,
};
use sha2::Sha256;

use super::access::{Action, OrgContext};
use super::entities::{webhook, webhook_delivery};
use super::event_stream::TypeFilter;
use super::feed::{COLUMNS, FeedEvent};
use super::page::{Page, Paged};
use super::{Error, FieldError, Result, audit, ids, now};

/// How long a receiver gets to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Webhooks per organisation.
pub const MAX_WEBHOOKS: usize = 20;

/// A webhook as created, with its secret (shown this once).
pub struct NewWebhook {
    pub model: webhook::Model,
    pub secret: String,
}

/// What a webhook is: where, which events, and whether it is on.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub active: Option<bool>,
}

fn sealing_key(secret_key: &[u8]) -> Result<ChaCha20Poly1305> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret_key)
        .map_err(|e| Error::Internal(format!("secret key: {e}")))?;
    mac.update(b"anvil webhook secrets v1");
    let key = mac.finalize().into_bytes();
    ChaCha20Poly1305::new_from_slice(&key).map_err(|e| Error::Internal(format!("sealing key: {e}")))
}

/// Seals a webhook secret for storage: base64 of a random nonce and the ciphertext.
pub fn seal(secret_key: &[u8], plain: &str) -> Result<String> {
    let cipher = sealing_key(secret_key)?;
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), plain.as_bytes())
        .map_err(|_| Error::Internal("sealing a webhook secret failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

/// Opens a sealed secret (fails if it was sealed under another secret key or altered).
pub fn open(secret_key: &[u8], sealed: &str) -> Result<String> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|_| Error::Internal("a sealed webhook secret is not base64".into()))?;
    if bytes.len() < 12 {
        return Err(Error::Internal(
            "a sealed webhook secret is too short".into(),
        ));
    }
    let (nonce, sealed) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| Error::Internal("a sealed webhook secret is too short".into()))?;
    let plain = sealing_key(secret_key)?
        .decrypt(&Nonce::from(nonce), sealed)
        .map_err(|_| Error::Internal("a webhook secret does not open with this key".into()))?;
    String::from_utf8(plain).map_err(|_| Error::Internal("a webhook secret is not UTF-8".into()))
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: what a receiver recomputes with
/// its secret (and rejects when `t` is more than five minutes old).
pub fn signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={unix_seconds},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// An address a webhook may not reach unless its host is allowed by configuration: this
/// machine, its link, private networks, and the unspecified, broadcast and multicast ones.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) // CGNAT
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
        }
    }
}

/// The URL, checked: http or https, a host, and (unless the host is allowed) no address that
/// reaches inside. Returns the URL and the addresses it may be connected to.
pub async fn check_url(
    raw: &str,
    allowed_hosts: &[String],
) -> std::result::Result<(reqwest::Url, Vec<std::net::SocketAddr>), String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; the signature authenticates deliveries".into());
    }
    let Some(host) = url
        .host_str()
        .map(|h| h.trim_matches(['[', ']']).to_string())
    else {
        return Err("must name a host".into());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<std::net::SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("host '{host}' does not resolve: {e}"))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("host '{host}' does not resolve"));
    }
    let allowed = allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host));
    if !allowed && addrs.iter().any(|a| is_internal(a.ip())) {
        return Err(format!(
            "reaches a loopback, link-local or private address ({host}); list the host in \
             webhook_allowed_hosts to allow it"
        ));
    }
    Ok((url, addrs))
}

fn check_types(raw: &[String]) -> Result<serde_json::Value> {
    if raw.is_empty() || raw.len() > 50 {
        return Err(Error::invalid(
            "event_types",
            "must list 1 to 50 event types or prefixes",
        ));
    }
    TypeFilter::parse_list(&raw.join(",")).map_err(|e| match e {
        Error::Validation(mut v) => {
            for f in &mut v {
                f.field = "event_types".into();
            }
            Error::Validation(v)
        }
        other => other,
    })?;
    Ok(serde_json::json!(raw))
}

fn not_found() -> Error {
    Error::NotFound("webhook not found".into())
}

async fn find<C: ConnectionTrait>(conn: &C, ctx: &OrgContext, id: &str) -> Result<webhook::Model> {
    webhook::Entity::find_by_id(id.to_string())
        .filter(webhook::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(webhook::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

/// A new webhook with a fresh secret (admins and owners).
pub async fn create(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    secret_key: &[u8],
    allowed_hosts: &[String],
    input: WebhookInput,
) -> Result<NewWebhook> {
    ctx.require(Action::ManageWebhooks)?;
    let mut errors = Vec::new();
    let url = match input.url.as_deref() {
        None => {
            errors.push(FieldError::new("url", "is required"));
            None
        }
        Some(u) => match check_url(u, allowed_hosts).await {
            Ok((url, _)) => Some(url.to_string()),
            Err(e) => {
                errors.push(FieldError::new("url", e));
                None
            }
        },
    };
    let types = match input.event_types.as_deref() {
        None => Err(Error::invalid("event_types", "is required")),
        Some(t) => check_types(t),
    };
    let types = match types {
        Ok(t) => Some(t),
        Err(Error::Validation(v)) => {
            errors.extend(v);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(url), Some(types)) = (url, types) else {
        return Err(Error::Validation(errors));
    };
    let existing = webhook::Entity::find()
        .filter(webhook::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(webhook::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    if existing.len() >= MAX_WEBHOOKS {
        return Err(Error::conflict(
            "url",
            format!("an organisation has at most {MAX_WEBHOOKS} webhooks"),
        ));
    }
    let secret = format!("whsec_{}", super::secrets::new_token());
    let sealed = seal(secret_key, &secret)?;
    let ctx = ctx.clone();
    let active = input.active.unwrap_or(true);
    let model = super::write(db, move |txn| {
        Box::pin(async move {
            let at = now();
            let m = webhook::ActiveModel {
                id: Set(ids::new_id()),
                organisation_id: Set(ctx.organisation.id.clone()),
                url: Set(url),
                event_types: Set(types),
                secret_sealed: Set(sealed),
                active: Set(active),
                created_by: Set(Some(ctx.actor.user_id.clone())),
                created_at: Set(at),
                updated_at: Set(at),
                deleted_at: Set(None),
            }
            .insert(txn)
            .await?;
            audit::record(
                txn,
                &m.organisation_id,
                &ctx.actor.audit(),
                "webhook.created",
                ("webhook", Some(&m.id)),
                serde_json::json!({"url": m.url, "event_types": m.event_types}),
            )
            .await?;
            Ok(m)
        })
    })
    .await?;
    Ok(NewWebhook { model, secret })
}

/// One of the organisation's webhooks (admins and owners).
pub async fn get(db: &DatabaseConnection, ctx: &OrgContext, id: &str) -> Result<webhook::Model> {
    ctx.require(Action::ManageWebhooks)?;
    find(db, ctx, id).await
}

/// The organisation's webhooks (admins and owners).
pub async fn list(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    page: &Page,
) -> Result<Paged<webhook::Model>> {
    ctx.require(Action::ManageWebhooks)?;
    let q = webhook::Entity::find()
        .filter(webhook::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(webhook::Column::DeletedAt.is_null());
    super::page::read(
        db,
        q,
        webhook::Column::Id,
        super::page::Order::OldestFirst,
        page,
    )
    .await
}

/// Changes a webhook's URL, event types or whether it is on.
pub async fn update(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    allowed_hosts: &[String],
    id: &str,
    input: WebhookInput,
) -> Result<webhook::Model> {
    ctx.require(Action::ManageWebhooks)?;
    let current = find(db, ctx, id).await?;
    let url = match input.url.as_deref() {
        None => None,
        Some(u) => Some(
            check_url(u, allowed_hosts)
                .await
                .map_err(|e| Error::invalid("url", e))?
                .0
                .to_string(),
        ),
    };
    let types = input.event_types.as_deref().map(check_types).transpose()?;
    let ctx = ctx.clone();
    let active = input.active;
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut a: webhook::ActiveModel = current.into();
            if let Some(u) = url {
                a.url = Set(u);
            }
            if let Some(t) = types {
                a.event_types = Set(t);
            }
            if let Some(on) = active {
                a.active = Set(on);
            }
            a.updated_at = Set(now());
            let m = a.update(txn).await?;
            audit::record(
                txn,
                &m.organisation_id,
                &ctx.actor.audit(),
                "webhook.updated",
                ("webhook", Some(&m.id)),
                serde_json::json!({"url": m.url, "event_types": m.event_types, "active": m.active}),
            )
            .await?;
            Ok(m)
        })
    })
    .await
}

/// Deletes a webhook: nothing more is delivered to it (its log stays readable to the audit).
pub async fn delete(db: &DatabaseConnection, ctx: &OrgContext, id: &str) -> Result<()> {
    ctx.require(Action::ManageWebhooks)?;
    let current = find(db, ctx, id).await?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let mut a: webhook::ActiveModel = current.clone().into();
            a.deleted_at = Set(Some(now()));
            a.update(txn).await?;
            audit::record(
                txn,
                &current.organisation_id,
                &ctx.actor.audit(),
                "webhook.deleted",
                ("webhook", Some(&current.id)),
                serde_json::json!({"url": current.url}),
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// A webhook's delivery attempts, newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    page: &Page,
) -> Result<Paged<webhook_delivery::Model>> {
    ctx.require(Action::ManageWebhooks)?;
    let hook = find(db, ctx, id).await?;
    let q = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::OrganisationId.eq(ctx.organisation.id.clone()))
        .filter(webhook_delivery::Column::WebhookId.eq(hook.id));
    super::page::read(
        db,
        q,
        webhook_delivery::Column::Id,
        super::page::Order::NewestFirst,
        page,
    )
    .await
}

/// Queues a delivery of event `event_id` for every active webhook of the organisation that
/// subscribes to its type, in the transaction that writes the event.
pub async fn enqueue_for<C: ConnectionTrait>(
    txn: &C,
    organisation_id: &str,
    event_id: i64,
    event_type: &str,
) -> Result<()> {
    let hooks = webhook::Entity::find()
        .filter(webhook::Column::OrganisationId.eq(organisation_id))
        .filter(webhook::Column::DeletedAt.is_null())
        .filter(webhook::Column::Active.eq(true))
        .all(txn)
        .await?;
    for h in hooks {
        let wanted: Vec<String> = serde_json::from_value(h.event_types.clone()).unwrap_or_default();
        let subscribed = TypeFilter::parse_list(&wanted.join(","))
            .map(|f| f.iter().any(|t| t.matches(event_type)))
            .unwrap_or(false);
        if subscribed {
            super::jobs::enqueue(
                txn,
                &super::jobs::Job::Webhook {
                    webhook_id: h.id.clone(),
                    event_id,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// What delivering needs beyond the database.
pub struct Deliverer<'a> {
    pub db: &'a DatabaseConnection,
    pub secret_key: &'a [u8],
    pub allowed_hosts: &'a [String],
}

impl Deliverer<'_> {
    /// Delivers one event to one webhook (attempt `attempt`), logging the attempt. A deleted
    /// or switched-off webhook gets nothing; a failure is an error, so the job retries.
    pub async fn deliver(&self, webhook_id: &str, event_id: i64, attempt: i64) -> Result<()> {
        let Some(hook) = webhook::Entity::find_by_id(webhook_id.to_string())
            .filter(webhook::Column::DeletedAt.is_null())
            .filter(webhook::Column::Active.eq(true))
            .one(self.db)
            .await?
        else {
            return Ok(());
        };
        let backend = self.db.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                format!("SELECT {COLUMNS} FROM events WHERE id = $1 AND organisation_id = $2")
            }
            _ => format!("SELECT {COLUMNS} FROM events WHERE id = ? AND organisation_id = ?"),
        };
        let Some(row) = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                &sql,
                [event_id.into(), hook.organisation_id.clone().into()],
            ))
            .await?
        else {
            return Ok(());
        };
        let event = FeedEvent::from_row(&row)?;
        let body = serde_json::to_vec(&super::event_stream::Envelope::from(&event))
            .map_err(|e| Error::Internal(format!("event body: {e}")))?;
        let started = Instant::now();
        let outcome = self.post(&hook, &event, &body).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error) = match &outcome {
            Ok(code) if (200..300).contains(code) => (Some(i64::from(*code)), None),
            Ok(code) => (
                Some(i64::from(*code)),
                Some(format!("the receiver answered {code}")),
            ),
            Err(e) => (None, Some(e.clone())),
        };
        webhook_delivery::ActiveModel {
            id: Set(ids::new_id()),
            organisation_id: Set(hook.organisation_id.clone()),
            webhook_id: Set(hook.id.clone()),
            event_id: Set(event.id),
            event_type: Set(event.event_type.clone()),
            attempt: Set(attempt),
            status_code: Set(status_code),
            duration_ms: Set(duration_ms),
            error: Set(error.clone()),
            created_at: Set(now()),
        }
        .insert(self.db)
        .await?;
        match error {
            None => Ok(()),
            Some(e) => Err(Error::Internal(format!("webhook {}: {e}", hook.id))),
        }
    }

    async fn post(
        &self,
        hook: &webhook::Model,
        event: &FeedEvent,
        body: &[u8],
    ) -> std::result::Result<u16, String> {
        // Checked again at delivery: the name may resolve elsewhere now. The connection goes
        // to the address just checked, and redirects are not followed.
        let (url, addrs) = check_url(&hook.url, self.allowed_hosts).await?;
        let secret = open(self.secret_key, &hook.secret_sealed).map_err(|e| e.to_string())?;
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent(concat!("Anvil-Webhooks/", env!("CARGO_PKG_VERSION")));
        if let Some(host) = url.host_str() {
            client = client.resolve_to_addrs(host, &addrs);
        }
        let client = client.build().map_err(|e| e.to_string())?;
        let t = now().unix_timestamp();
        let res = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-anvil-event", &event.event_type)
            .header("x-anvil-delivery", event.id.to_string())
            .header("x-anvil-signature", signature(&secret, t, body))
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| format!("could not deliver: {e}"))?;
        Ok(res.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_seal_and_open_only_under_their_key() {
        let sealed = seal(b"key one", "whsec_abc").unwrap();
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(open(b"key one", &sealed).unwrap(), "whsec_abc");
        assert!(open(b"key two", &sealed).is_err());
        assert_ne!(
            seal(b"key one", "whsec_abc").unwrap(),
            sealed,
            "fresh nonce each time"
        );
    }

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let s = signature("whsec_x", 1_700_000_000, b"{}");
        assert!(s.starts_with("t=1700000000,v1="), "{s}");
        assert_ne!(s, signature("whsec_x", 1_700_000_001, b"{}"));
        assert_ne!(s, signature("whsec_x", 1_700_000_000, b"{ }"));
        assert_ne!(s, signature("whsec_y", 1_700_000_000, b"{}"));
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
