//! The HTTP layer: one router with every route, shared state, and the request middleware.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{MethodRouter, delete, get, patch, post};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::domain::rate_limit::RateLimiter;

pub mod archive;
pub mod auth;
pub mod channels;
pub mod delivery;
pub mod error;
pub mod etag;
pub mod extract;
pub mod json;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod ops;
pub mod orgs;
pub mod pagination;
pub mod projects;
pub mod prompt_sets;
pub mod prompts;
pub mod schemas;
pub mod search;
pub mod templates;
pub mod tokens;
pub mod versions;

use error::{ErrorBody, error_response};

/// What every handler can reach. Extractors and layers clone the state for every request, so
/// it is one pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub metrics: Arc<metrics::Metrics>,
    pub secret_key: Arc<Vec<u8>>,
    /// Sign-in attempts per client IP and email: 5 a minute.
    pub sign_in_limiter: Arc<RateLimiter>,
    /// Magic links and password resets per email: 3 an hour.
    pub mail_limiter: Arc<RateLimiter>,
    pub mailer: Arc<crate::domain::mail::Mailer>,
    /// Wakes this instance's job worker when a request queues a job.
    pub jobs: Arc<crate::domain::jobs::Jobs>,
    pub key_cache: crate::domain::api_keys::KeyCache,
    /// The Liquid engine with Anvil's filters and limits.
    pub prompts: Arc<anvil_core::render::PromptEngine>,
    /// Resolved sets, member contexts and access tokens for the delivery hot path.
    pub delivery: crate::domain::delivery::DeliveryCache,
    /// Committed domain events, applied to the caches and handed to live streams.
    pub feed: Arc<crate::domain::feed::Feed>,
    /// Request limits per credential; `None` when `rate_limits = "off"`.
    pub limits: Option<Arc<limits::Limits>>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        secret_key: Vec<u8>,
        mailer: crate::domain::mail::Mailer,
    ) -> Self {
        let delivery = crate::domain::delivery::DeliveryCache::default();
        let key_cache = crate::domain::api_keys::KeyCache::default();
        AppState(Arc::new(Shared {
            limits: limits::Limits::from_config(&config),
            feed: Arc::new(crate::domain::feed::Feed::new(
                delivery.clone(),
                key_cache.clone(),
            )),
            delivery,
            mailer: Arc::new(mailer),
            jobs: Arc::default(),
            key_cache,
            prompts: Arc::new(anvil_core::render::PromptEngine::default()),
            db,
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            secret_key: Arc::new(secret_key),
            sign_in_limiter: Arc::new(RateLimiter::new(5, Duration::from_secs(60))),
            mail_limiter: Arc::new(RateLimiter::new(3, Duration::from_secs(3600))),
        }))
    }

    /// The URL links in mail start with.
    pub fn base_url(&self) -> String {
        self.config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.config.bind))
            .trim_end_matches('/')
            .to_string()
    }
}

/// A path that exists, asked with a method it does not take: the API's error format rather
/// than an empty body (the router still sends `Allow`).
async fn method_not_allowed(method: axum::http::Method) -> axum::response::Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorBody::new(
            "invalid_request_error",
            format!("this path does not take {method}; the Allow header lists what it takes"),
            vec![],
        ),
    )
}

async fn not_found() -> axum::response::Response {
    error_response(
        StatusCode::NOT_FOUND,
        ErrorBody::new("not_found_error", "no such endpoint", vec![]),
    )
}

