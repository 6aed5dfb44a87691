//! The HTTP layer: one router with every route, shared state, and the request middleware.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use sea_orm::DatabaseConnection;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::config::Config;
use crate::domain::rate_limit::RateLimiter;

pub mod archive;
pub mod auth;
pub mod bundles;
pub mod channels;
pub mod delivery;
pub mod error;
pub mod etag;
pub mod events;
pub mod extract;
pub mod json;
pub mod keys;
pub mod limits;
pub mod mcp;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod ops;
pub mod orgs;
pub mod pagination;
pub mod projects;
pub mod prompt_sets;
pub mod prompts;
pub mod search;
pub mod templates;
pub mod tokens;
pub mod versions;
pub mod web;
pub mod webhooks;
pub mod wire;

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
    /// Those resolved sets' answers, serialised.
    pub answers: delivery::Answers,
    /// Committed domain events, applied to the caches and handed to live streams.
    pub feed: Arc<crate::domain::feed::Feed>,
    /// Request limits per credential; `None` when `rate_limits = "off"`.
    pub limits: Option<Arc<limits::Limits>>,
    /// Turns true when shutdown begins: long-lived responses (event streams) end on it, so
    /// graceful shutdown does not wait for them.
    pub stopping: tokio::sync::watch::Sender<bool>,
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
            stopping: tokio::sync::watch::Sender::new(false),
            feed: Arc::new(crate::domain::feed::Feed::new(
                delivery.clone(),
                key_cache.clone(),
            )),
            delivery,
            answers: delivery::Answers::default(),
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

/// Every documented route, each registered from its handler's `#[utoipa::path]`: the router
/// and the OpenAPI document are built from this one list, so neither can have a route the
/// other lacks.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::dev_mailbox))
        .routes(routes!(auth::register))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::sign_out_everywhere))
        .routes(routes!(auth::sessions))
        .routes(routes!(auth::end_session))
        .routes(routes!(auth::magic_link))
        .routes(routes!(auth::verify_magic_link))
        .routes(routes!(auth::password_reset))
        .routes(routes!(auth::confirm_password_reset))
        .routes(routes!(auth::confirm_email))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::me))
        .routes(routes!(orgs::list_organisations, orgs::create_organisation))
        .routes(routes!(
            orgs::get_organisation,
            orgs::patch_organisation,
            orgs::delete_organisation
        ))
        .routes(routes!(orgs::get_current, orgs::patch_current))
        .routes(routes!(orgs::list_members, orgs::invite))
        .routes(routes!(orgs::patch_member, orgs::delete_member))
        .routes(routes!(orgs::list_invitations))
        .routes(routes!(orgs::revoke_invitation))
        .routes(routes!(orgs::accept_invitation))
        .routes(routes!(orgs::audit))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(templates::validate))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get, projects::update, projects::delete))
        .routes(routes!(projects::by_slug))
        .routes(routes!(archive::projects))
        .routes(routes!(archive::restore_project))
        .routes(routes!(archive::purge_project))
        .routes(routes!(archive::sets))
        .routes(routes!(archive::restore_set))
        .routes(routes!(archive::purge_set))
        .routes(routes!(prompt_sets::list_in_project, prompt_sets::create))
        .routes(routes!(prompt_sets::list))
        .routes(routes!(
            prompt_sets::get,
            prompt_sets::update,
            prompt_sets::delete
        ))
        .routes(routes!(prompt_sets::by_address))
        .routes(routes!(prompt_sets::status))
        .routes(routes!(prompts::list, prompts::create))
        .routes(routes!(prompts::get, prompts::update, prompts::delete))
        .routes(routes!(prompts::by_address))
        .routes(routes!(prompts::render))
        .routes(routes!(versions::list, versions::create))
        .routes(routes!(versions::by_label))
        .routes(routes!(versions::get))
        .routes(routes!(versions::yank))
        .routes(routes!(versions::unyank))
        .routes(routes!(versions::diff))
        .routes(routes!(versions::restore))
        .routes(routes!(channels::list_channels))
        .routes(routes!(
            channels::get_channel,
            channels::put_channel,
            channels::delete_channel
        ))
        .routes(routes!(delivery::resolve))
        .routes(routes!(delivery::render))
        .routes(routes!(delivery::render_body))
        .routes(routes!(search::search))
        .routes(routes!(events::stream))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(bundles::of_set))
        .routes(routes!(bundles::of_project))
        .routes(routes!(bundles::current))
        // Bundles are larger than other bodies.
        .routes(routes!(bundles::import).layer(DefaultBodyLimit::max(bundles::MAX_IMPORT_BYTES)))
}

/// Every route the forge serves.
pub fn router(state: AppState) -> Router {
    // Full paths rather than `nest`: a nested router adds a prefix-stripping service and a
    // second route match to every request.
    let (api, _) = api_router().split_for_parts();
    let max_body = state.config.max_body_bytes;
    let cors = cors_layer(&state.config);
    let router = api
        .merge(openapi::routes())
        .merge(web::routes())
        .merge(mcp::routes())
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
                // MCP's 2026-07-28 headers, for browser-based MCP clients.
                HeaderName::from_static("mcp-protocol-version"),
                HeaderName::from_static("mcp-method"),
                HeaderName::from_static("mcp-name"),
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
        let app = Router::new()
            .route("/boom", axum::routing::get(boom))
            .layer(panic_layer());
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
