//! The web UI: server-rendered pages (askama templates in `templates/`, beside the handlers)
//! over the same domain services the API uses. Every page gets the security headers
//! ([`secure`]): a Content-Security-Policy that allows only this origin's scripts and styles
//! (no inline script), no framing, no MIME sniffing, no referrer off-site. State-changing
//! forms pass the same-origin check the API makes for cookies, and, once signed in, carry the
//! session's CSRF token ([`csrf`]).
//!
//! What exists: the landing page, sign-up, sign-in, sign-out, an organisation's dashboard (its
//! projects), a project's prompt sets, a set's prompts, channels and versions, and a prompt's
//! working copy with snippets to use it, read-only; and the account page (sessions, signing
//! one or all of them out).
//! Everything else the UI contract names (editing, the editor, settings, live updates, the
//! command palette) is not built yet.

mod account;
pub mod assets;
pub mod csrf;
mod pages;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::AppState;
use crate::domain::accounts;
use crate::domain::records::{session, user};

/// The pages and their assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/sign_in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign_up", get(pages::sign_up_form).post(pages::sign_up))
        .route("/sign_out", post(pages::sign_out))
        .route("/account", get(account::page))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route(
            "/account/sign_out_everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/o/{org}", get(pages::dashboard))
        .route("/o/{org}/{project}", get(pages::project_page))
        .route("/o/{org}/{project}/{set}", get(pages::set_page))
        .route("/o/{org}/{project}/{set}/{prompt}", get(pages::prompt_page))
        .route("/assets/{file}", get(assets::serve))
        .layer(axum::middleware::map_response(secure))
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The security headers of every page and asset.
async fn secure(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    res
}

/// The signed-in user of a page request, if any (a session cookie that is still valid).
pub struct Visitor(pub Option<(session::Model, user::Model)>);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let Some(token) = super::auth::session_token(&parts.headers) else {
            return Ok(Visitor(None));
        };
        match accounts::authenticate(&state.db, &token).await {
            Ok(found) => Ok(Visitor(found)),
            Err(e) => {
                // The page then shows the signed-out view; the failure must not vanish.
                tracing::error!(error = %e, "reading the session failed");
                Ok(Visitor(None))
            }
        }
    }
}
