//! Operations endpoints: liveness, readiness, metrics. No auth, no tenant data.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use sea_orm::ConnectionTrait;

use super::AppState;
use crate::db;

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "The process is up", body = super::wire::Status)),
    security(()),
)]
pub async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        axum::Json(super::wire::Status { status: "ok" }),
    )
}

/// Whether this instance can serve: its database and migrations.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// `reachable` or `unreachable`.
    pub database: &'static str,
    /// `current` or `pending`.
    pub migrations: &'static str,
    /// `sqlite` or `postgresql`.
    pub backend: &'static str,
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness",
    responses((status = 200, description = "Ready", body = Readiness), (status = 503, description = "Not ready", body = Readiness)),
    security(()),
)]
/// Ready when the database answers and every migration is applied.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let reachable = state.db.execute_unprepared("SELECT 1").await.is_ok();
    let current = reachable && db::migrations_current(&state.db).await.unwrap_or(false);
    let status = if current {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(Readiness {
            status: if current { "ready" } else { "not_ready" },
            database: if reachable {
                "reachable"
            } else {
                "unreachable"
            },
            migrations: if current { "current" } else { "pending" },
            backend: db::backend_name(&state.db),
        }),
    )
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Metrics",
    responses((status = 200, description = "Prometheus text format", body = String)),
    security(()),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let pool = db::pool_stats(&state.db);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(pool, state.feed.passes()),
    )
}

/// Whether the mailbox may be shown to `peer`: it lists sign-in and reset tokens, so only in
/// development and only to this machine (the socket's peer, never a forwarded address).
pub fn mailbox_allowed(env: crate::config::Environment, peer: Option<SocketAddr>) -> bool {
    env == crate::config::Environment::Development && peer.is_some_and(|p| p.ip().is_loopback())
}

#[utoipa::path(
    get,
    path = "/dev/mailbox",
    tag = "operations",
    summary = "Development mailbox",
    responses((status = 200, description = "HTML list of outgoing mail (development mode, to this machine only)", body = String, content_type = "text/html"), (status = 404, description = "Not in development mode, or not asked from this machine", body = super::error::ErrorResponse)),
    security(()),
)]
/// Development only, from this machine only: the mail outbox as a page, newest first (404
/// otherwise).
pub async fn dev_mailbox(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
) -> axum::response::Response {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if !mailbox_allowed(state.config.env, peer) {
        return super::error::error_response(
            StatusCode::NOT_FOUND,
            super::error::ErrorBody::new("not_found_error", "no such endpoint", vec![]),
        );
    }
    let dir = crate::domain::mail::outbox_dir(&state.config.data_dir);
    let mut messages: Vec<(std::time::SystemTime, String)> = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
        while let Ok(Some(e)) = entries.next_entry().await {
            let modified = e
                .metadata()
                .await
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            if let Ok(text) = tokio::fs::read_to_string(e.path()).await {
                messages.push((modified, text));
            }
        }
    }
    messages.sort_by_key(|m| std::cmp::Reverse(m.0));
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Anvil dev mailbox</title></head><body><h1>Dev mailbox</h1>",
    );
    if messages.is_empty() {
        html.push_str("<p>No mail yet.</p>");
    }
    for (_, text) in messages.iter().take(100) {
        html.push_str("<pre style=\"border:1px solid #ccc;padding:1em\">");
        html.push_str(&escape(text));
        html.push_str("</pre>");
    }
    html.push_str("</body></html>");
    axum::response::Html(html).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    #[test]
    fn the_mailbox_is_for_this_machine_in_development_only() {
        let at = |s: &str| Some(s.parse::<SocketAddr>().unwrap_or_else(|e| panic!("{e}")));
        assert!(mailbox_allowed(
            Environment::Development,
            at("127.0.0.1:5000")
        ));
        assert!(mailbox_allowed(Environment::Development, at("[::1]:5000")));
        assert!(!mailbox_allowed(
            Environment::Development,
            at("192.0.2.7:5000")
        ));
        assert!(!mailbox_allowed(
            Environment::Development,
            at("[2001:db8::1]:5000")
        ));
        assert!(!mailbox_allowed(Environment::Development, None));
        assert!(!mailbox_allowed(
            Environment::Production,
            at("127.0.0.1:5000")
        ));
    }
}