/// Every route under `/api/v1`, as (path, handlers). The router is built from this list and
/// the OpenAPI test walks it, so a route cannot be served without being documented.
pub fn api_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/auth/register", post(auth::register)),
        ("/auth/sign_in", post(auth::sign_in)),
        ("/auth/sign_out", post(auth::sign_out)),
        ("/auth/sign_out_everywhere", post(auth::sign_out_everywhere)),
        ("/auth/sessions", get(auth::sessions)),
        ("/auth/sessions/{id}", delete(auth::end_session)),
        ("/auth/magic_link", post(auth::magic_link)),
        ("/auth/magic_link/verify", post(auth::verify_magic_link)),
        ("/auth/password_reset", post(auth::password_reset)),
        (
            "/auth/password_reset/confirm",
            post(auth::confirm_password_reset),
        ),
        ("/auth/confirm_email", post(auth::confirm_email)),
        ("/auth/password", post(auth::change_password)),
        ("/me", get(auth::me)),
        (
            "/organisations",
            get(orgs::list_organisations).post(orgs::create_organisation),
        ),
        (
            "/organisations/{id}",
            get(orgs::get_organisation)
                .patch(orgs::patch_organisation)
                .delete(orgs::delete_organisation),
        ),
        (
            "/organisation",
            get(orgs::get_current).patch(orgs::patch_current),
        ),
        (
            "/organisation/members",
            get(orgs::list_members).post(orgs::invite),
        ),
        ("/organisation/invitations", get(orgs::list_invitations)),
        (
            "/organisation/invitations/{id}",
            delete(orgs::revoke_invitation),
        ),
        ("/invitations/accept", post(orgs::accept_invitation)),
        (
            "/organisation/members/{user_id}",
            patch(orgs::patch_member).delete(orgs::delete_member),
        ),
        ("/organisation/audit", get(orgs::audit)),
        ("/api_keys", get(keys::list).post(keys::create)),
        ("/api_keys/{id}", delete(keys::revoke)),
        (
            "/projects/{id}/access_tokens",
            get(tokens::list).post(tokens::create),
        ),
        ("/access_tokens/{id}", delete(tokens::revoke)),
        ("/templates/validate", post(templates::validate)),
        ("/projects", get(projects::list).post(projects::create)),
        (
            "/projects/{id}",
            get(projects::get)
                .patch(projects::update)
                .delete(projects::delete),
        ),
        ("/projects/by_slug/{slug}", get(projects::by_slug)),
        ("/projects/archived", get(archive::projects)),
        ("/projects/{id}/unarchive", post(archive::restore_project)),
        ("/projects/{id}/purge", post(archive::purge_project)),
        ("/projects/{id}/prompt_sets/archived", get(archive::sets)),
        ("/prompt_sets/{id}/unarchive", post(archive::restore_set)),
        ("/prompt_sets/{id}/purge", post(archive::purge_set)),
        (
            "/projects/{id}/prompt_sets",
            get(prompt_sets::list_in_project).post(prompt_sets::create),
        ),
        ("/prompt_sets", get(prompt_sets::list)),
        (
            "/prompt_sets/{id}",
            get(prompt_sets::get)
                .patch(prompt_sets::update)
                .delete(prompt_sets::delete),
        ),
        (
            "/prompt_sets/by_address/{project}/{set}",
            get(prompt_sets::by_address),
        ),
        ("/prompt_sets/{id}/status", post(prompt_sets::status)),
        (
            "/prompt_sets/{id}/prompts",
            get(prompts::list).post(prompts::create),
        ),
        (
            "/prompts/{id}",
            get(prompts::get)
                .patch(prompts::update)
                .delete(prompts::delete),
        ),
        (
            "/prompts/by_address/{project}/{set}/{prompt}",
            get(prompts::by_address),
        ),
        ("/prompts/{id}/render", post(prompts::render)),
        (
            "/prompt_sets/{id}/versions",
            get(versions::list).post(versions::create),
        ),
        (
            "/prompt_sets/{id}/versions/{label}",
            get(versions::by_label),
        ),
        ("/versions/{id}", get(versions::get)),
        ("/versions/{id}/yank", post(versions::yank)),
        ("/versions/{id}/unyank", post(versions::unyank)),
        ("/prompt_sets/{id}/diff", get(versions::diff)),
        ("/prompt_sets/{id}/restore", post(versions::restore)),
        ("/prompt_sets/{id}/channels", get(channels::list_channels)),
        (
            "/prompt_sets/{id}/channels/{name}",
            get(channels::get_channel)
                .put(channels::put_channel)
                .delete(channels::delete_channel),
        ),
        ("/resolve/{*address}", get(delivery::resolve)),
        ("/render/{*address}", post(delivery::render)),
        ("/render", post(delivery::render_body)),
        ("/search", get(search::search)),
    ]
}

/// Every route the forge serves.
pub fn router(state: AppState) -> Router {
    // Full paths rather than `nest`: a nested router adds a prefix-stripping service and a
    // second route match to every request.
    let api = api_routes()
        .into_iter()
        .fold(Router::new(), |r, (path, handlers)| {
            r.route(&format!("/api/v1{path}"), handlers)
        });
    let max_body = state.config.max_body_bytes;
    let cors = cors_layer(&state.config);
    let router = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/dev/mailbox", get(ops::dev_mailbox))
        .merge(api)
        .merge(openapi::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(state.clone(), limits::limit))
        .layer(DefaultBodyLimit::max(max_body));
    let router = match cors {
        Some(c) => router.layer(c),
        None => router,
    };
    // Inside `observe`, so a panic's 500 gets the request id and is logged like any error.
    let router = router.layer(panic_layer());
    // Compression wraps everything, so bodies that `observe` finishes (errors) are
    // compressed too.
    router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Turns a panic in a handler into a 500 in the API's error format instead of a dropped
/// connection. The panic's message is logged, never sent.
pub fn panic_layer() -> tower_http::catch_panic::CatchPanicLayer<
    fn(Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response,
> {
    fn on_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        tracing::error!(panic = %message, "a handler panicked");
        error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorBody::new(
                "server_error",
                "Something went wrong on our side; the request id identifies it in the log",
                vec![],
            ),
        )
    }
    tower_http::catch_panic::CatchPanicLayer::custom(on_panic as fn(_) -> _)
}

/// CORS for the configured origins only (none by default). Cross-origin callers use bearer
/// credentials; cookies are never shared cross-origin.
fn cors_layer(config: &Config) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = config
        .cors_allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                HeaderName::from_static("x-anvil-organisation"),
                HeaderName::from_static(observe::REQUEST_ID),
            ])
            .expose_headers([
                header::ETAG,
                header::RETRY_AFTER,
                HeaderName::from_static(observe::REQUEST_ID),
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderName::from_static("x-ratelimit-reset"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_a_500_in_the_error_format() {
        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let app = Router::new().route("/boom", get(boom)).layer(panic_layer());
        let res = app
            .oneshot(
                axum::http::Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["type"], "server_error");
        assert!(
            !body.windows(5).any(|w| w == b"a bug"),
            "the panic stays in the log"
        );
    }
}
